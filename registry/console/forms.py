"""The console's editors: a section document as form fields and back.

An editor works on a *draft*: the document's shape with every value as the text
of a form field. Field names are the document's own paths (``rules.0.threshold``),
so the problems that ``documents.validate_document`` reports by path land next
to the field they concern. The draft is turned back into a document without
judging it: a number that is not a number stays text, and the document schemas —
the one place where validation lives — say what is wrong. A document of the wrong
shape (a preview's hidden copy, altered) becomes a draft of what fits the fields.

Editing must not change what the author did not touch, or republishing an
unchanged section would list differences. So lists keep their order, checked
boxes keep the order they were ticked in the document, and each object remembers
(in a hidden ``_keys`` field) which optional fields it had, so that an empty
optional field comes back as it was: absent, null or an empty list.

Nobody types a code: classes, substances, document kinds, roles, languages and countries are
ticked or chosen from lists that name them in the officer's language (wording.Choices), and
the form sends their codes. A class or substance sent by one of its names instead (a script,
an old form) is stored as its key all the same.
"""
import re
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from ..documents import AUTHORITY_ROLES, DOCUMENT_KINDS
from ..i18n import schedule_class_key, substance_key
from . import wording

KEYS = "_keys"
INTEGER = re.compile(r"^[+-]?[0-9]+$")
DECIMAL = re.compile(r"^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$")
ROWS_MAX = 200  # rows an editor accepts per list: a form cannot grow without bound


class FormField:
    """How one field travels between document, form and draft (this base: one line of text)."""

    def from_document(self, value):
        return "" if value is None else str(value)

    def from_form(self, form: MultiDict, name: str):
        value = form.get(name, "")
        return value if value.strip() else ""

    def to_document(self, draft):
        """(present, value) for the document; absent when the field was left empty."""
        return (True, draft) if draft != "" else (False, None)

    def blank(self):
        return ""

    def paths(self, draft, name: str):
        yield name


class LineField(FormField):
    """Text, a date or a choice, as typed."""


class WholeNumberField(FormField):
    """A whole number; anything else is passed on as text for the validator to name."""

    def to_document(self, draft):
        if draft == "":
            return False, None
        return True, int(draft) if INTEGER.match(draft.strip()) else draft


class NumberField(FormField):
    """A number of milligrams: whole or decimal; anything else is passed on as text."""

    def to_document(self, draft):
        if draft == "":
            return False, None
        text = draft.strip()
        if INTEGER.match(text):
            return True, int(text)
        return True, float(text) if DECIMAL.match(text) else draft


class YesNoField(FormField):
    """true, false, or not stated."""

    def from_document(self, value):
        return "" if value is None else ("yes" if value else "no")

    def to_document(self, draft):
        if draft in ("yes", "no"):
            return True, draft == "yes"
        return False, None


class ChecksField(FormField):
    """Checkboxes out of a fixed list; the ticked ones in the order the document had them."""

    def __init__(self, choices):
        self.choices = tuple(choices)

    def from_document(self, value):
        return _texts(value)

    def from_form(self, form, name):
        return [value for value in form.getlist(name) if value]

    def to_document(self, draft):
        return True, list(draft)

    def blank(self):
        return []

    def ordered(self, draft) -> list[str]:
        """The boxes to show: the ticked ones first, in their order, then the others."""
        return list(draft) + [choice for choice in self.choices if choice not in draft]


class TickedField(ChecksField):
    """Codes ticked out of a long list the editor words (languages: wording.Choices), in the order the document had
    them; none ticked is as if the field were absent."""

    def __init__(self):
        super().__init__(())

    def from_form(self, form, name):
        return [value.strip() for value in form.getlist(name) if value.strip()]

    def to_document(self, draft):
        return (True, list(draft)) if draft else (False, [])


class ValuesField(FormField):
    """A list of single lines of text, one input each (an address's lines)."""

    def from_document(self, value):
        return _texts(value)

    def from_form(self, form, name):
        return [form.get(f"{name}.{index}", "") for index in _indices(form, name)]

    def to_document(self, draft):
        return True, [value for value in draft if value.strip()]

    def blank(self):
        return [""]

    def row(self):
        return ""

    def paths(self, draft, name):
        yield name
        for index in range(len(draft)):
            yield f"{name}.{index}"


def _substance(text: str) -> str:
    """A substance (or schedule class) sent by any known name in any case, as its key; anything else as sent."""
    return substance_key(text) or schedule_class_key(text) or text


class SubstanceField(LineField):
    """One substance, chosen from a list (its key) or sent by any of its names in any case, stored as its key."""

    def to_document(self, draft):
        present, value = super().to_document(draft)
        return present, _substance(value) if present else value


class SubstancesField(TickedField):
    """Schedule classes and substances ticked from lists (or sent by any known name in any case), stored as keys;
    each has a place of its own for its problems ("Rule 1, substance or class 2")."""

    def to_document(self, draft):
        return True, [_substance(value) for value in draft]

    def paths(self, draft, name):
        yield name
        for index in range(len(draft)):
            yield f"{name}.{index}"


class TextField(FormField):
    """Text in several languages, {"en": "…", "fr": "…"}, as rows of language and text."""

    def from_document(self, value):
        items = value.items() if isinstance(value, dict) else ()
        return [{"lang": str(lang), "text": _text(text)} for lang, text in items]

    def from_form(self, form, name):
        # Browsers send every line break of a textarea as CR LF (HTML, "constructing the entry
        # list"); documents hold line breaks as LF, and the validator refuses CR.
        return [
            {"lang": form.get(f"{name}.{index}.lang", "").strip(),
             "text": form.get(f"{name}.{index}.text", "").replace("\r\n", "\n")}
            for index in _indices(form, name)
        ]

    def to_document(self, draft):
        text = {row["lang"]: row["text"] for row in draft if row["lang"] or row["text"].strip()}
        return (True, text) if text else (False, None)

    def blank(self):
        return []

    def row(self):
        return {"lang": "", "text": ""}

    def paths(self, draft, name):
        yield name


@dataclass
class ObjectField(FormField):
    """An object with named fields; `nullable` fields come back as null when they were null."""

    fields: dict
    optional: bool = False
    nullable: tuple = ()
    always: tuple = ()  # list fields to send even when empty (the validator wants them)

    def from_document(self, value):
        value = value if isinstance(value, dict) else {}
        draft = {name: kind.from_document(value.get(name)) for name, kind in self.fields.items()}
        draft[KEYS] = " ".join(sorted(key for key in value if key in self.fields))
        return draft

    def from_form(self, form, name):
        draft = {key: kind.from_form(form, _join(name, key)) for key, kind in self.fields.items()}
        draft[KEYS] = form.get(_join(name, KEYS), "")
        return draft

    def to_document(self, draft):
        had = set(draft.get(KEYS, "").split())
        document = {}
        for name, kind in self.fields.items():
            present, value = kind.to_document(draft[name])
            if present:
                document[name] = value
            elif name in self.always:
                document[name] = value if value is not None else []
            elif name in had and name in self.nullable:
                document[name] = None  # left empty, and the document had it as null
            elif name in had and isinstance(kind, LISTS):
                document[name] = []
        if self.optional and not any(key in document for key in self.fields):
            return False, None
        return True, document

    def blank(self):
        draft = {name: kind.blank() for name, kind in self.fields.items()}
        draft[KEYS] = ""
        return draft

    def paths(self, draft, name):
        if name:
            yield name
        for key, kind in self.fields.items():
            yield from kind.paths(draft[key], _join(name, key))


@dataclass
class RowsField(FormField):
    """A repeatable list of objects (rules, authorities, bans)."""

    item: ObjectField

    def from_document(self, value):
        return [self.item.from_document(row) for row in value] if isinstance(value, list) else []

    def from_form(self, form, name):
        return [self.item.from_form(form, f"{name}.{index}") for index in _indices(form, name)]

    def to_document(self, draft):
        rows = [self.item.to_document(row)[1] for row in draft]
        return (True, rows) if rows else (False, [])

    def blank(self):
        return []

    def row(self):
        return self.item.blank()

    def paths(self, draft, name):
        yield name
        for index, row in enumerate(draft):
            yield from self.item.paths(row, f"{name}.{index}")


LISTS = (ChecksField, ValuesField, RowsField)


def _text(value) -> str:
    return "" if value is None else str(value)


def _texts(value) -> list[str]:
    return [_text(item) for item in value] if isinstance(value, list) else []


def _within(path: str, prefix: str) -> bool:
    """Whether a field's path is that field or one below it (``rules.0.notes`` is within ``rules``)."""
    return path == prefix or path.startswith(prefix + ".")


def _join(prefix: str, key) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _indices(form: MultiDict, name: str) -> list[int]:
    """The row numbers posted under a list field, in order (rows are posted as name.N…)."""
    prefix = name + "."
    found = set()
    for key in form.keys():
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if head.isdigit() and len(head) <= 4:
                found.add(int(head))
    return sorted(found)[:ROWS_MAX]


# -- the three sections ---------------------------------------------------------------------

RULE = ObjectField({
    "applies_to": SubstancesField(),
    "documents": ChecksField(DOCUMENT_KINDS),
    "threshold": LineField(),
    "threshold_mg": NumberField(),
    "threshold_days": WholeNumberField(),
    "permit_lead_days": WholeNumberField(),
    "notes": TextField(),
}, always=("applies_to", "documents"))

SPECS = {
    "requirements": ObjectField({
        "effective_from": LineField(),
        "travellers_allowed": LineField(),
        "max_supply_days": WholeNumberField(),
        "supply_exceptions": RowsField(ObjectField({"substances": SubstancesField(), "max_supply_days": WholeNumberField(), "reason": TextField()}, always=("substances",))),
        "retail_package_exemption": YesNoField(),
        "rules": RowsField(RULE),
        "document_languages": TickedField(),
        "translation_required": YesNoField(),
        "customs": ObjectField({"declare_on_entry": YesNoField(), "endorsement": YesNoField(), "show_on_request": YesNoField()}),
        "transit": LineField(),
        "transit_notes": TextField(),
        "treatment_continuity": ObjectField({"extension_possible": YesNoField(), "how": TextField()}, optional=True),
        "notes": TextField(),
        "legal_basis": RowsField(ObjectField({"title": LineField(), "url": LineField(), "date": LineField()})),
    }, always=("rules",)),
    "authorities": ObjectField({
        "effective_from": LineField(),
        "authorities": RowsField(ObjectField({
            "roles": ChecksField(AUTHORITY_ROLES),
            "name": LineField(),
            "address": ObjectField({"lines": ValuesField(), "city": LineField(), "postal_code": LineField(), "country": LineField()},
                           nullable=("postal_code",), always=("lines",)),
            "phone": LineField(),
            "fax": LineField(),
            "email": LineField(),
            "website": LineField(),
            "languages": TickedField(),
            "notes": TextField(),
        }, nullable=("phone", "fax", "email", "website"), always=("roles",))),
    }, always=("authorities",)),
    "import-bans": ObjectField({
        "effective_from": LineField(),
        "bans": RowsField(ObjectField({
            "substance": SubstanceField(),
            "since": LineField(),
            "region": LineField(),
            "special_licence": YesNoField(),
            "reference": LineField(),
            "notes": TextField(),
        }, nullable=("region", "reference"))),
    }, always=("bans",)),
}


@dataclass
class Draft:
    """A section being edited: its values as form text, and the problems found, by field."""

    section: str
    values: dict
    errors: dict = field(default_factory=dict)

    def document(self) -> dict:
        return SPECS[self.section].to_document(self.values)[1]

    def opens(self, fields, action: str = "", *, added_to=()) -> bool:
        """Whether the part of the editor that holds these fields opens: a problem lies in them, or the row the
        form's `action` added or removed (``add:rules``, ``remove:rules.2``) does; `added_to` are lists whose new
        row is this part."""
        verb, _sep, target = action.partition(":")
        if any(_within(path, prefix) for path in self.errors for prefix in fields):
            return True
        if verb == "add":
            return target in added_to or any(_within(target, prefix) for prefix in fields)
        # A removed row is gone: the part that follows it in its place stays as it was.
        return verb == "remove" and any(_within(target, prefix) and target != prefix for prefix in fields)


def from_document(section: str, document: dict | None) -> Draft:
    """The draft of a published document (or an empty one for a first publication)."""
    spec = SPECS[section]
    return Draft(section, spec.from_document(document) if document else spec.blank())


def from_form(section: str, form: MultiDict) -> Draft:
    return Draft(section, SPECS[section].from_form(form, ""))


def _kind_at(section: str, path: str) -> FormField:
    """The kind of field at a path of the draft."""
    kind = SPECS[section]
    for part in path.split(".") if path else []:
        if isinstance(kind, ObjectField) and part in kind.fields:
            kind = kind.fields[part]
        elif isinstance(kind, RowsField) and part.isdigit():
            kind = kind.item
        else:
            raise KeyError(path)
    return kind


def _container(values, path: str):
    node = values
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def add_row(draft: Draft, path: str) -> bool:
    """Append an empty row to the list at path; False when there is no such list."""
    try:
        kind = _kind_at(draft.section, path)
        rows = _container(draft.values, path)
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    if not isinstance(kind, (RowsField, ValuesField, TextField)) or not isinstance(rows, list) or len(rows) >= ROWS_MAX:
        return False
    rows.append(kind.row())
    return True


def remove_row(draft: Draft, path: str) -> bool:
    """Remove the row at path (``rules.2``); False when there is no such row."""
    head, _, index = path.rpartition(".")
    if not index.isdigit():
        return False
    try:
        kind = _kind_at(draft.section, head)
        rows = _container(draft.values, head)
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    if not isinstance(kind, (RowsField, ValuesField, TextField)) or not isinstance(rows, list) or int(index) >= len(rows):
        return False
    del rows[int(index)]
    return True


def attach_errors(draft: Draft, problems: dict[str, list[str]]) -> None:
    """File each problem under the nearest field the editor shows (``rules.0.notes.de`` → ``rules.0.notes``)."""
    shown = set(SPECS[draft.section].paths(draft.values, ""))
    draft.errors = {}
    for path, messages in wording.in_words(draft.document(), problems).items():
        anchor = path
        while anchor and anchor not in shown:
            anchor = anchor.rpartition(".")[0]
        draft.errors.setdefault(anchor, []).extend(messages)


def checks_order(section: str, path: str, ticked: list[str]) -> list[str]:
    """The checkboxes of a field in the order to show them."""
    return _kind_at(section, path).ordered(ticked)
