"""What the console's tests share: accounts that sign in to it, and an SMTP server (the delivery tests')."""
import pytest

from registry import accounts

from ..delivery.conftest import smtp  # noqa: F401  (a fixture: invitations e-mailed to a real SMTP server)
from ..helpers.console import PASSWORD


@pytest.fixture
def officer(app):
    """Make a console account: officer("FR"), officer("FR", admin=True) or officer(secretariat=True) -> its e-mail address."""
    made = iter(range(1, 1000))

    def make(country=None, *, secretariat=False, admin=False):
        email = f"console{next(made)}@{(country or 'secretariat').lower()}.example"
        with app.app_context():
            accounts.add_account(email, country=country, secretariat=secretariat, password=PASSWORD, admin=admin)
        return email

    return make
