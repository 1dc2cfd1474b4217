"""What changed between two versions of a section, in sentences people read.

`describe` returns the sentences that become a version's `changes`, and the
substances whose rules the change touched (for the per-substance feed): a
substance is touched when a rule, supply exception or ban that names it is added,
removed or altered.
"""
import json
from dataclasses import dataclass, field


@dataclass
class Difference:
    sentences: list[str] = field(default_factory=list)
    substances: set[str] = field(default_factory=set)

    def add(self, sentence: str, substances=()) -> None:
        self.sentences.append(sentence)
        self.substances.update(substances)


def describe(section: str, before: dict | None, after: dict | None) -> Difference:
    """The differences from `before` (None: nothing in force) to `after` (None: withdrawn)."""
    difference = Difference()
    if after is None:
        difference.add(f"The {SECTION_PHRASES[section]} section was withdrawn; nothing is in force.", _named(section, before))
        return difference
    if before is None:
        difference.add(f"First notification of {SECTION_PHRASES[section]}.", _named(section, after))
        _DESCRIBERS[section](difference, {}, after)
        return difference
    _DESCRIBERS[section](difference, before, after)
    if not difference.sentences:
        difference.add("Republished without any change in content.")
    return difference


SECTION_PHRASES = {
    "requirements": "documentary requirements",
    "authorities": "issuing authorities",
    "import-bans": "article 13 import bans",
}


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


def _show(value) -> str:
    if value is None:
        return "not stated"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) if value else "none"
    return str(value)


def _value(value) -> str:
    """A value in full and unambiguously: free text quoted, structures as JSON, so two different values never read the same."""
    if value is None or isinstance(value, (bool, int, float)):
        return _show(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _fields(old: dict, new: dict) -> str:
    """Every field that differs between two items, with its value before and after."""
    keys = sorted(old.keys() | new.keys())
    return "; ".join(f"{key} was {_value(old.get(key))}, now {_value(new.get(key))}" for key in keys if old.get(key) != new.get(key))


def _scalar(difference: Difference, before: dict, after: dict, key: str, label: str, *, first: bool) -> None:
    old, new = before.get(key), after.get(key)
    if old == new:
        return
    if first:
        if new is not None:
            difference.add(f"{label}: {_show(new)}.")
    else:
        difference.add(f"{label} changed from {_show(old)} to {_show(new)}.")


def _text(difference: Difference, before: dict, after: dict, key: str, label: str) -> None:
    old, new = before.get(key), after.get(key)
    if old == new:
        return
    if old is None:
        difference.add(f"{label} added: {_value(new)}.")
    elif new is None:
        difference.add(f"{label} removed.")
    else:
        difference.add(f"{label} changed: now {_value(new)}.")


def _number(value) -> str:
    """A number as short as it can be written without losing any of it."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def threshold_phrase(rule: dict) -> str:
    """When a rule's documents are needed, in words."""
    threshold = rule["threshold"]
    if threshold == "always":
        return "always"
    if threshold == "guideline":
        return "above the guideline amount (Annex II/III)"
    if threshold == "amount":
        return f"above {_number(rule['threshold_mg'])} mg"
    return f"for a supply of more than {rule['threshold_days']} days"


def rule_phrase(rule: dict) -> str:
    """A rule in one phrase: documents, for what, when."""
    phrase = f"{', '.join(rule['documents'])} for {', '.join(rule['applies_to'])}, {threshold_phrase(rule)}"
    if "permit_lead_days" in rule:
        phrase += f" (apply {rule['permit_lead_days']} days ahead)"
    return phrase


def _keyed(items, key):
    return {key(item): item for item in items}


def _order(difference: Difference, label: str, before: list, after: list, key) -> bool:
    """Say so when a list's items were reordered, or hold the same key twice; True when the list was described whole."""
    old_keys, new_keys = [key(item) for item in before], [key(item) for item in after]
    if len(set(old_keys)) < len(old_keys) or len(set(new_keys)) < len(new_keys):
        if before != after:
            difference.add(f"{label} now: {_value(after)}.")
        return True
    kept = set(old_keys) & set(new_keys)
    if [item for item in old_keys if item in kept] != [item for item in new_keys if item in kept]:
        difference.add(f"{label} reordered: now {_value(new_keys)}.")
    return False


def _others(difference: Difference, before: dict, after: dict, described: set[str]) -> None:
    """Any top-level field the sentences above do not cover, so that no change goes unmentioned."""
    for key in sorted((before.keys() | after.keys()) - described):
        if before.get(key) != after.get(key):
            difference.add(f"{key} changed: now {_value(after.get(key))}.")


def _requirements(difference: Difference, before: dict, after: dict) -> None:
    first = not before
    _scalar(difference, before, after, "effective_from", "Effective from", first=first)
    _scalar(difference, before, after, "travellers_allowed", "Travellers allowed", first=first)
    _scalar(difference, before, after, "max_supply_days", "Maximum supply (days)", first=first)
    _scalar(difference, before, after, "retail_package_exemption", "One retail package exempt", first=first)
    _scalar(difference, before, after, "document_languages", "Document languages", first=first)
    _scalar(difference, before, after, "translation_required", "Translation required", first=first)
    _scalar(difference, before, after, "transit", "Transit", first=first)
    old_customs, new_customs = before.get("customs") or {}, after.get("customs") or {}
    for key, label in (("declare_on_entry", "declare on entry"), ("endorsement", "endorsement"), ("show_on_request", "show on request")):
        _scalar(difference, old_customs, new_customs, key, f"Customs, {label}", first=first)

    rule_key = lambda rule: tuple(rule["applies_to"])  # noqa: E731
    whole = _order(difference, "Rules", before.get("rules", []), after.get("rules", []), rule_key)
    old_rules = {} if whole else _keyed(before.get("rules", []), rule_key)
    new_rules = {} if whole else _keyed(after.get("rules", []), rule_key)
    for key, rule in new_rules.items():
        substances = {item for item in key if not _is_class(item)}
        if key not in old_rules:
            difference.add(f"Rule added: {rule_phrase(rule)}{_extra(rule)}.", substances)
        elif old_rules[key] != rule:
            difference.add(f"Rule changed: was {rule_phrase(old_rules[key])}; now {rule_phrase(rule)} ({_fields(old_rules[key], rule)}).", substances)
    for key, rule in old_rules.items():
        if key not in new_rules:
            difference.add(f"Rule removed: {rule_phrase(rule)}.", {item for item in key if not _is_class(item)})

    exception_key = lambda item: tuple(item["substances"])  # noqa: E731
    whole = _order(difference, "Supply exceptions", before.get("supply_exceptions", []), after.get("supply_exceptions", []), exception_key)
    old_exceptions = {} if whole else _keyed(before.get("supply_exceptions", []), exception_key)
    new_exceptions = {} if whole else _keyed(after.get("supply_exceptions", []), exception_key)
    for key, item in new_exceptions.items():
        if key not in old_exceptions:
            difference.add(f"Supply exception added: up to {item['max_supply_days']} days for {', '.join(key)}{_extra(item)}.", key)
        elif old_exceptions[key] != item:
            difference.add(f"Supply exception for {', '.join(key)} changed: now up to {item['max_supply_days']} days "
                           f"({_fields(old_exceptions[key], item)}).", key)
    for key in old_exceptions.keys() - new_exceptions.keys():
        difference.add(f"Supply exception removed for {', '.join(key)}.", key)
    # An empty list of exceptions is a statement ("none"), which a document may also leave out.
    if ("supply_exceptions" in before) != ("supply_exceptions" in after) and not after.get("supply_exceptions"):
        difference.add("Supply exceptions: none." if "supply_exceptions" in after else "Supply exceptions: no longer stated.")

    _text(difference, before, after, "transit_notes", "Transit notes")
    _text(difference, before, after, "treatment_continuity", "Continuity of treatment information")
    _text(difference, before, after, "notes", "Notes")
    _text(difference, before, after, "legal_basis", "Legal basis")
    _others(difference, before, after, {"effective_from", "travellers_allowed", "max_supply_days", "retail_package_exemption",
                                        "document_languages", "translation_required", "transit", "customs", "rules",
                                        "supply_exceptions", "transit_notes", "treatment_continuity", "notes", "legal_basis"})
    _others(difference, before.get("customs") or {}, after.get("customs") or {}, {"declare_on_entry", "endorsement", "show_on_request"})


def _authorities(difference: Difference, before: dict, after: dict) -> None:
    first = not before
    _scalar(difference, before, after, "effective_from", "Effective from", first=first)
    name_of = lambda item: item["name"]  # noqa: E731
    whole = _order(difference, "Authorities", before.get("authorities", []), after.get("authorities", []), name_of)
    old = {} if whole else _keyed(before.get("authorities", []), name_of)
    new = {} if whole else _keyed(after.get("authorities", []), name_of)
    for name, authority in new.items():
        if name not in old:
            difference.add(f"Authority added: {name} ({', '.join(authority['roles'])}): {_value(authority)}.")
        elif old[name] != authority:
            difference.add(f"Authority {name} changed: {_fields(old[name], authority)}.")
    for name in old.keys() - new.keys():
        difference.add(f"Authority removed: {name}.")
    _others(difference, before, after, {"effective_from", "authorities"})


def _ban_phrase(ban: dict) -> str:
    where = ban.get("region") or "whole country"
    licence = "special licence possible" if ban["special_licence"] else "no special licence"
    return f"{ban['substance']} ({where}), since {ban['since']}, {licence}"


def _extra(item: dict) -> str:
    """A new item's fields beyond its summary phrase (a ban's reference, a rule's notes, an exception's reason), in full."""
    extra = {key: value for key, value in item.items() if key in ("reference", "notes", "reason") and value is not None}
    return f" ({'; '.join(f'{key} {_value(value)}' for key, value in sorted(extra.items()))})" if extra else ""


def _import_bans(difference: Difference, before: dict, after: dict) -> None:
    first = not before
    _scalar(difference, before, after, "effective_from", "Effective from", first=first)
    ban_key = lambda ban: (ban["substance"], ban.get("region"))  # noqa: E731
    whole = _order(difference, "Bans", before.get("bans", []), after.get("bans", []), ban_key)
    old = {} if whole else _keyed(before.get("bans", []), ban_key)
    new = {} if whole else _keyed(after.get("bans", []), ban_key)
    for key, ban in new.items():
        if key not in old:
            difference.add(f"Ban added: {_ban_phrase(ban)}{_extra(ban)}.", {ban["substance"]})
        elif old[key] != ban:
            difference.add(f"Ban changed: now {_ban_phrase(ban)} ({_fields(old[key], ban)}).", {ban["substance"]})
    for key, ban in old.items():
        if key not in new:
            difference.add(f"Ban lifted: {_ban_phrase(ban)}.", {ban["substance"]})
    if first and not new and not whole:
        difference.add("No substance is banned.")
    _others(difference, before, after, {"effective_from", "bans"})


_DESCRIBERS = {"requirements": _requirements, "authorities": _authorities, "import-bans": _import_bans}
