"""The three section documents and their validation (docs/api.md, "Section documents").

Validation lives here and only here. The marshmallow schemas below check every
document an authority submits; `validate(section, document)` returns the problems
as a mapping from field path (``rules.0.documents.1``) to plain sentences. The
document that is stored is the one submitted: these schemas judge it, they do
not rewrite it (only `normalized` writes whole numbers as integers). The JSON Schemas in ``schemas/`` describe the same rules
and a test keeps the two in agreement.
"""
import json
import math
import re
import unicodedata
from datetime import date

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from . import reference

SECTIONS = ("requirements", "authorities", "import-bans")
DOCUMENT_KINDS = (
    "prescription",
    "physician-letter",
    "certificate",
    "import-permit",
    "schengen-certificate",
    "customs-declaration",
)
THRESHOLDS = ("always", "guideline", "amount", "days")
TRAVELLERS_ALLOWED = ("yes", "restricted", "no")
TRANSIT = ("same-as-entry", "not-required", "own-rules")
AUTHORITY_ROLES = ("permits", "certificates", "competent-authority", "enquiries", "exceptions")
# Article 13 of the 1971 Convention reaches only these schedules (GUIDELINES ¶10, ¶28).
BANNABLE_CLASSES = ("1971-II", "1971-III", "1971-IV")

LINE_MAX = 300  # characters in a name, title or address line
TEXT_MAX = 10_000  # characters in one language of a text people read
URL_MAX = 2_000
DAYS_MAX = 3_650  # ten years of supply is already far beyond any rule
MG_MAX = 10_000_000  # 10 kg of active substance: anything above is a typing error
MG_MIN = 0.001  # one microgram; also keeps every amount out of exponent notation when hashed

PHONE = re.compile(r"^\+[1-9][0-9]{0,3}( ?[0-9]{1,14}){1,8}$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def bad_characters(value: str, *, multiline: bool = False) -> str | None:
    """Why a string cannot be stored, or None: control characters, lone surrogates, non-characters."""
    for char in value:
        code = ord(char)
        if char == "\n" and multiline:
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            return f"contains the control character U+{code:04X}, which is not allowed"
        if category == "Cs":
            return f"contains an unpaired surrogate U+{code:04X}, which is not text"
        if code in (0xFFFE, 0xFFFF) or 0xFDD0 <= code <= 0xFDEF:
            return f"contains the non-character U+{code:04X}, which is not allowed"
    return None


MESSAGES = {"required": "This field is required.", "null": "This field may not be null."}


def _required(**kwargs):
    return {"required": True, "error_messages": MESSAGES, **kwargs}


class Line(fields.Field):
    """A single line of text, bounded in length."""

    def __init__(self, *, max_length: int = LINE_MAX, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Must be a string.")
        if not value.strip():
            raise ValidationError("Must not be empty.")
        problem = bad_characters(value)
        if problem:
            raise ValidationError(f"The text {problem}; a line of text may not contain line breaks or other control characters.")
        if len(value) > self.max_length:
            raise ValidationError(f"Is {len(value)} characters long; at most {self.max_length} are allowed.")
        return value


class Choice(fields.Field):
    """One value out of a fixed list, named in the error."""

    def __init__(self, choices, *, what: str = "value", **kwargs):
        super().__init__(**kwargs)
        self.choices = tuple(choices)
        self.what = what

    def _deserialize(self, value, attr, data, **kwargs):
        if value not in self.choices or not isinstance(value, str):
            raise ValidationError(f"{_show(value)} is not a {self.what}; allowed: {', '.join(self.choices)}.")
        return value


class Flag(fields.Field):
    """true or false, and nothing that merely looks like it."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError(f"Must be true or false, not {_show(value)}.")
        return value


class WholeNumber(fields.Field):
    """An integer in a range. JSON true/false are not integers; 30.0 is 30, as JSON and JSON Schema
    count it (the schemas in schemas/ and the OpenAPI description say "integer"), and is read as 30."""

    def __init__(self, *, minimum: int, maximum: int, unit: str = "", **kwargs):
        super().__init__(**kwargs)
        self.minimum, self.maximum, self.unit = minimum, maximum, unit

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"Must be a whole number, not {_show(value)}.")
        if not self.minimum <= value <= self.maximum:
            raise ValidationError(f"Must be between {self.minimum} and {self.maximum}{self.unit}; got {_show(value)}.")
        return value


class Amount(fields.Field):
    """A positive number of milligrams."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(f"Must be a number of milligrams, not {_show(value)}.")
        # Compared as they are: an integer of hundreds of digits has no float (math.isfinite raised OverflowError).
        if not MG_MIN <= value <= MG_MAX:
            raise ValidationError(f"Must be at least {MG_MIN} and at most {MG_MAX} mg; got {_show(value)}.")
        return value


class Day(fields.Field):
    """A real calendar date written YYYY-MM-DD."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not DATE.fullmatch(value):
            raise ValidationError(f"Must be a date written YYYY-MM-DD, not {_show(value)}.")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{value} is not a real date.") from None
        return value


class Language(fields.Field):
    """An ISO 639-1 language code, lower case."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not reference.is_language(value):
            raise ValidationError(f"{_show(value)} is not an ISO 639-1 language code (two lower-case letters such as en, fr, zh).")
        return value


class CountryCode(fields.Field):
    """An ISO 3166-1 alpha-2 country code, upper case."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or reference.country(value) is None:
            raise ValidationError(country_code_problem(value))
        return value


def country_code_problem(value) -> str:
    """Why a value is not a country code, saying so plainly when it is one in lower case."""
    if isinstance(value, str) and value != value.upper() and reference.country(value.upper()) is not None:
        return f"Country codes are upper case: use {value.upper()!r}, not {value!r} (ISO 3166-1 alpha-2)."
    return f"{_show(value)} is not an ISO 3166-1 alpha-2 country code (two upper-case letters such as FR)."


class SubstanceKey(fields.Field):
    """The key of a substance in the reference data."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or reference.substance(value) is None:
            raise ValidationError(
                f"{_show(value)} is not a known substance key; keys are lower-case INNs joined by '-', "
                "as listed at /api/v1/substances."
            )
        return value


class ClassOrSubstance(fields.Field):
    """A schedule class (1961-I … 1971-IV) or a substance key."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and (value in reference.SCHEDULE_CLASSES or reference.substance(value)):
            return value
        raise ValidationError(
            f"{_show(value)} is neither a schedule class ({', '.join(reference.SCHEDULE_CLASSES)}) "
            "nor a known substance key."
        )


class Url(fields.Field):
    """An absolute http(s) URL."""

    _validate = validate.URL(schemes={"http", "https"}, require_tld=True)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > URL_MAX or bad_characters(value):
            raise ValidationError(f"Must be an http or https URL of at most {URL_MAX} characters.")
        try:
            self._validate(value)
        except ValidationError:
            raise ValidationError(f"{_show(value)} is not an absolute http or https URL.") from None
        return value


class Phone(fields.Field):
    """A telephone number in international form: +, country code, digits and spaces."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not PHONE.fullmatch(value):
            raise ValidationError(f"{_show(value)} is not in international form: '+', the country code, then digits and spaces, e.g. +33 1 55 87 30 00.")
        return value


class Email(fields.Field):
    """An e-mail address of an office (never a patient's)."""

    _validate = validate.Email()

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 254 or bad_characters(value):
            raise ValidationError("Must be an e-mail address.")
        try:
            self._validate(value)
        except ValidationError:
            raise ValidationError(f"{_show(value)} is not an e-mail address.") from None
        return value


class Text(fields.Field):
    """Text that people read, keyed by ISO 639-1 language: {"en": "…", "fr": "…"}."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError('Must be an object keyed by language code, e.g. {"en": "…", "fr": "…"}.')
        if not value:
            raise ValidationError("Give the text in at least one language.")
        errors = {}
        for lang, text in value.items():
            if not reference.is_language(lang):
                errors[lang] = [f"{_show(lang)} is not an ISO 639-1 language code (two lower-case letters such as en, fr, zh)."]
            elif not isinstance(text, str) or not text.strip():
                errors[lang] = ["Must be a non-empty string."]
            elif bad_characters(text, multiline=True):
                errors[lang] = [f"The text {bad_characters(text, multiline=True)}; only line breaks are allowed."]
            elif len(text) > TEXT_MAX:
                errors[lang] = [f"Is {len(text)} characters long; at most {TEXT_MAX} are allowed."]
        if errors:
            raise ValidationError(errors)
        return value


def _list(inner, *, minimum: int = 0, maximum: int, unique: bool = True, **kwargs):
    return UniqueList(inner, minimum=minimum, maximum=maximum, unique=unique, **kwargs)


class UniqueList(fields.List):
    """A bounded list whose items may not repeat."""

    def __init__(self, inner, *, minimum: int, maximum: int, unique: bool, **kwargs):
        super().__init__(inner, **kwargs)
        self.minimum, self.maximum, self.unique = minimum, maximum, unique

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("Must be a list.")
        if len(value) < self.minimum:
            raise ValidationError(f"Must have at least {self.minimum} item{'s' if self.minimum > 1 else ''}.")
        if len(value) > self.maximum:
            raise ValidationError(f"Has {len(value)} items; at most {self.maximum} are allowed.")
        result = super()._deserialize(value, attr, data, **kwargs)
        if self.unique:
            seen = set()
            for index, item in enumerate(value):
                marker = repr(item)
                if marker in seen:
                    raise ValidationError({index: [f"{_show(item)} is listed twice."]})
                seen.add(marker)
        return result


class BoundedList(fields.List):
    """A list whose length is checked before its items: a list of 300,000 empty objects is one
    problem ("at most 200"), not 900,000 (each item's missing fields)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list):
            for validator in self.validators:
                if isinstance(validator, validate.Length) and validator.max is not None and len(value) > validator.max:
                    validator(value)  # raises ValidationError with its own message
        return super()._deserialize(value, attr, data, **kwargs)


def _show(value) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "…"


class DocumentSchema(Schema):
    """Base: unknown fields are errors that name the fields allowed."""

    class Meta:
        unknown = RAISE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = ", ".join(self.fields)
        self.error_messages = {
            **self.error_messages,
            "unknown": f"Unknown field: there is no such field here. Allowed: {allowed}.",
            "type": "Must be an object.",
        }


def _nested(schema, **kwargs):
    kwargs.setdefault("error_messages", MESSAGES)
    return fields.Nested(schema, **{**kwargs, "error_messages": {**kwargs["error_messages"], "type": "Must be an object."}})


class SupplyException(DocumentSchema):
    substances = _list(SubstanceKey(), minimum=1, maximum=100, **_required())
    max_supply_days = WholeNumber(minimum=1, maximum=DAYS_MAX, unit=" days", **_required())
    reason = Text()


class Rule(DocumentSchema):
    applies_to = _list(ClassOrSubstance(), minimum=1, maximum=200, **_required())
    documents = _list(Choice(DOCUMENT_KINDS, what="document kind"), minimum=1, maximum=len(DOCUMENT_KINDS), **_required())
    threshold = Choice(THRESHOLDS, what="threshold", **_required())
    threshold_mg = Amount()
    threshold_days = WholeNumber(minimum=1, maximum=DAYS_MAX, unit=" days")
    permit_lead_days = WholeNumber(minimum=0, maximum=365, unit=" days")
    notes = Text()

    @validates_schema(skip_on_field_errors=False)
    def _threshold_fits(self, data, **kwargs):
        threshold = data.get("threshold")
        if threshold == "amount":
            if "threshold_mg" not in data:
                raise ValidationError("A threshold of 'amount' needs threshold_mg, the amount in milligrams.", "threshold_mg")
            classes = [item for item in data.get("applies_to", []) if item in reference.SCHEDULE_CLASSES]
            if classes:
                raise ValidationError(
                    f"A threshold of 'amount' applies only to substance keys, not to schedule classes ({', '.join(classes)}): "
                    "an amount means something only for one substance.",
                    "threshold",
                )
        elif "threshold_mg" in data:
            raise ValidationError("threshold_mg is used only with threshold 'amount'.", "threshold_mg")
        if threshold == "days":
            if "threshold_days" not in data:
                raise ValidationError("A threshold of 'days' needs threshold_days, the longest supply allowed without these documents.", "threshold_days")
        elif "threshold_days" in data:
            raise ValidationError("threshold_days is used only with threshold 'days'.", "threshold_days")
        if "permit_lead_days" in data and "import-permit" not in data.get("documents", []):
            raise ValidationError("permit_lead_days is used only in a rule whose documents include 'import-permit'.", "permit_lead_days")


class Customs(DocumentSchema):
    declare_on_entry = Flag(**_required())
    endorsement = Flag(**_required())
    show_on_request = Flag(**_required())


class TreatmentContinuity(DocumentSchema):
    extension_possible = Flag(**_required())
    how = Text()


class LegalBasis(DocumentSchema):
    title = Line(max_length=LINE_MAX * 2, **_required())
    url = Url()
    date = Day()


class Requirements(DocumentSchema):
    effective_from = Day(**_required())
    travellers_allowed = Choice(TRAVELLERS_ALLOWED, what="value of travellers_allowed", **_required())
    max_supply_days = WholeNumber(minimum=1, maximum=DAYS_MAX, unit=" days")
    supply_exceptions = BoundedList(_nested(SupplyException), validate=validate.Length(max=100))
    retail_package_exemption = Flag()
    rules = BoundedList(_nested(Rule), validate=validate.Length(max=200, error="At most {max} rules are allowed."), **_required())
    document_languages = _list(Language(), maximum=30)
    translation_required = Flag()
    customs = _nested(Customs, **_required())
    transit = Choice(TRANSIT, what="value of transit")
    transit_notes = Text()
    treatment_continuity = _nested(TreatmentContinuity)
    notes = Text()
    legal_basis = BoundedList(_nested(LegalBasis), validate=validate.Length(max=50))

    @validates_schema(skip_on_field_errors=False)
    def _transit_notes_fit(self, data, **kwargs):
        if data.get("transit") == "own-rules" and "transit_notes" not in data:
            raise ValidationError("transit 'own-rules' needs transit_notes saying what transit travellers must carry.", "transit_notes")
        if "transit_notes" in data and data.get("transit") != "own-rules":
            raise ValidationError("transit_notes is used only with transit 'own-rules'.", "transit_notes")


class Address(DocumentSchema):
    lines = _list(Line(), minimum=1, maximum=6, unique=False, **_required())
    city = Line(**_required())
    postal_code = Line(max_length=20, allow_none=True)
    country = CountryCode(**_required())


class Authority(DocumentSchema):
    roles = _list(Choice(AUTHORITY_ROLES, what="role"), minimum=1, maximum=len(AUTHORITY_ROLES), **_required())
    name = Line(**_required())
    address = _nested(Address, **_required())
    phone = Phone(allow_none=True)
    fax = Phone(allow_none=True)
    email = Email(allow_none=True)
    website = Url(allow_none=True)
    languages = _list(Language(), maximum=30)
    notes = Text()


class Authorities(DocumentSchema):
    effective_from = Day(**_required())
    authorities = BoundedList(_nested(Authority), validate=validate.Length(min=1, max=50, error="List between {min} and {max} authorities."), **_required())


class Ban(DocumentSchema):
    substance = SubstanceKey(**_required())
    since = Day(**_required())
    region = Line(allow_none=True)
    special_licence = Flag(**_required())
    reference = Line(max_length=200, allow_none=True)
    notes = Text()

    @validates_schema(skip_on_field_errors=True)
    def _bannable(self, data, **kwargs):
        found = reference.substance(data["substance"])
        if not set(found.schedules) & set(BANNABLE_CLASSES):
            classes = ", ".join(found.schedules) or "no schedule"
            raise ValidationError(
                f"Article 13 of the 1971 Convention covers only substances in its Schedules II, III and IV; "
                f"{found.inn} is in {classes}.",
                "substance",
            )


class ImportBans(DocumentSchema):
    effective_from = Day(**_required())
    bans = BoundedList(_nested(Ban), validate=validate.Length(max=1000), **_required())

    @validates_schema(skip_on_field_errors=False)
    def _each_ban_once(self, data, **kwargs):
        seen = {}
        for index, ban in enumerate(data.get("bans") or []):
            marker = (ban.get("substance"), ban.get("region"))
            if marker in seen:
                raise ValidationError(
                    {"bans": {index: {"substance": [f"The same substance is already banned for the same region at bans.{seen[marker]}."]}}}
                )
            seen[marker] = index


SCHEMAS = {"requirements": Requirements, "authorities": Authorities, "import-bans": ImportBans}


# What no request body holds, refused before any validation so that the work stays bounded
# whatever a 1 MiB body holds: the largest object, a Text, has one key per ISO 639-1 language
# (184); the largest document (1,000 bans, or 200 rules of 200 substances) has about 5,000
# objects and lists and 50,000 values; none is nested more than six levels deep.
KEYS_PER_OBJECT_MAX = 256
KEYS_MAX = 25_000
VALUES_MAX = 100_000
CONTAINERS_MAX = 10_000
DEPTH_MAX = 20
_TOO_LARGE = " Nothing was checked further."


def shape_problem(value) -> str | None:
    """Why a JSON value is too large in shape to be worth validating (too many fields in one object
    or in all, too many values, nested too deep), or None. One pass without recursion that stops
    at the first limit: cheap whatever the input."""
    keys = values = containers = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        containers += 1
        if containers > CONTAINERS_MAX:
            return f"The body has more than {CONTAINERS_MAX} objects and lists; no request here needs as many." + _TOO_LARGE
        if depth > DEPTH_MAX:
            return f"The body is nested more than {DEPTH_MAX} levels deep; nothing here is." + _TOO_LARGE
        values += len(item)
        if values > VALUES_MAX:
            return f"The body has more than {VALUES_MAX} values; no request here needs as many." + _TOO_LARGE
        if isinstance(item, dict):
            if len(item) > KEYS_PER_OBJECT_MAX:
                return f"An object has {len(item)} fields; no object here has more than {KEYS_PER_OBJECT_MAX}." + _TOO_LARGE
            keys += len(item)
            if keys > KEYS_MAX:
                return f"The body has more than {KEYS_MAX} fields in all; no request here needs as many." + _TOO_LARGE
            item = item.values()
        for child in item:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return None


def validate_document(section: str, document) -> dict[str, list[str]]:
    """Every problem with a submitted document, by field path; empty when it is valid."""
    if not isinstance(document, dict):
        return {"": ["The document must be a JSON object."]}
    too_large = shape_problem(document)
    if too_large:
        return {"": [too_large]}
    problems = {}
    _scan_strings(document, "", problems)
    if problems:
        return problems
    try:
        SCHEMAS[section]().load(document)
    except ValidationError as error:
        _flatten(error.messages, "", problems)
    return problems


def normalized(value):
    """The document with whole-number floats written as integers (1000.0 → 1000).

    JSON does not tell 1000.0 from 1000, but canonical JSON text would; writing whole
    numbers one way lets anyone, in any language, recompute the hash chain.
    """
    if isinstance(value, dict):
        return {key: normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalized(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _scan_strings(value, path: str, problems: dict) -> None:
    """Refuse characters that no field may hold, wherever they are (keys included)."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = _join(path, key)
            problem = bad_characters(key)
            if problem:
                problems.setdefault(where, []).append(f"The field name {problem}.")
            else:
                _scan_strings(item, where, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _scan_strings(item, _join(path, index), problems)
    elif isinstance(value, str):
        problem = bad_characters(value, multiline=True)
        if problem:
            problems.setdefault(path, []).append(f"The text {problem}.")


def _flatten(messages, path: str, out: dict) -> None:
    if isinstance(messages, dict):
        for key, inner in messages.items():
            _flatten(inner, path if key == "_schema" else _join(path, key), out)
    elif isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        out.setdefault(path, []).extend(messages)
    elif isinstance(messages, list):
        for item in messages:
            _flatten(item, path, out)
    else:
        out.setdefault(path, []).append(str(messages))


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


# -- problems, bounded -------------------------------------------------------------------------------

PROBLEMS_SHOWN = 50  # problems named in an answer or an audit record; the rest are counted
PROBLEMS_BYTES = 8_000  # and at most this much of them, as JSON, whatever the input
PATH_SHOWN = 120  # characters of a field path
MESSAGE_SHOWN = 500  # characters of one message (an unknown field's lists the fields allowed)


def bounded_problems(problems: dict | None) -> tuple[dict, int]:
    """The problems to show, and how many were left out: the first PROBLEMS_SHOWN by field path,
    paths and messages cut to a readable length, within PROBLEMS_BYTES of JSON.

    An error answer and an audit record stay a few kilobytes whatever the input, even a body of
    sixty thousand unknown fields; the API's answers and publishing's audit of refusals both use it.
    """
    shown, count, size, total = {}, 0, 2, 0
    for path in sorted(problems or {}, key=str):
        messages = problems[path]
        messages = messages if isinstance(messages, list) else [messages]
        total += len(messages)
        if count >= PROBLEMS_SHOWN or size >= PROBLEMS_BYTES:
            continue
        key = _cut(str(path), PATH_SHOWN)
        kept = []
        for message in messages:
            text = _cut(str(message), MESSAGE_SHOWN)
            cost = len(json.dumps(text)) + 2
            if count >= PROBLEMS_SHOWN or size + cost > PROBLEMS_BYTES:
                break
            kept.append(text)
            count, size = count + 1, size + cost
        if kept:
            shown.setdefault(key, []).extend(kept)
            size += len(json.dumps(key)) + 4
    return shown, total - count


def problem_count(problems: dict | None) -> int:
    return sum(len(messages) if isinstance(messages, list) else 1 for messages in (problems or {}).values())


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
