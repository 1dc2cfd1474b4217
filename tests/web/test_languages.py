"""Every page and the console in each of the six UN languages, on a desktop and on a phone: the page says its language
and direction, Arabic is mirrored, nothing scrolls sideways, the script is drawn with real glyphs, and no English
sentence the catalogue translates is left on the page. A screenshot of each page is kept (REGISTRY_SCREENSHOTS, else
artifacts/screenshots/languages/).
"""
import os
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from registry import i18n, reference

from ..helpers.browser import ARTIFACTS, WAIT_MS
from ..helpers.console import PASSWORD
from ..helpers.pages import CONSOLE, PUBLIC, sign_in

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}
# A word in each script the six languages add to Latin, and where it is drawn.
SAMPLES = {"ar": "العربية", "zh": "中文", "ru": "Русский"}
SHORTEST_CHECKED_MESSAGE = 12  # characters: shorter English words ("Search", "Email") also occur in data


@pytest.fixture(scope="module")
def screenshots() -> Path:
    """Where the screenshots go: REGISTRY_SCREENSHOTS, else languages/ beside the other screenshots (the artifacts
    CI keeps, tests/helpers/browser.py)."""
    chosen = os.environ.get("REGISTRY_SCREENSHOTS")
    folder = Path(chosen) if chosen else ARTIFACTS / "languages"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def registry(served_demo):
    """The registry with its demonstration data and a French officer, over HTTP (tests/conftest.py)."""
    return served_demo


def translated_messages(lang: str) -> list[str]:
    """The English messages long enough to be sentences that the language's catalogue translates."""
    path = Path(i18n.TRANSLATIONS) / lang / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"no catalogue for {lang} at {path}"
    with path.open("rb") as stream:
        catalog = read_po(stream, locale=lang)
    found = []
    for message in catalog:
        english = message.id[0] if isinstance(message.id, tuple) else message.id
        translation = message.string[0] if isinstance(message.string, tuple) else message.string
        # A message with a placeholder never shows verbatim; one the translator kept as it is (an acronym) may.
        if english and translation and translation != english and not message.fuzzy and "%(" not in english \
                and len(english) >= SHORTEST_CHECKED_MESSAGE:
            found.append(english)
    return found


# The page's text in its own language: what an element marks as written in another language (a notification's
# text the country gave only in English, the names in the language menu) and code are left out, and so is the
# notified text that a version's change sentences quote as data (JSON strings, in whatever language it was given).
OWN_TEXT = """(lang) => {
  const copy = document.body.cloneNode(true);
  for (const other of copy.querySelectorAll("[lang], code, pre, script, style")) {
    const tag = other.getAttribute("lang");
    if (tag === null || !(tag === lang || tag.startsWith(lang + "-"))) other.remove();
  }
  for (const sentence of copy.querySelectorAll("ul.changes li")) {
    sentence.textContent = sentence.textContent.replace(/"(?:[^"\\\\]|\\\\.)*"/g, '""');
  }
  document.body.after(copy);
  copy.hidden = false;
  const text = copy.innerText;
  copy.remove();
  return text;
}"""

LAYOUT = """() => {
  const items = [...document.querySelectorAll("nav[aria-label] ul")].at(-1).children;
  const list = items[0].parentElement.getBoundingClientRect();
  const first = items[0].getBoundingClientRect();
  return {
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    scroll: document.documentElement.scrollWidth,
    // How far the first item of the main navigation is from the list's left and right edges.
    fromLeft: first.left - list.left,
    fromRight: list.right - first.right,
  };
}"""

# The width of a glyph no font has is that of the .notdef box, whatever the character: text drawn with
# real glyphs measures otherwise than as many boxes.
GLYPHS = """(sample) => {
  const canvas = document.createElement("canvas").getContext("2d");
  canvas.font = "32px " + getComputedStyle(document.documentElement).fontFamily;
  const boxes = canvas.measureText("\\u{10FFFD}".repeat([...sample].length)).width;
  return {drawn: canvas.measureText(sample).width, boxes: boxes, loaded: document.fonts.check("16px " + getComputedStyle(document.documentElement).fontFamily, sample)};
}"""


def data_names() -> list[str]:
    """The names of substances and products, longest first: data, which may be English on any page."""
    names = {name for item in reference.substances().values() for name in (*item.names.values(), *item.other_names)}
    names |= {text for item in reference.products().values() for text in (item.label, *item.names)}
    return sorted(names, key=len, reverse=True)


def problems_of(page, lang: str, width: int, english: list[str]) -> list[str]:
    """What is wrong with the page shown, in words."""
    found = []
    layout = page.evaluate(LAYOUT)
    if layout["lang"] != i18n.HTML_LANG[lang]:
        found.append(f'<html lang="{layout["lang"]}">')
    if layout["dir"] != ("rtl" if lang == "ar" else "ltr"):
        found.append(f'<html dir="{layout["dir"]}">')
    if layout["scroll"] > width:
        found.append(f"{layout['scroll']} pixels wide")
    start = layout["fromRight"] if lang == "ar" else layout["fromLeft"]
    if abs(start) > 1:
        found.append(f"the first navigation item is {start:.0f} pixels from the {'right' if lang == 'ar' else 'left'}")
    if lang in SAMPLES:
        glyphs = page.evaluate(GLYPHS, SAMPLES[lang])
        if glyphs["drawn"] == glyphs["boxes"] or not glyphs["loaded"]:
            found.append(f"{SAMPLES[lang]} is not drawn with a font that has it")
    if english:
        text = page.evaluate(OWN_TEXT, i18n.HTML_LANG[lang])
        for name in data_names():
            text = text.replace(name, " ")
        left = [message for message in english if re.search(rf"(?<!\w){re.escape(message)}(?!\w)", text)]
        if left:
            found.append("in English: " + "; ".join(left))
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_page_speaks_the_language_fits_the_screen_and_mirrors_for_arabic(browser, registry, screenshots,
                                                                              lang, width):
    viewport = WIDTHS[width]
    english = translated_messages(lang) if lang != "en" else []
    context = browser.new_context(viewport=viewport, is_mobile=width == "phone")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{registry}/?lang={lang}")  # the choice sticks in a cookie, for the console too
    wrong = {}
    for number, path in enumerate(PUBLIC + ["signed-in", *CONSOLE]):
        if path == "signed-in":
            sign_in(page, registry, PASSWORD)
            continue
        answer = page.goto(registry + path)
        assert answer.status == 200, path
        page.screenshot(path=str(screenshots / f"{lang}-{width}-{number:02}.png"), full_page=True)
        found = problems_of(page, lang, viewport["width"], english)
        if found:
            wrong[path] = found
    context.close()
    assert wrong == {}

