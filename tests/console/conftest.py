"""What the console's tests share: accounts that sign in to it."""
import pytest

from registry import accounts

from ..helpers.console import PASSWORD


@pytest.fixture
def officer(app):
    """Make a console account: officer("FR") or officer(secretariat=True) -> its e-mail address."""
    made = iter(range(1, 1000))

    def make(country=None, *, secretariat=False):
        email = f"console{next(made)}@{(country or 'secretariat').lower()}.example"
        with app.app_context():
            accounts.add_account(email, country=country, secretariat=secretariat, password=PASSWORD)
        return email

    return make
