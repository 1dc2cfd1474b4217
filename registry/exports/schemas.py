"""The JSON Schemas (2020-12) in ``schemas/``: the section documents and the exports.

The section schemas are generated from the marshmallow schemas of registry/documents.py
and from the reference data (substance keys, languages, country codes), so that they
describe exactly the rules the registry enforces. JSON Schema can say everything the
registry checks but two things, where the schemas are therefore a little looser and
say so in their descriptions: a ban of the same substance in the same region twice,
and 30.0 written for the whole number 30 (JSON Schema counts both as the integer 30).

``python -m registry.exports.schemas`` rewrites the generated files; a test fails when
the files in ``schemas/`` are not what this module generates. The traveller check's
schemas (check-request, check-result) are written by hand and left alone here.
"""
import json
import sys
from pathlib import Path

from marshmallow import fields, validate

from .. import documents, reference

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"

# Characters no text may hold (documents.bad_characters): C0 and C1 controls, lone
# surrogates, non-characters. Lines may not hold a line break either.
_FORBIDDEN = "\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f\\ud800-\\udfff\\ufdd0-\\ufdef\\ufffe\\uffff"
FORBIDDEN_IN_TEXT = f"[{_FORBIDDEN}]"
FORBIDDEN_IN_LINE = f"[\\u000a{_FORBIDDEN}]"
HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
MOMENT = {"type": "string", "format": "date-time", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"}
DAY = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
HEADER_DESCRIPTIONS = {
    "format_version": "Version of this export format; it changes only when the format does.",
    "generated_at": "When this file was generated (RFC 3339, UTC).",
    "as_of": "The day (UTC) whose end state this describes, or null for the state when it was generated.",
    "last_seq": "seq of the last version included (0 when there is none).",
    "hash": "hash of that version: the head of the hash chain (64 zeros when there is none).",
    "demo": "true when the registry holds demonstration data, invented and not any country's rules.",
}

SECTION_TITLES = {
    "requirements": "What a country requires of incoming travellers carrying controlled medicines",
    "authorities": "The authorities that issue permits and certificates, or answer enquiries",
    "import-bans": "Import prohibitions under article 13 of the 1971 Convention",
}
# What the registry refuses and JSON Schema cannot express, by section.
LOOSER = {
    "requirements": " The registry also refuses 30.0 where a whole number is expected; JSON Schema counts it as 30.",
    "authorities": "",
    "import-bans": " The registry also refuses a second ban of the same substance for the same region.",
}


def _string(*, max_length: int, line: bool) -> dict:
    return {
        "type": "string",
        "maxLength": max_length,
        "pattern": "\\S",
        "not": {"pattern": FORBIDDEN_IN_LINE if line else FORBIDDEN_IN_TEXT},
    }


def _shared() -> dict[str, tuple[dict, tuple[str, ...]]]:
    """Definitions several fields use: name -> (schema, the other definitions it refers to)."""
    return {
        "date": ({**DAY, "description": "A real calendar date, YYYY-MM-DD."}, ()),
        "language": ({"description": "An ISO 639-1 language code.", "enum": languages()}, ()),
        "country": ({"description": "An ISO 3166-1 alpha-2 country code.", "enum": list(reference.countries())}, ()),
        "substance": ({"description": "The key of a substance of the 1961 or 1971 schedules (/api/v1/substances).",
                       "enum": list(reference.substances())}, ()),
        "class-or-substance": ({"description": "A schedule class or a substance key.",
                                "anyOf": [{"enum": list(reference.SCHEDULE_CLASSES)}, {"$ref": "#/$defs/substance"}]},
                               ("substance",)),
        "text": ({"description": "Text people read, keyed by ISO 639-1 language code.",
                  "type": "object",
                  "minProperties": 1,
                  "propertyNames": {"$ref": "#/$defs/language"},
                  "additionalProperties": _string(max_length=documents.TEXT_MAX, line=False)},
                 ("language",)),
    }


def languages() -> list[str]:
    """Every ISO 639-1 code the registry accepts, in order."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [first + second for first in letters for second in letters if reference.is_language(first + second)]


class _Generator:
    """Turns the marshmallow schemas of one section into a JSON Schema, collecting the $defs it uses."""

    def __init__(self):
        self.shared = _shared()
        self.defs: dict[str, dict] = {}

    def ref(self, name: str) -> dict:
        schema, needs = self.shared[name]
        self.defs[name] = schema
        for other in needs:
            self.ref(other)
        return {"$ref": f"#/$defs/{name}"}

    def field(self, field: fields.Field) -> dict:
        schema = self._field(field)
        if field.allow_none:
            return {"anyOf": [schema, {"type": "null"}]}
        return schema

    def _field(self, field: fields.Field) -> dict:
        if isinstance(field, fields.Nested):
            return self.object(field.nested)
        if isinstance(field, documents.UniqueList):
            schema = {"type": "array", "items": self.field(field.inner), "maxItems": field.maximum}
            if field.minimum:
                schema["minItems"] = field.minimum
            if field.unique:
                schema["uniqueItems"] = True
            return schema
        if isinstance(field, fields.List):
            schema = {"type": "array", "items": self.field(field.inner)}
            for check in field.validators:
                if isinstance(check, validate.Length):
                    if check.min:
                        schema["minItems"] = check.min
                    if check.max is not None:
                        schema["maxItems"] = check.max
            return schema
        named = {documents.Day: "date", documents.Language: "language", documents.CountryCode: "country",
                 documents.SubstanceKey: "substance", documents.ClassOrSubstance: "class-or-substance",
                 documents.Text: "text"}
        for field_class, name in named.items():
            if isinstance(field, field_class):
                return self.ref(name)
        if isinstance(field, documents.Line):
            return _string(max_length=field.max_length, line=True)
        if isinstance(field, documents.Choice):
            return {"enum": list(field.choices)}
        if isinstance(field, documents.Flag):
            return {"type": "boolean"}
        if isinstance(field, documents.WholeNumber):
            return {"type": "integer", "minimum": field.minimum, "maximum": field.maximum}
        if isinstance(field, documents.Amount):
            return {"type": "number", "minimum": documents.MG_MIN, "maximum": documents.MG_MAX,
                    "description": "Milligrams of active substance."}
        if isinstance(field, documents.Url):
            return {"type": "string", "maxLength": documents.URL_MAX, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\s]",
                    "not": {"pattern": FORBIDDEN_IN_LINE}, "description": "An absolute http or https URL."}
        if isinstance(field, documents.Phone):
            return {"type": "string", "pattern": documents.PHONE.pattern,
                    "description": "International form: '+', the country code, then digits and spaces."}
        if isinstance(field, documents.Email):
            return {"type": "string", "format": "email", "maxLength": 254, "not": {"pattern": FORBIDDEN_IN_LINE},
                    "description": "An office's e-mail address."}
        raise TypeError(f"no JSON Schema for {type(field).__name__}; teach registry/exports/schemas.py about it")

    def object(self, schema_class) -> dict:
        declared = schema_class._declared_fields
        schema = {
            "type": "object",
            "properties": {name: self.field(field) for name, field in declared.items()},
            "required": [name for name, field in declared.items() if field.required],
            "additionalProperties": False,
        }
        if not schema["required"]:
            del schema["required"]
        rules = self.cross_field_rules(schema_class)
        if rules:
            schema["allOf"] = rules
        return schema

    def cross_field_rules(self, schema_class) -> list[dict]:
        """The rules documents.py checks with @validates_schema, in JSON Schema."""
        if schema_class is documents.Rule:
            return [
                _when("threshold", "amount",
                      then={"required": ["threshold_mg"],
                            "properties": {"applies_to": {"items": {"not": {"enum": list(reference.SCHEDULE_CLASSES)}}}}},
                      otherwise={"not": {"required": ["threshold_mg"]}}),
                _when("threshold", "days", then={"required": ["threshold_days"]},
                      otherwise={"not": {"required": ["threshold_days"]}}),
                {"if": {"required": ["permit_lead_days"]},
                 "then": {"required": ["documents"], "properties": {"documents": {"contains": {"const": "import-permit"}}}}},
            ]
        if schema_class is documents.Requirements:
            return [_when("transit", "own-rules", then={"required": ["transit_notes"]},
                          otherwise={"not": {"required": ["transit_notes"]}})]
        if schema_class is documents.Ban:
            bannable = [key for key, item in reference.substances().items()
                        if set(item.schedules) & set(documents.BANNABLE_CLASSES)]
            return [{"properties": {"substance": {
                "description": "Article 13 reaches only substances in 1971 Schedules II, III and IV.",
                "enum": bannable,
            }}}]
        return []


def _when(name: str, value: str, *, then: dict, otherwise: dict) -> dict:
    return {"if": {"properties": {name: {"const": value}}, "required": [name]}, "then": then, "else": otherwise}


def section_schema(section: str) -> dict:
    """The JSON Schema of one section document, generated from its marshmallow schema."""
    generator = _Generator()
    body = generator.object(documents.SCHEMAS[section])
    return {
        "$schema": DIALECT,
        "title": f"{section}: {SECTION_TITLES[section]}",
        "description": f"The {section} document, as an authority submits it and the registry publishes it." + LOOSER[section],
        **body,
        "$defs": dict(sorted(generator.defs.items())),
    }


def _header(*names: str) -> dict:
    schemas = {
        "format_version": {"const": "1"},
        "generated_at": MOMENT,
        "as_of": {"anyOf": [DAY, {"type": "null"}]},
        "last_seq": {"type": "integer", "minimum": 0},
        "hash": HASH,
        "demo": {"type": "boolean"},
    }
    return {name: {**schemas[name], "description": HEADER_DESCRIPTIONS[name]} for name in names}


HEADER = ("format_version", "generated_at", "as_of", "last_seq", "hash", "demo")


def _meta() -> dict:
    return {
        "description": "A version's meta, as the JSON API gives it.",
        "type": "object",
        "properties": {
            "country": {"$ref": "#/$defs/country"},
            "section": {"enum": list(documents.SECTIONS)},
            "version": {"type": "integer", "minimum": 1, "description": "Numbered 1, 2, 3… per country and section."},
            "seq": {"type": "integer", "minimum": 1, "description": "The registry-wide publication counter."},
            "published_at": MOMENT,
            "published_by": {"type": "string", "description": "The authority's name."},
            "withdrawn": {"type": "boolean", "description": "true: this version withdraws the section; its document is null."},
            "changes": {"type": "array", "items": {"type": "string"}, "description": "The differences from the previous version, in words."},
            "prev_hash": HASH,
            "hash": HASH,
        },
        "required": ["country", "section", "version", "seq", "published_at", "published_by", "withdrawn", "changes", "prev_hash", "hash"],
        "additionalProperties": False,
    }


def _document_fits_section() -> list[dict]:
    """A withdrawal has a null document; otherwise the document is the section's."""
    rules = [{"if": {"properties": {"meta": {"properties": {"withdrawn": {"const": True}}}}},
              "then": {"properties": {"document": {"type": "null"}}},
              "else": {"properties": {"document": {"type": "object"}}}}]
    for section in documents.SECTIONS:
        rules.append({"if": {"properties": {"meta": {"properties": {"section": {"const": section}}}}},
                      "then": {"properties": {"document": {"anyOf": [{"type": "null"}, {"$ref": f"{section}.schema.json"}]}}}})
    return rules


def change_schema() -> dict:
    """One line of changes.jsonl: a version as the API gives it."""
    return {
        "$schema": DIALECT,
        "title": "One line of changes.jsonl: a published version",
        "description": "meta and document, exactly as GET /api/v1/countries/{CC}/{section}/versions/{n} gives them.",
        "type": "object",
        "properties": {"meta": {"$ref": "#/$defs/meta"}, "document": {}},
        "required": ["meta", "document"],
        "additionalProperties": False,
        "allOf": _document_fits_section(),
        "$defs": {"meta": _meta(), "country": _shared()["country"][0]},
    }


def registry_schema() -> dict:
    """registry.json: every country's current sections."""
    section_entry = {
        "description": "The section's current version, with when it was last confirmed; null where nothing was ever notified.",
        "anyOf": [{"type": "null"}, {
            "type": "object",
            "properties": {
                "meta": {"$ref": "change.schema.json#/$defs/meta"},
                "document": {},
                "last_confirmed": {**MOMENT, "description": "The later of its publication and its last confirmation."},
            },
            "required": ["meta", "document", "last_confirmed"],
            "additionalProperties": False,
            "allOf": _document_fits_section(),
        }],
    }
    country = {
        "type": "object",
        "properties": {
            "names": {"type": "object", "required": ["en"], "additionalProperties": {"type": "string"},
                      "description": "The country's name by language."},
            **{section: {"$ref": "#/$defs/section"} for section in documents.SECTIONS},
        },
        "required": ["names", *documents.SECTIONS],
        "additionalProperties": False,
    }
    return {
        "$schema": DIALECT,
        "title": "registry.json: the current state of every country",
        "description": "Every ISO 3166-1 country with, per section, its current version, or null where nothing was notified.",
        "type": "object",
        "properties": {
            **_header(*HEADER),
            "countries": {
                "type": "object",
                "propertyNames": {"$ref": "change.schema.json#/$defs/country"},
                "required": list(reference.countries()),
                "additionalProperties": {"$ref": "#/$defs/country"},
            },
        },
        "required": [*HEADER, "countries"],
        "additionalProperties": False,
        "$defs": {"country": country, "section": section_entry},
    }


def metadata_schema() -> dict:
    """metadata.json of an export bundle."""
    return {
        "$schema": DIALECT,
        "title": "metadata.json: what an export bundle holds",
        "type": "object",
        "properties": {
            **_header(*HEADER),
            "demo_note": {"type": ["string", "null"], "description": "What the demonstration data is; null for real data."},
            "application": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
                "required": ["name", "version"],
                "additionalProperties": False,
                "description": "The software that made the export.",
            },
            "reference_data": {"type": "object", "additionalProperties": {"type": "string"},
                               "description": "Which editions of the INCB lists and of ISO 3166 the reference tables follow."},
            "counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                       "description": "Rows in each table, by table name (versions: lines of changes.jsonl)."},
        },
        "required": [*HEADER, "demo_note", "application", "reference_data", "counts"],
        "additionalProperties": False,
    }


def index_schema() -> dict:
    """/exports/index.json: the downloads on offer."""
    item = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "media_type": {"type": "string"},
            "bytes": {"type": "integer", "minimum": 0},
            "sha256": HASH,
            "description": {"type": "string"},
        },
        "required": ["name", "url", "media_type", "bytes", "sha256", "description"],
        "additionalProperties": False,
    }
    return {
        "$schema": DIALECT,
        "title": "/exports/index.json: the exports on offer, with sizes and SHA-256",
        "type": "object",
        "properties": {
            **_header(*HEADER),
            "files": {"type": "array", "items": item},
            "schemas": {"type": "array", "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "url": {"type": "string", "format": "uri"}},
                "required": ["name", "url"],
                "additionalProperties": False,
            }},
        },
        "required": [*HEADER, "files", "schemas"],
        "additionalProperties": False,
    }


def generated() -> dict[str, dict]:
    """Every schema this module generates, by name (the file is schemas/{name}.schema.json)."""
    return {
        **{section: section_schema(section) for section in documents.SECTIONS},
        "change": change_schema(),
        "registry": registry_schema(),
        "metadata": metadata_schema(),
        "index": index_schema(),
    }


def render(schema: dict) -> str:
    """A schema as the text of its file."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write(directory: Path = SCHEMAS_DIR) -> list[Path]:
    """Write every generated schema into directory; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in generated().items():
        path = directory / f"{name}.schema.json"
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMAS_DIR):
        print(path)
