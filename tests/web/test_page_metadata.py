"""Every page describes itself to search engines and link previews, and keeps its content inside landmarks."""
import pytest
from lxml import html

from registry import accounts
from registry.cli import demo

from ..helpers import console
from ..helpers.pages import CONSOLE, ERRORS, OFFICER, PUBLIC

DEFAULT = "What a traveller under treatment needs, country by country"
SPECIFIC = {
    "/countries/FR": "The rules France has notified for travellers",
    "/substances/methylphenidate": "Methylphenidate: how it is controlled internationally",
    "/substances/tramadol": "Tramadol: not under international control",
    "/products/ritalin-10-mg-tablet": "Ritalin 10 mg: what one unit contains",
    "/exports/": "The whole registry to download",
    "/api/v1/reference": "Reference of the registry's JSON API",
}


@pytest.fixture
def officer(app):
    """A test client signed in as the French officer, with the demonstration data loaded."""
    with app.app_context():
        demo.load()
        accounts.add_account(OFFICER, country="FR", secretariat=False, password=console.PASSWORD, admin=True)
    client = app.test_client()
    console.sign_in(client, OFFICER)
    return client


def page(client, path: str):
    """The parsed page at `path`."""
    answer = client.get(path)
    assert answer.status_code == (404 if path in ERRORS else 200), path
    return html.fromstring(answer.data)


def test_every_page_has_a_meta_description_and_some_pages_a_description_of_their_own(officer):
    for path in PUBLIC + ERRORS + CONSOLE:
        descriptions = page(officer, path).xpath("//head/meta[@name='description']/@content")
        assert len(descriptions) == 1 and descriptions[0].strip(), path
        assert descriptions[0].startswith(SPECIFIC.get(path, DEFAULT)), path


def test_a_page_described_in_chinese_has_its_description_in_chinese(officer):
    officer.get("/?lang=zh")
    description = page(officer, "/countries/FR").xpath("//head/meta[@name='description']/@content")[0]
    assert description.startswith("法国就旅行者")


def test_the_demonstration_banner_is_inside_the_banner_landmark(officer):
    banner = page(officer, "/").xpath("//*[contains(@class, 'demo-banner')]")
    assert len(banner) == 1
    assert banner[0].xpath("ancestor::header[contains(@class, 'site-header')]")
