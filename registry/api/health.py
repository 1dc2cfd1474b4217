"""/healthz: whether this instance can serve, for load balancers and monitoring."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from .. import history
from ..config import VERSION
from ..db import db, rfc3339
from ..delivery import status

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with the head of the chain and how delivery keeps up; 503 (via registry/http.py) when the database does not answer.

    Delivery's figures are two aggregate queries (registry/delivery/status.py): cheap enough for every poll.
    """
    db.session.execute(text("SELECT 1"))
    head = history.head()
    delivery = status.summary()
    lag = delivery.oldest_undelivered
    response = jsonify({
        "status": "ok",
        "version": VERSION,
        "last_seq": head.seq if head else 0,
        "oldest_undelivered": lag and {"seq": lag.seq, "published_at": rfc3339(lag.published_at), "lag_seconds": lag.seconds},
        "subscriptions": delivery.by_state,
    })
    response.cache_control.no_store = True
    return response
