"""Every catalogue is complete: each message of the template translated, none fuzzy, the same placeholders, right plurals."""
import gettext
import re
from collections import Counter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from registry import i18n

TEMPLATE = i18n.TRANSLATIONS / "messages.pot"
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != "en"]
COUNT = "num"  # the name ngettext gives the number (Flask-Babel)
# %(name)s and its kin; an unnamed %s or %d, whose order counts; {name}. "%%" is a percent sign, said first.
NAMED = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")
UNNAMED = re.compile(r"%[sdif]")
BRACED = re.compile(r"\{(\w+)\}")


def read(path) -> Catalog:
    with path.open("rb") as stream:
        return read_po(stream)


def catalogue(lang: str) -> Catalog:
    path = i18n.TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"no catalogue for {lang}: {path}"
    with path.open("rb") as stream:
        return read_po(stream, locale=lang)


def messages(catalog: Catalog) -> list:
    return [message for message in catalog if message.id]


def placeholders(text: str) -> tuple[frozenset, list, frozenset]:
    """The named %-placeholders, the unnamed ones in order, and the {braced} ones of a message."""
    text = text.replace("%%", "")
    return frozenset(NAMED.findall(text)), UNNAMED.findall(text), frozenset(BRACED.findall(text))


NUMBERS = range(1000)  # enough to tell every plural rule of the six languages apart below a million


def forms_for_one_number(catalog: Catalog) -> set[int]:
    """The plural forms the language uses for a single number only (English "1 day"; Arabic's 0, 1 and 2)."""
    choose = gettext.c2py(catalog.plural_expr)
    used = Counter(choose(number) for number in NUMBERS)
    return {form for form, times in used.items() if times == 1}


def grouping(plural_expr: str) -> set[frozenset]:
    """Which numbers share a plural form under a rule, whatever the forms' order."""
    choose = gettext.c2py(plural_expr)
    groups: dict[int, set] = {}
    for number in NUMBERS:
        groups.setdefault(choose(number), set()).add(number)
    return {frozenset(group) for group in groups.values()}


@pytest.fixture(scope="module")
def template() -> Catalog:
    return read(TEMPLATE)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_catalogue_holds_exactly_the_messages_of_the_template(template, lang):
    held = {(message.context, message.id) for message in messages(catalogue(lang))}
    wanted = {(message.context, message.id) for message in messages(template)}

    assert sorted(wanted - held, key=str) == [], f"{lang}: missing from the catalogue"
    assert sorted(held - wanted, key=str) == [], f"{lang}: not in the template (obsolete)"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(lang):
    catalog = catalogue(lang)
    forms = catalog.num_plurals

    # Plural-Forms groups numbers as CLDR does: Russian's 1/21 apart from 2–4/22 and from 5–20/11.
    assert grouping(catalog.plural_expr) == grouping(get_plural(lang).plural_expr), f"{lang}: wrong Plural-Forms"
    untranslated, fuzzy = [], []
    for message in messages(catalog):
        strings = list(message.string) if message.pluralizable else [message.string]
        if not all(strings) or (message.pluralizable and len(strings) != forms):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert untranslated == [], f"{lang}: {len(untranslated)} untranslated"
    assert fuzzy == [], f"{lang}: {len(fuzzy)} fuzzy"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_translation_has_the_placeholders_of_its_source(lang):
    catalog = catalogue(lang)
    single = forms_for_one_number(catalog)
    wrong = []
    for message in messages(catalog):
        if not message.pluralizable:
            if message.string and placeholders(message.string) != placeholders(message.id):
                wrong.append((message.id, message.string))
            continue
        source = placeholders(message.id[1])
        for form, string in enumerate(message.string):
            found = placeholders(string) if string else source
            # A form used for one number only may say it in words ("один день" is not: it serves 21 too).
            if found != source and not (form in single and found == (source[0] - {COUNT}, *source[1:])):
                wrong.append((message.id[1], string))
    assert wrong == [], f"{lang}: placeholders differ from the source"
