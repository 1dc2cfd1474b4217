"""The `registry` command (also `python -m registry`): the application's commands, run on the application."""
import click
from flask.cli import FlaskGroup

from .app import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False, load_dotenv=False)
def main():
    """The registry of rules for travellers under treatment with internationally controlled drugs."""


if __name__ == "__main__":
    main()
