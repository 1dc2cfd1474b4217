"""Publishing through the JSON API, as an authority's client does, and counting what was stored."""
from registry.db import db
from registry.models import Version


def put(client, headers, country, section, document, *, etag=None, first=False):
    extra = {"If-None-Match": "*"} if first else ({"If-Match": etag} if etag else {})
    return client.put(f"/api/v1/countries/{country}/{section}", json=document, headers={**headers, **extra})


def publish(client, headers, country, section, document):
    """Publish through the API, whatever is current (the way a second authority would)."""
    current = client.get(f"/api/v1/countries/{country}/{section}")
    precondition = {"If-Match": current.headers["ETag"]} if current.status_code == 200 else {"If-None-Match": "*"}
    response = client.put(f"/api/v1/countries/{country}/{section}", json=document, headers={**headers, **precondition})
    assert response.status_code in (200, 201), response.json
    return response.json


def version_count(app) -> int:
    with app.app_context():
        return db.session.query(Version).count()
