"""The editor's problems in words people read: the field as the form shows it, not its path in the document.

The validator (registry/documents.py) files problems by path (``bans.0.substance``) for
the API's clients; the console names the field as its label reads ("Ban 1, substance")
and, for a substance it does not know, offers the known names closest to what was typed.
"""
from flask_babel import gettext as _, lazy_gettext as _l

from ..i18n import close_substances, language, substance_key, substance_name

# A list's items, by the list's name: "%(number)s" is the item's place, counting from 1.
ITEMS = {
    "rules": _l("Rule %(number)s"),
    "supply_exceptions": _l("Supply exception %(number)s"),
    "legal_basis": _l("Legal basis %(number)s"),
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


def in_words(document: dict, problems: dict[str, list[str]]) -> dict[str, list[str]]:
    """The problems, with an unknown substance said plainly and the closest known names offered."""
    worded = {}
    for path, messages in problems.items():
        typed = _value_at(document, path)
        if _is_substance(path) and isinstance(typed, str) and substance_key(typed) is None:
            sentence = _("“%(typed)s” is not a substance we know.", typed=typed)
            close = close_substances(typed)
            if close:
                sentence += " " + _("Did you mean %(names)s?", names=" / ".join(substance_name(key) for key in close))
            messages = [sentence]
        worded[path] = messages
    return worded
