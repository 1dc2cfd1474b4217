"""The editor's problems in words people read: the field as the form shows it, not its path in the document.

The validator (registry/documents.py) files problems by path (``bans.0.substance``) and words
them for the API's clients, who keep both. The console names the field as its label reads
("Ban 1, substance") and says each problem as a sentence in the page's language (WORDS): a
substance it does not know gets the known names closest to what was typed, a product's name
("Ritalin") the substances it contains.

The editor's lists are worded here too (Choices): an officer chooses classes, substances, languages
and countries by their names, never by their codes.
"""
import re
from collections import Counter
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import NamedTuple

from babel.lists import format_list
from flask_babel import format_decimal, gettext as _, lazy_gettext as _l, ngettext

from .. import reference, search
from ..documents import BANNABLE_CLASSES
from ..i18n import (
    DOCUMENT_KIND_LABELS, LANGUAGES, SCHEDULE_CLASS_SHORT_LABELS, THRESHOLD_LABELS, TRANSIT_CHOICE_LABELS,
    applies_to_name, by_country_name, close_substances, country_name, language, language_name, official_languages,
    schedule_class_key, sort_key, substance_key, substance_name,
)

# A list's items, by the list's name: "%(number)s" is the item's place, counting from 1.
ITEMS = {
    "rules": _l("Rule %(number)s"),
    "supply_exceptions": _l("Supply exception %(number)s"),
    "legal_basis": _l("Legal text %(number)s"),
    "authorities": _l("Authority %(number)s"),
    "bans": _l("Ban %(number)s"),
    "applies_to": _l("substance or class %(number)s"),
    "substances": _l("substance %(number)s"),
    "lines": _l("address line %(number)s"),
}
FIELDS = {
    "effective_from": _l("effective from"), "travellers_allowed": _l("travellers allowed"),
    "max_supply_days": _l("maximum supply (days)"), "retail_package_exemption": _l("one retail package exempt"),
    "document_languages": _l("document languages"), "translation_required": _l("translation required"),
    "customs": _l("customs"), "declare_on_entry": _l("declare on entry"), "endorsement": _l("endorsement"),
    "show_on_request": _l("show on request"), "transit": _l("transit"), "transit_notes": _l("transit notes"),
    "treatment_continuity": _l("continuity of treatment"), "extension_possible": _l("extension possible"),
    "how": _l("how"), "notes": _l("notes"), "reason": _l("reason"), "title": _l("title"), "url": _l("web address"),
    "date": _l("date"), "applies_to": _l("applies to"), "documents": _l("documents"), "threshold": _l("when needed"),
    "threshold_mg": _l("amount (mg)"), "threshold_days": _l("days of supply"), "permit_lead_days": _l("days ahead for the permit"),
    "roles": _l("roles"), "name": _l("name"), "address": _l("address"), "city": _l("city"), "postal_code": _l("postal code"),
    "country": _l("country"), "phone": _l("telephone"), "fax": _l("fax"), "email": _l("e-mail"), "website": _l("website"),
    "languages": _l("languages"), "substance": _l("substance"), "since": _l("since"), "region": _l("region"),
    "special_licence": _l("special licence"), "reference": _l("reference"), "substances": _l("substances"),
    "rules": _l("rules"), "supply_exceptions": _l("supply exceptions"), "legal_basis": _l("legal basis"),
    "authorities": _l("authorities"), "bans": _l("bans"),
}

# What arrives only when the form's hidden copy of the document was altered: the editor never builds it.
DAMAGED = _l("The form was damaged in transit; open the editor again.")

# Each message of registry/documents.py (matched whole) and what a person reads instead. Named groups
# fill the sentence: `value` is what was typed, numbers are written the page's way, `number` counts from 1.
WORDS = [
    (r"This field is required\.|This field may not be null\.", _l("Fill this in.")),
    (r"Must not be empty\.", _l("Type some text: spaces alone are not enough.")),
    (r"The text contains (?:the control character|an unpaired surrogate|the non-character) U\+(?P<code>[0-9A-F]+).*",
     _l("The text contains a character that cannot be stored here (U+%(code)s): a line break in a one-line field, "
        "a control character or a non-character. Remove it.")),
    (r"Is (?P<count>[0-9]+) characters long; at most (?P<high>[0-9]+) are allowed\.",
     _l("The text is %(count)s characters long; shorten it to at most %(high)s.")),
    (r"(?P<value>.*) is not a (?:document kind|threshold|value of travellers_allowed|value of transit|role); allowed: .*",
     _l("“%(value)s” is not one of the choices; choose from the list.")),
    (r"Must be true or false, not .*", _l("Answer yes or no.")),
    (r"Must be a whole number, not .*", _l("Type a whole number, such as 30.")),
    (r"Must be between (?P<low>[0-9]+) and (?P<high>[0-9]+)(?: days)?; got .*", _l("Type a whole number from %(low)s to %(high)s.")),
    (r"Must be a number of milligrams, not .*", _l("Type a number, such as 200 or 1.5.")),
    (r"Must be at least (?P<low>[0-9.]+) and at most (?P<high>[0-9.]+) mg; got .*",
     _l("Type an amount of at least %(low)s mg and at most %(high)s mg.")),
    (r"Must be a date written YYYY-MM-DD, not .*", _l("Give a whole date: day, month and year.")),
    (r"(?P<value>.*) is not a real date\.", _l("“%(value)s” is not a day of the calendar.")),
    (r"(?P<value>.*) is not an ISO 639-1 language code .*",
     _l("“%(value)s” is not a language code: use two lower-case letters, such as en, fr or zh.")),
    (r"Country codes are upper case: use '(?P<upper>[A-Z]+)', not .*", _l("Write the country code in capitals: %(upper)s.")),
    (r"(?P<value>.*) is not an ISO 3166-1 alpha-2 country code .*",
     _l("“%(value)s” is not a country code; choose a country from the list.")),
    (r"(?P<value>.*) is not a known substance key; .*", _l("“%(value)s” is not a substance we know.")),
    (r"(?P<value>.*) is neither a schedule class .* nor a known substance key\.",
     _l("“%(value)s” is neither a schedule class nor a substance we know.")),
    (r"Must be an http or https URL of at most (?P<high>[0-9]+) characters\.",
     _l("Give a web address starting with https:// or http://, of at most %(high)s characters.")),
    (r"(?P<value>.*) is not an absolute http or https URL\.",
     _l("“%(value)s” is not a whole web address: write it with https:// or http://, e.g. https://www.example.org/.")),
    (r"(?P<value>.*) is not in international form: .*",
     _l("“%(value)s” is not a telephone number in international form: +, the country code, then the number, "
        "e.g. +33 1 55 87 30 00.")),
    (r"Must be an e-mail address\.", _l("Give an e-mail address, such as office@example.org.")),
    (r"(?P<value>.*) is not an e-mail address\.", _l("“%(value)s” is not an e-mail address: write it as name@example.org.")),
    (r"Give the text in at least one language\.", _l("Give the text in at least one language.")),
    (r"Must be a non-empty string\.", _l("Type the text in this language, or remove the language.")),
    (r"Must have at least 1 item\.", _l("Give at least one.")),
    (r"Must have at least (?P<count>[0-9]+) items\.", _l("Give at least %(count)s.")),
    (r"Has (?P<count>[0-9]+) items; at most (?P<high>[0-9]+) are allowed\.",
     _l("There are %(count)s; at most %(high)s are allowed.")),
    (r"(?P<twice>.*) is listed twice\.", _l("“%(twice)s” is listed twice; remove one.")),
    (r"At most (?P<high>[0-9]+) rules are allowed\.|Longer than maximum length (?P<most>[0-9]+)\.",
     _l("There are too many; at most %(high)s are allowed.")),
    (r"List between (?P<low>[0-9]+) and (?P<high>[0-9]+) authorities\.",
     _l("List at least %(low)s and at most %(high)s authorities.")),
    (r"A threshold of 'amount' needs threshold_mg, .*", _l("With “%(amount)s”, give the amount in milligrams.")),
    (r"A threshold of 'amount' applies only to substance keys, not to schedule classes \((?P<classes>.*)\): .*",
     _l("“%(amount)s” is for substances only, not for classes (%(classes)s): an amount means something only for one substance.")),
    (r"threshold_mg is used only with threshold 'amount'\.", _l("Give an amount only when the rule applies “%(amount)s”.")),
    (r"A threshold of 'days' needs threshold_days, .*",
     _l("With “%(days)s”, give the longest supply, in days, allowed without these documents.")),
    (r"threshold_days is used only with threshold 'days'\.", _l("Give days of supply only when the rule applies “%(days)s”.")),
    (r"permit_lead_days is used only in a rule whose documents include 'import-permit'\.",
     _l("Give the days ahead only when the documents include %(permit)s.")),
    (r"transit 'own-rules' needs transit_notes .*", _l("With “%(own_rules)s”, say what travellers in transit must carry.")),
    (r"transit_notes is used only with transit 'own-rules'\.", _l("Give transit rules only when transit has “%(own_rules)s”.")),
    (r"Article 13 of the 1971 Convention covers only substances in its Schedules II, III and IV; (?P<inn>.*) is in (?P<classes>.*)\.",
     _l("Article 13 of the 1971 Convention allows bans only of substances in its Schedules II, III and IV; "
        "%(substance)s is in %(classes)s.")),
    (r"The same substance is already banned for the same region at bans\.(?P<ban>[0-9]+)\.", _l("Already banned in ban %(number)s for the same region.")),
    (r"The body .*|An object has .*", _l("The form holds far more than any section needs; nothing was checked.")),
    (r"Must be a string\.|Must be a list\.|Must be an object\.|Must be an object keyed by language code, .*|Unknown field: .*"
     r"|The field name contains .*|The document must be a JSON object\.", DAMAGED),
]
WORDS = [(re.compile(pattern, re.S), sentence) for pattern, sentence in WORDS]


def field_label(path: str) -> str:
    """A field's path as the form labels it: ``bans.0.substance`` → "Ban 1, substance"."""
    if not path:
        return _("The whole section")
    parts, words = path.split("."), []
    for index, part in enumerate(parts):
        if part.isdigit() and index and parts[index - 1] in ITEMS:
            words[-1] = str(ITEMS[parts[index - 1]] % {"number": int(part) + 1})
        else:
            words.append(str(FIELDS.get(part, part)))
    label = ("，" if language() == "zh" else ", ").join(words)
    return label[:1].upper() + label[1:]


def _is_substance(path: str) -> bool:
    parts = path.split(".")
    return parts[-1] == "substance" or (len(parts) > 1 and parts[-2] in ("applies_to", "substances") and parts[-1].isdigit())


def _value_at(document, path: str):
    for part in path.split("."):
        if isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        elif isinstance(document, dict) and part in document:
            document = document[part]
        else:
            return None
    return document


def _listed(items: list[str]) -> str:
    return _(", ").join(items)


def _classes(text: str) -> str:
    """The schedules a validator's message lists ("1961-I, 1961-IV", "national"), in words."""
    names = []
    for code in (item.strip() for item in text.split(",")):
        if code == reference.NATIONAL:
            names.append(_("no schedule of the conventions (controlled by some countries only)"))
        else:
            names.append(str(SCHEDULE_CLASS_SHORT_LABELS.get(code, code)))
    return _listed(names)


def _fill(matched: re.Match, sentence, typed) -> str:
    """The sentence, with what the message said in the page's words (`typed`: the value at the field)."""
    found = {name: value for name, value in matched.groupdict().items() if value is not None}
    values = {
        "amount": THRESHOLD_LABELS["amount"], "days": THRESHOLD_LABELS["days"],
        "own_rules": TRANSIT_CHOICE_LABELS["own-rules"], "permit": DOCUMENT_KIND_LABELS["import-permit"],
    }
    for name, value in found.items():
        if name == "value":
            values[name] = value[1:-1] if len(value) > 1 and value[0] == value[-1] == "'" else value
        elif name == "twice":  # a substance or class by its name, as the list shows it
            values[name] = applies_to_name(typed) if isinstance(typed, str) else value
        elif name == "classes":
            values[name] = _classes(value)
        elif name == "inn":
            values["substance"] = substance_name(substance_key(value) or value)
        elif name == "ban":
            values["number"] = int(value) + 1  # the validator counts bans from 0
        elif name == "most":
            values["high"] = format_decimal(Decimal(value))
        elif name in ("code", "upper"):
            values[name] = value
        else:
            values[name] = format_decimal(Decimal(value))
    return str(sentence) % {name: str(value) for name, value in values.items()}


def unknown_substance(typed: str, *, or_class: bool = False) -> str:
    """What to say of a substance typed that the registry does not know: a product's name, or a misspelling;
    `or_class` where a schedule class would do too."""
    named = [reference.product(key) for key in search.products_named(typed)]
    keys = list(dict.fromkeys(item.substance for product in named for item in product.controlled))
    if keys:
        names = [substance_name(key) for key in keys]
        inns = _listed([reference.substance(key).inn for key in keys])
        return ngettext("“%(typed)s” is a product; its controlled substance is %(inns)s. Did you mean %(names)s?",
                        "“%(typed)s” is a product; its controlled substances are %(inns)s. Did you mean %(names)s?",
                        len(keys), typed=typed, inns=inns, names=" / ".join(names))
    if or_class:
        sentence = _("“%(typed)s” is neither a schedule class nor a substance we know.", typed=typed)
    else:
        sentence = _("“%(typed)s” is not a substance we know.", typed=typed)
    close = close_substances(typed)
    if close:
        sentence += " " + _("Did you mean %(names)s?", names=" / ".join(substance_name(key) for key in close))
    return sentence


def problem_in_words(document, path: str, message: str) -> str:
    """One problem of the validator as a sentence about the field a person sees, in the page's language."""
    typed = _value_at(document, path)
    if _is_substance(path) and isinstance(typed, str) and typed.strip() and substance_key(typed) is None \
            and typed not in reference.SCHEDULE_CLASSES:
        return unknown_substance(typed, or_class=".applies_to." in f".{path}")
    for pattern, sentence in WORDS:
        matched = pattern.fullmatch(message)
        if matched:
            return _fill(matched, sentence, typed)
    return message


def in_words(document: dict, problems: dict[str, list[str]]) -> dict[str, list[str]]:
    """The problems by field path, each said as a sentence for people."""
    return {path: list(dict.fromkeys(problem_in_words(document, path, message) for message in messages))
            for path, messages in problems.items()}


class Choice(NamedTuple):
    """One entry of an editor's list: the value the form sends, its name in the page's language, a line about it."""

    value: str
    label: str
    note: str = ""


# The schedule classes as an officer names them; what each holds is said beside it (Choices.classes).
CLASS_NAMES = dict(zip(reference.SCHEDULE_CLASSES, (
    _l("Schedule I of the 1961 Convention"), _l("Schedule II of the 1961 Convention"),
    _l("Schedule III of the 1961 Convention"), _l("Schedule IV of the 1961 Convention"),
    _l("Schedule I of the 1971 Convention"), _l("Schedule II of the 1971 Convention"),
    _l("Schedule III of the 1971 Convention"), _l("Schedule IV of the 1971 Convention"),
)))
CLASS_KINDS = {
    "1961": _l("narcotic drugs"),
    "1971": _l("psychotropic substances"),
    # Schedule III of 1961 lists preparations, not substances: no substance of the reference data is in it.
    "1961-III": _l("preparations with small amounts of narcotic drugs, such as codeine up to 100 mg per unit"),
}
CLASS_EXAMPLES = 3  # substances named beside a class: those in the most medicines the registry knows


@lru_cache(maxsize=None)
def _examples(code: str) -> tuple[str, ...]:
    """The keys of a class's substances found in the most medicinal products, most first; none when no product has one."""
    counted = Counter(item.substance for product in reference.products().values() for item in product.controlled)
    keys = [key for key, item in reference.substances().items() if code in item.schedules and counted[key]]
    return tuple(sorted(keys, key=lambda key: (-counted[key], key))[:CLASS_EXAMPLES])


def _capitalised(text: str) -> str:
    """A name as the first word of a list entry: "français" → "Français" (CLDR writes language names in lower case)."""
    return text[:1].upper() + text[1:]


class Choices:
    """What the editor's lists offer for one country's notification, each entry named in the page's language.

    The form sends codes and keys; the officer reads names: a class as "Schedule II of the 1971 Convention" with
    medicines that contain its substances, a substance by its name with its INN and schedules, a language or a
    country by its name. A value that is none of these (a name sent instead of a key, a mistake) is named as sent.
    """

    def __init__(self, country: str):
        self.country = country

    @cached_property
    def classes(self) -> list[Choice]:
        return [self._class(code) for code in reference.SCHEDULE_CLASSES]

    def _class(self, code: str) -> Choice:
        kind = CLASS_KINDS.get(code) or CLASS_KINDS[code.split("-")[0]]
        examples = [substance_name(key) for key in _examples(code)]
        note = _("%(kind)s, such as %(examples)s", kind=kind, examples=format_list(examples, locale=language())) if examples else str(kind)
        return Choice(code, str(CLASS_NAMES[code]), note)

    @cached_property
    def substances(self) -> list[Choice]:
        """Every substance, by its name in the page's language."""
        lang = language()
        found = sorted(reference.substances().values(), key=lambda item: sort_key(item.name(lang)))
        return [self._substance(item, lang) for item in found]

    def _substance(self, item, lang: str) -> Choice:
        name = item.name(lang)
        schedules = _classes(", ".join(item.schedules))
        return Choice(item.key, name, schedules if name.casefold() == item.inn.casefold() else f"{item.inn} · {schedules}")

    @cached_property
    def bannable(self) -> list[Choice]:
        """The substances article 13 of the 1971 Convention lets a country ban."""
        return [choice for choice in self.substances if set(reference.substance(choice.value).schedules) & set(BANNABLE_CLASSES)]

    @cached_property
    def suggested_languages(self) -> list[Choice]:
        """The country's own languages, then those of the United Nations: what most texts and documents are in."""
        codes = dict.fromkeys(code for code in (*official_languages(self.country), *LANGUAGES) if reference.is_language(code))
        return [self.language(code) for code in codes]

    @cached_property
    def other_languages(self) -> list[Choice]:
        suggested = {choice.value for choice in self.suggested_languages}
        others = [self.language(code) for code in reference.languages() if code not in suggested]
        return sorted(others, key=lambda choice: sort_key(choice.label))

    def language(self, code: str) -> Choice:
        """A language by its name (a list's entry, or one ticked already); a value that is no language code, as sent."""
        return Choice(code, _capitalised(language_name(code)) if reference.is_language(code) else code)

    @cached_property
    def countries(self) -> list[Choice]:
        return [Choice(code, country_name(code)) for code in by_country_name(reference.countries())]

    def key(self, value: str) -> str:
        """What a class or substance sent by any of its names stands for: its code or key, else the value as sent."""
        return schedule_class_key(value) or substance_key(value) or value

    def named(self, value: str) -> Choice:
        """A class or substance of a rule or a list, sent by its code or any of its names; anything else as sent."""
        key = self.key(value)
        if key in CLASS_NAMES:
            return self._class(key)
        found = reference.substance(key)
        return self._substance(found, language()) if found else Choice(value, value)

    def taken(self, values) -> set[str]:
        """The codes and keys that values ticked already stand for: a list offers them no second time."""
        return {*values, *(self.key(value) for value in values)}
