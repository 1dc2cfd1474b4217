"""On paper: a check result prints compactly, and the model certificate fits one A4 sheet in every language."""
import io

import pytest
from pypdf import PdfReader

from registry.check import certificate
from registry.cli import demo

from ..helpers.browser import served
from ..helpers.check_page import FAMILY_TRIP, check_url
from ..helpers.pages import CHECK

pytestmark = pytest.mark.browser

RESULT_PAGES = 4  # the family's trip: two medicines in three countries (8 pages before the print stylesheet)


@pytest.fixture
def registry(app):
    """The registry with its demonstration data, over HTTP."""
    with app.app_context():
        demo.load()
    with served(app) as url:
        yield url


def printed(page, url: str) -> list[str]:
    """The text of each A4 page Chromium prints the page at `url` on."""
    page.goto(url)
    return [sheet.extract_text() for sheet in PdfReader(io.BytesIO(page.pdf(format="A4"))).pages]


def test_a_check_result_prints_compactly_from_its_first_page(page, registry):
    sheets = printed(page, registry + CHECK)
    assert len(sheets) <= RESULT_PAGES
    # No forced break after the verdict: the first sheet goes on to the first medicine's reasons.
    assert "Why:" in sheets[0]
    assert "Search" not in sheets[0]  # the site's navigation and forms are not printed


def test_the_certificate_is_offered_in_the_six_languages_of_the_united_nations():
    assert sorted(certificate.LANGUAGES) == ["ar", "en", "es", "fr", "ru", "zh"]


@pytest.mark.parametrize("lang", certificate.LANGUAGES)
def test_the_model_certificate_fits_one_a4_page(page, registry, lang):
    # One medicine: one certificate, on one sheet.
    one_medicine = {**FAMILY_TRIP, "items": FAMILY_TRIP["items"][:1]}
    assert len(printed(page, registry + check_url(one_medicine, "/check/certificate", cert_lang=lang))) == 1
    # Arabic is written right to left, whatever the language of the page around it.
    assert page.locator(".certificates").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
