"""/healthz: whether this instance can serve, for load balancers and monitoring."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from .. import history
from ..config import VERSION
from ..db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with the head of the chain when the database answers; 503 (via registry/http.py) when not."""
    db.session.execute(text("SELECT 1"))
    head = history.head()
    response = jsonify({
        "status": "ok",
        "version": VERSION,
        "last_seq": head.seq if head else 0,
    })
    response.cache_control.no_store = True
    return response
