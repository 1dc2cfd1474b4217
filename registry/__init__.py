"""The registry of national rules for travellers under treatment with controlled drugs.

The package's modules read as layers (docs/architecture.md): the application and the
command line (`app`, `cli`) bind the surfaces (`api`, `feeds`, `exports`, `web`,
`console`), which call the services (`publishing`, `history`, `accounts`, `check`),
which stand on the models and the reference data.
"""
from .app import create_app

__all__ = ["create_app"]
