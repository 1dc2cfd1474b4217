"""What changed between two versions of a section, in sentences people read.

`describe` returns the sentences that become a version's `changes`, and the
substances whose rules the change touched (for the per-substance feed): a
substance is touched when a rule, supply exception or ban that names it is added,
removed or altered.

A sentence is a `Phrase`: an English template, marked with N_ so that pybabel puts
it in the catalogues, filled with values. A value is the registry's own words (a
phrase too: "yes", "whole country", a section, a label), or data written as it is
(notified text quoted as JSON, substance keys, document kind codes, field names).
The English rendering is what is stored with the version, covered by the hash
chain, so it never changes; `in_language` words a published version's sentences in
the reader's language, for the feeds, the pages and the e-mail alerts.
"""
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Union

from . import history, i18n
from .db import db
from .i18n import N_
from .models import Version

REWORDED_KEPT = 8192  # (version, language) wordings a process keeps; a version never changes


def _english(message: str) -> str:
    return message


class Phrase:
    """Words from a template: an English message with %(name)s placeholders, and the value of each."""

    def __init__(self, template: str, **values: "Words"):
        self.template, self.values = template, values

    def render(self, translate: Callable[[str], str] = _english) -> str:
        """The words in the language of `translate` (a catalogue's gettext); in English by default."""
        return translate(self.template) % {name: _render(value, translate) for name, value in self.values.items()}

    def __str__(self) -> str:
        return self.render()


class Listing:
    """Several values in a row, joined by punctuation that is data, not words (", ", "; ")."""

    def __init__(self, items, separator: str = ", "):
        self.items, self.separator = tuple(items), separator

    def render(self, translate: Callable[[str], str] = _english) -> str:
        return self.separator.join(_render(item, translate) for item in self.items)

    def __str__(self) -> str:
        return self.render()


Words = Union[Phrase, Listing, str]


def _render(value: Words, translate) -> str:
    return value if isinstance(value, str) else value.render(translate)


@dataclass
class Difference:
    """What `describe` found: its sentences, as phrases, and the substances they touch."""

    phrases: list[Phrase] = field(default_factory=list)
    substances: set[str] = field(default_factory=set)

    def add(self, phrase: Phrase, substances=()) -> None:
        self.phrases.append(phrase)
        self.substances.update(substances)

    @property
    def sentences(self) -> list[str]:
        """The sentences in English, as they are stored with the version."""
        return self.in_words()

    def in_words(self, translate: Callable[[str], str] = _english) -> list[str]:
        """The sentences in the language of `translate`."""
        return [phrase.render(translate) for phrase in self.phrases]


def describe(section: str, before: dict | None, after: dict | None) -> Difference:
    """The differences from `before` (None: nothing in force) to `after` (None: withdrawn)."""
    difference = Difference()
    if after is None:
        difference.add(Phrase(N_("The %(section)s section was withdrawn; nothing is in force."), section=_section(section)),
                       _named(section, before))
        return difference
    if before is None:
        difference.add(Phrase(N_("First notification of %(section)s."), section=_section(section)), _named(section, after))
        _DESCRIBERS[section](difference, {}, after)
        return difference
    _DESCRIBERS[section](difference, before, after)
    if not difference.phrases:
        difference.add(Phrase(N_("Republished without any change in content.")))
    return difference


SECTION_PHRASES = {
    "requirements": N_("documentary requirements"),
    "authorities": N_("issuing authorities"),
    "import-bans": N_("article 13 import bans"),
}


def _section(section: str) -> Phrase:
    return Phrase(SECTION_PHRASES[section])


# -- in the reader's language ----------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """A version's change sentences as a reader gets them, and the language they are in."""

    lang: str
    sentences: tuple[str, ...]


def in_language(version: Version, lang: str) -> Wording:
    """A published version's change sentences in `lang`, one of i18n.LANGUAGES: for feeds, pages and alerts.

    English is what was stored with the version. Another language is worded anew from the
    section's previous document and this version's, but only when describing them again gives
    exactly the stored English: a version worded by an older `describe`, or restored from a
    bundle that worded it otherwise, keeps its stored sentences, and the Wording's `lang` is
    then "en", so that the caller marks them as English (lang="en", xml:lang="en").
    """
    if lang == i18n.DEFAULT_LANGUAGE:
        return Wording(lang, tuple(json.loads(version.changes)))
    return _reworded(version.seq, version.hash, lang)


@lru_cache(maxsize=REWORDED_KEPT)
def _reworded(seq: int, hash_: str, lang: str) -> Wording:
    """`in_language` for a language other than English, kept: a version never changes. The hash is part
    of the key because a seq of another database (after a restore, in another test) is another version."""
    version = db.session.get(Version, seq)
    stored = tuple(json.loads(version.changes))
    difference = describe(version.section, history.previous_document(version), history.document(version))
    if tuple(difference.sentences) != stored:
        return Wording(i18n.DEFAULT_LANGUAGE, stored)
    return Wording(lang, tuple(difference.in_words(i18n.catalog(lang).gettext)))


# -- the sentences ---------------------------------------------------------------------------


def _named(section: str, document: dict | None) -> set[str]:
    """Every substance a section names explicitly."""
    if not document:
        return set()
    if section == "requirements":
        named = {item for rule in document.get("rules", []) for item in rule["applies_to"] if not _is_class(item)}
        return named | {key for exception in document.get("supply_exceptions", []) for key in exception["substances"]}
    if section == "import-bans":
        return {ban["substance"] for ban in document.get("bans", [])}
    return set()


def _is_class(item: str) -> bool:
    return item[:5] in ("1961-", "1971-")


def _show(value) -> Words:
    if value is None:
        return Phrase(N_("not stated"))
    if isinstance(value, bool):
        return Phrase(N_("yes") if value else N_("no"))
    if isinstance(value, list):
        return Listing(str(item) for item in value) if value else Phrase(N_("none"))
    return str(value)


def _value(value) -> Words:
    """A value in full and unambiguously: free text quoted, structures as JSON, so two different values never read the same."""
    if value is None or isinstance(value, (bool, int, float)):
        return _show(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _fields(old: dict, new: dict) -> Listing:
    """Every field that differs between two items, with its value before and after."""
    keys = sorted(old.keys() | new.keys())
    return Listing((Phrase(N_("%(field)s was %(old)s, now %(new)s"), field=key, old=_value(old.get(key)), new=_value(new.get(key)))
                    for key in keys if old.get(key) != new.get(key)), "; ")


def _scalar(difference: Difference, before: dict, after: dict, key: str, label: str, *, first: bool) -> None:
    old, new = before.get(key), after.get(key)
    if old == new:
        return
    if first:
        if new is not None:
            difference.add(Phrase(N_("%(label)s: %(value)s."), label=Phrase(label), value=_show(new)))
    else:
        difference.add(Phrase(N_("%(label)s changed from %(old)s to %(new)s."), label=Phrase(label), old=_show(old), new=_show(new)))


def _text(difference: Difference, before: dict, after: dict, key: str, label: str) -> None:
    old, new = before.get(key), after.get(key)
    if old == new:
        return
    if old is None:
        difference.add(Phrase(N_("%(label)s added: %(value)s."), label=Phrase(label), value=_value(new)))
    elif new is None:
        difference.add(Phrase(N_("%(label)s removed."), label=Phrase(label)))
    else:
        difference.add(Phrase(N_("%(label)s changed: now %(value)s."), label=Phrase(label), value=_value(new)))


def _number(value) -> str:
    """A number as short as it can be written without losing any of it."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def threshold_phrase(rule: dict) -> Phrase:
    """When a rule's documents are needed, in words."""
    threshold = rule["threshold"]
    if threshold == "always":
        return Phrase(N_("always"))
    if threshold == "guideline":
        return Phrase(N_("above the guideline amount (Annex II/III)"))
    if threshold == "amount":
        return Phrase(N_("above %(amount)s mg"), amount=_number(rule["threshold_mg"]))
    return Phrase(N_("for a supply of more than %(days)s days"), days=str(rule["threshold_days"]))


def rule_phrase(rule: dict) -> Phrase:
    """A rule in one phrase: documents, for what, when."""
    words = {"documents": Listing(rule["documents"]), "applies_to": Listing(rule["applies_to"]), "threshold": threshold_phrase(rule)}
    if "permit_lead_days" in rule:
        return Phrase(N_("%(documents)s for %(applies_to)s, %(threshold)s (apply %(days)s days ahead)"),
                      days=str(rule["permit_lead_days"]), **words)
    return Phrase(N_("%(documents)s for %(applies_to)s, %(threshold)s"), **words)


def _keyed(items, key):
    return {key(item): item for item in items}


def _order(difference: Difference, label: str, before: list, after: list, key) -> bool:
    """Say so when a list's items were reordered, or hold the same key twice; True when the list was described whole."""
    old_keys, new_keys = [key(item) for item in before], [key(item) for item in after]
    if len(set(old_keys)) < len(old_keys) or len(set(new_keys)) < len(new_keys):
        if before != after:
            difference.add(Phrase(N_("%(label)s now: %(value)s."), label=Phrase(label), value=_value(after)))
        return True
    kept = set(old_keys) & set(new_keys)
    if [item for item in old_keys if item in kept] != [item for item in new_keys if item in kept]:
        difference.add(Phrase(N_("%(label)s reordered: now %(value)s."), label=Phrase(label), value=_value(new_keys)))
    return False


def _others(difference: Difference, before: dict, after: dict, described: set[str]) -> None:
    """Any top-level field the sentences above do not cover, so that no change goes unmentioned."""
    for key in sorted((before.keys() | after.keys()) - described):
        if before.get(key) != after.get(key):
            difference.add(Phrase(N_("%(field)s changed: now %(value)s."), field=key, value=_value(after.get(key))))


# The labels of the requirements' fields that are said "label: value" or "label changed from … to …".
REQUIREMENTS_LABELS = {
    "effective_from": N_("Effective from"),
    "travellers_allowed": N_("Travellers allowed"),
    "max_supply_days": N_("Maximum supply (days)"),
    "retail_package_exemption": N_("One retail package exempt"),
    "document_languages": N_("Document languages"),
    "translation_required": N_("Translation required"),
    "transit": N_("Transit"),
}
CUSTOMS_LABELS = {
    "declare_on_entry": N_("Customs, declare on entry"),
    "endorsement": N_("Customs, endorsement"),
    "show_on_request": N_("Customs, show on request"),
}
TEXT_LABELS = {
    "transit_notes": N_("Transit notes"),
    "treatment_continuity": N_("Continuity of treatment information"),
    "notes": N_("Notes"),
    "legal_basis": N_("Legal basis"),
}


def _requirements(difference: Difference, before: dict, after: dict) -> None:
    first = not before
    for key, label in REQUIREMENTS_LABELS.items():
        _scalar(difference, before, after, key, label, first=first)
    old_customs, new_customs = before.get("customs") or {}, after.get("customs") or {}
    for key, label in CUSTOMS_LABELS.items():
        _scalar(difference, old_customs, new_customs, key, label, first=first)

    rule_key = lambda rule: tuple(rule["applies_to"])  # noqa: E731
    whole = _order(difference, N_("Rules"), before.get("rules", []), after.get("rules", []), rule_key)
    old_rules = {} if whole else _keyed(before.get("rules", []), rule_key)
    new_rules = {} if whole else _keyed(after.get("rules", []), rule_key)
    for key, rule in new_rules.items():
        substances = {item for item in key if not _is_class(item)}
        if key not in old_rules:
            difference.add(_with_details(N_("Rule added: %(rule)s."), N_("Rule added: %(rule)s (%(details)s)."), rule,
                                         rule=rule_phrase(rule)), substances)
        elif old_rules[key] != rule:
            difference.add(Phrase(N_("Rule changed: was %(old)s; now %(new)s (%(fields)s)."), old=rule_phrase(old_rules[key]),
                                  new=rule_phrase(rule), fields=_fields(old_rules[key], rule)), substances)
    for key, rule in old_rules.items():
        if key not in new_rules:
            difference.add(Phrase(N_("Rule removed: %(rule)s."), rule=rule_phrase(rule)), {item for item in key if not _is_class(item)})

    exception_key = lambda item: tuple(item["substances"])  # noqa: E731
    whole = _order(difference, N_("Supply exceptions"), before.get("supply_exceptions", []), after.get("supply_exceptions", []), exception_key)
    old_exceptions = {} if whole else _keyed(before.get("supply_exceptions", []), exception_key)
    new_exceptions = {} if whole else _keyed(after.get("supply_exceptions", []), exception_key)
    for key, item in new_exceptions.items():
        if key not in old_exceptions:
            difference.add(_with_details(N_("Supply exception added: up to %(days)s days for %(substances)s."),
                                         N_("Supply exception added: up to %(days)s days for %(substances)s (%(details)s)."), item,
                                         days=str(item["max_supply_days"]), substances=Listing(key)), key)
        elif old_exceptions[key] != item:
            difference.add(Phrase(N_("Supply exception for %(substances)s changed: now up to %(days)s days (%(fields)s)."),
                                  substances=Listing(key), days=str(item["max_supply_days"]), fields=_fields(old_exceptions[key], item)), key)
    for key in old_exceptions.keys() - new_exceptions.keys():
        difference.add(Phrase(N_("Supply exception removed for %(substances)s."), substances=Listing(key)), key)
    # An empty list of exceptions is a statement ("none"), which a document may also leave out.
    if ("supply_exceptions" in before) != ("supply_exceptions" in after) and not after.get("supply_exceptions"):
        difference.add(Phrase(N_("Supply exceptions: none.") if "supply_exceptions" in after else N_("Supply exceptions: no longer stated.")))

    for key, label in TEXT_LABELS.items():
        _text(difference, before, after, key, label)
    _others(difference, before, after, {*REQUIREMENTS_LABELS, "customs", "rules", "supply_exceptions", *TEXT_LABELS})
    _others(difference, before.get("customs") or {}, after.get("customs") or {}, set(CUSTOMS_LABELS))


def _authorities(difference: Difference, before: dict, after: dict) -> None:
    first = not before
    _scalar(difference, before, after, "effective_from", REQUIREMENTS_LABELS["effective_from"], first=first)
    name_of = lambda item: item["name"]  # noqa: E731
    whole = _order(difference, N_("Authorities"), before.get("authorities", []), after.get("authorities", []), name_of)
    old = {} if whole else _keyed(before.get("authorities", []), name_of)
    new = {} if whole else _keyed(after.get("authorities", []), name_of)
    for name, authority in new.items():
        if name not in old:
            difference.add(Phrase(N_("Authority added: %(name)s (%(roles)s): %(value)s."), name=name,
                                  roles=Listing(authority["roles"]), value=_value(authority)))
        elif old[name] != authority:
            difference.add(Phrase(N_("Authority %(name)s changed: %(fields)s."), name=name, fields=_fields(old[name], authority)))
    for name in old.keys() - new.keys():
        difference.add(Phrase(N_("Authority removed: %(name)s."), name=name))
    _others(difference, before, after, {"effective_from", "authorities"})


def _ban_phrase(ban: dict) -> Phrase:
    where = ban.get("region") or Phrase(N_("whole country"))
    licence = Phrase(N_("special licence possible") if ban["special_licence"] else N_("no special licence"))
    return Phrase(N_("%(substance)s (%(region)s), since %(since)s, %(licence)s"), substance=ban["substance"], region=where,
                  since=ban["since"], licence=licence)


def _with_details(template: str, detailed: str, item: dict, **values: Words) -> Phrase:
    """A new item's sentence, with its fields beyond the summary phrase (a ban's reference, a rule's notes, an
    exception's reason) in full, when it has any."""
    extra = {key: value for key, value in item.items() if key in ("reference", "notes", "reason") and value is not None}
    if not extra:
        return Phrase(template, **values)
    details = Listing((Listing((key, _value(value)), " ") for key, value in sorted(extra.items())), "; ")
    return Phrase(detailed, details=details, **values)


def _import_bans(difference: Difference, before: dict, after: dict) -> None:
    first = not before
    _scalar(difference, before, after, "effective_from", REQUIREMENTS_LABELS["effective_from"], first=first)
    ban_key = lambda ban: (ban["substance"], ban.get("region"))  # noqa: E731
    whole = _order(difference, N_("Bans"), before.get("bans", []), after.get("bans", []), ban_key)
    old = {} if whole else _keyed(before.get("bans", []), ban_key)
    new = {} if whole else _keyed(after.get("bans", []), ban_key)
    for key, ban in new.items():
        if key not in old:
            difference.add(_with_details(N_("Ban added: %(ban)s."), N_("Ban added: %(ban)s (%(details)s)."), ban, ban=_ban_phrase(ban)),
                           {ban["substance"]})
        elif old[key] != ban:
            difference.add(Phrase(N_("Ban changed: now %(ban)s (%(fields)s)."), ban=_ban_phrase(ban), fields=_fields(old[key], ban)),
                           {ban["substance"]})
    for key, ban in old.items():
        if key not in new:
            difference.add(Phrase(N_("Ban lifted: %(ban)s."), ban=_ban_phrase(ban)), {ban["substance"]})
    if first and not new and not whole:
        difference.add(Phrase(N_("No substance is banned.")))
    _others(difference, before, after, {"effective_from", "bans"})


_DESCRIBERS = {"requirements": _requirements, "authorities": _authorities, "import-bans": _import_bans}
