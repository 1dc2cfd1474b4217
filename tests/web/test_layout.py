"""No page scrolls sideways on the narrowest phone (320 CSS pixels), in English and in Chinese; Chinese text renders."""
import pytest

from ..helpers.browser import NARROWEST, screenshot
from ..helpers.console import PASSWORD
from ..helpers.pages import CONSOLE, ERRORS, PUBLIC, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def registry(served_demo):
    """The registry with its demonstration data and a French officer, over HTTP (tests/conftest.py)."""
    return served_demo


def overflowing(phone, base: str, paths: list[str]) -> dict[str, int]:
    """The pages among `paths` wider than the screen, with their scroll width."""
    wider = {}
    for path in paths:
        answer = phone.goto(base + path)
        assert answer.status == (404 if path in ERRORS else 200), path
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > NARROWEST["width"]:
            wider[path] = width
            screenshot(phone, "overflow" + path.split("?")[0].replace("/", "-"))
    return wider


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_no_page_scrolls_sideways_on_a_320_pixel_phone(browser, registry, locale):
    context = browser.new_context(viewport=NARROWEST, locale=locale, is_mobile=True)
    phone = context.new_page()
    wider = overflowing(phone, registry, PUBLIC + ERRORS)
    sign_in(phone, registry, PASSWORD)
    wider |= overflowing(phone, registry, CONSOLE)
    context.close()
    assert wider == {}


# The width of a glyph the page's fonts lack is that of the .notdef box, whatever the character:
# two strings of unrelated CJK characters measure the same only when both fall back to that box.
GLYPH_WIDTHS = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  canvas.font = "32px " + getComputedStyle(document.documentElement).fontFamily;
  const missing = canvas.measureText("\\u{10FFFD}\\u{10FFFD}").width;  // a private-use character: no font draws it
  return [canvas.measureText("中文").width, canvas.measureText("法国").width, missing];
}"""


def test_chinese_text_is_drawn_with_a_font_that_has_it(page, registry):
    page.goto(registry + "/countries/FR?lang=zh")
    assert page.evaluate("document.fonts.check('16px sans-serif', '中文')")
    chinese, other, missing = page.evaluate(GLYPH_WIDTHS)
    assert chinese != missing and other != missing
    # Full-width ideographs: each as wide as the font size, where a CJK font draws them.
    assert chinese == pytest.approx(64, abs=2)
