"""Flask extensions, created once and bound to the application in create_app."""
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints keep migrations portable between SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
csrf = CSRFProtect()  # every HTML form; the API authenticates with bearer tokens instead


class RegistryApi(Api):
    """flask-smorest's Api, without its app-wide JSON error handler: errors.py answers
    JSON for the API and HTML for pages."""

    def _register_error_handlers(self):
        pass


api = RegistryApi()
