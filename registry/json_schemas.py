"""JSON Schemas (2020-12) generated from the marshmallow schemas that validate requests.

One source for every description of a request body: the section documents
(registry/documents.py) and the traveller check's request (registry/check/trip.py)
become, here, both the files in ``schemas/`` (registry/exports/schemas.py writes them)
and the components of the OpenAPI description (registry/api), so the two cannot disagree.
A product as the API and the exports give it (``Product.as_json()``) is described the
same way, from registry/search.py's ``ProductOut``.

Every schema is self-contained: the definitions it uses are bundled in its ``$defs``,
and it is identified by a stable URN (``$id``), not by a URL, because the same file is
served by every deployment of the registry; /exports/index.json says where each one is
fetched from. JSON Schema can say everything the registry checks but one thing, where
the schema is a little looser and says so in its description: a ban of the same
substance in the same region twice.
"""
from marshmallow import fields, validate

from . import documents, reference, search
from .check import result as check_result, trip as trips

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_PREFIX = "urn:travellers-registry:schema:"

# Characters no text may hold (documents.bad_characters): C0 and C1 controls, lone
# surrogates, non-characters. Lines may not hold a line break either.
_FORBIDDEN = "\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f\\ud800-\\udfff\\ufdd0-\\ufdef\\ufffe\\uffff"
FORBIDDEN_IN_TEXT = f"[{_FORBIDDEN}]"
FORBIDDEN_IN_LINE = f"[\\u000a{_FORBIDDEN}]"
DAY = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}

TITLES = {
    "requirements": "requirements: What a country requires of incoming travellers carrying controlled medicines",
    "authorities": "authorities: The authorities that issue permits and certificates, or answer enquiries",
    "import-bans": "import-bans: Import prohibitions under article 13 of the 1971 Convention",
    "check-request": "Traveller check request",
    "check-result": "Traveller check result",
    "product": "product: A medicinal product as travellers name it, and what one unit of it contains",
}
DESCRIPTIONS = {
    "requirements": "The requirements document, as an authority submits it and the registry publishes it.",
    "authorities": "The authorities document, as an authority submits it and the registry publishes it.",
    "import-bans": "The import-bans document, as an authority submits it and the registry publishes it. "
                   "The registry also refuses a second ban of the same substance for the same region.",
    "check-request": "The body of POST /api/v1/check: a trip and the medicines carried.",
    "check-result": "The answer of POST /api/v1/check: the worst verdict over the trip, every document it needs, and per "
                    "country (destination first, then each transit country) and per medicine the verdict, documents and "
                    "reasons, each reason citing its source, and how each total was counted. The official texts of each "
                    "country prevail.",
    "product": "A product of the registry's reference data (data/products.json), as GET /api/v1/products/{key} "
               "and registry.json (reference_data.products) give it.",
}
# The marshmallow schema each request schema is generated from, and its name in the OpenAPI description.
SOURCES = {
    "requirements": documents.Requirements,
    "authorities": documents.Authorities,
    "import-bans": documents.ImportBans,
    "check-request": trips.CheckRequest,
    "check-result": check_result.CheckResult,
    "product": search.ProductOut,
}
COMPONENTS = {"requirements": "Requirements", "authorities": "Authorities", "import-bans": "ImportBans",
              "check-request": "CheckRequest", "product": "Product",
              "check-result": "CheckResult"}
# Every file in schemas/, served at /schemas/{name}.schema.json.
SERVED = ("requirements", "authorities", "import-bans", "check-request", "check-result", "product", "change", "registry",
          "metadata", "index")
# The shared definitions' names as OpenAPI components.
DEF_COMPONENTS = {"date": "Date", "language": "LanguageCode", "country": "CountryCode", "substance": "SubstanceKey",
                  "class-or-substance": "ClassOrSubstance", "text": "Text"}


def schema_id(name: str) -> str:
    """The `$id` of schemas/{name}.schema.json: a URN, the same in every deployment."""
    return f"{ID_PREFIX}{name}"


def _string(*, max_length: int, line: bool) -> dict:
    return {
        "type": "string",
        "maxLength": max_length,
        "pattern": "\\S",
        "not": {"pattern": FORBIDDEN_IN_LINE if line else FORBIDDEN_IN_TEXT},
    }


def languages() -> list[str]:
    """Every ISO 639-1 code the registry accepts, in order."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [first + second for first in letters for second in letters if reference.is_language(first + second)]


def shared() -> dict[str, tuple[dict, tuple[str, ...]]]:
    """Definitions several fields use: name -> (schema, the other definitions it refers to)."""
    return {
        "date": ({**DAY, "description": "A real calendar date, YYYY-MM-DD."}, ()),
        "language": ({"description": "An ISO 639-1 language code.", "enum": languages()}, ()),
        "country": ({"description": "An ISO 3166-1 alpha-2 country code, upper case.", "enum": list(reference.countries())}, ()),
        "substance": ({"description": "The key of a substance of the 1961 or 1971 schedules, or of one some countries "
                                      "control nationally (/api/v1/substances).",
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


class Generator:
    """Turns marshmallow schemas into JSON Schema, collecting the shared definitions they use."""

    def __init__(self):
        self.shared = shared()
        self.defs: dict[str, dict] = {}

    def ref(self, name: str) -> dict:
        schema, needs = self.shared[name]
        self.defs[name] = schema
        for other in needs:
            self.ref(other)
        return {"$ref": f"#/$defs/{name}"}

    def field(self, field: fields.Field) -> dict:
        schema = self._field(field)
        description = field.metadata.get("description")
        if field.allow_none:
            if set(schema) == {"enum"}:  # null is one more value
                schema = {"enum": [*schema["enum"], None]}
            else:
                schema = {"anyOf": [schema, {"type": "null"}]}
        return {**schema, "description": description} if description else schema

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
        if isinstance(field, trips.Percent):
            return {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "description": "Per cent."}
        if isinstance(field, documents.Amount):
            return {"type": "number", "minimum": documents.MG_MIN, "maximum": documents.MG_MAX,
                    "description": "Milligrams of active substance."}
        if isinstance(field, documents.Url):
            return {"type": "string", "maxLength": documents.URL_MAX, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\s]",
                    "not": {"pattern": FORBIDDEN_IN_LINE}, "description": "An absolute http or https URL."}
        if isinstance(field, documents.Phone):
            return {"type": "string", "pattern": documents.PHONE.pattern,
                    "description": "International form: '+', the country code, then digits and spaces."}
        plain = {fields.String: "string", fields.Integer: "integer", fields.Number: "number", fields.Boolean: "boolean",
                 fields.Dict: "object"}
        for field_class, kind in plain.items():
            if isinstance(field, field_class):  # an answer's field: what its metadata says of it
                return {"type": kind, **{name: value for name, value in field.metadata.items() if name in _KEYWORDS}}
        if isinstance(field, documents.Email):
            return {"type": "string", "format": "email", "maxLength": 254, "not": {"pattern": FORBIDDEN_IN_LINE},
                    "description": "An office's e-mail address."}
        raise TypeError(f"no JSON Schema for {type(field).__name__}; teach registry/json_schemas.py about it")

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
        if schema_class is trips.CheckItem:
            # One way of naming the medicine (trip.CheckItem._one_way_of_naming).
            given = [{"required": [name]} for name in trips.PRODUCT_GIVES]
            return [{"oneOf": [
                {"description": "A product and its number of units.", "required": ["product", "unit_doses"],
                 "properties": {"unit_doses": {"type": "integer"}}, "not": {"anyOf": given}},
                {"description": "A substance and the total milligrams carried.", "required": ["substance", "amount_mg"],
                 "not": {"required": ["product"]}},
                {"description": "A substance, its strength per unit and the number of units: the total is their product.",
                 "required": ["substance", "strength_mg", "unit_doses"],
                 "properties": {"strength_mg": {"type": "number"}, "unit_doses": {"type": "integer"}},
                 "not": {"anyOf": [{"required": ["product"]}, {"required": ["amount_mg"]}]}},
            ]}]
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


# The JSON Schema keywords an answer's field may give in its metadata (as apispec reads them too).
_KEYWORDS = ("enum", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "examples",
             "additionalProperties")


def _when(name: str, value: str, *, then: dict, otherwise: dict) -> dict:
    return {"if": {"properties": {name: {"const": value}}, "required": [name]}, "then": then, "else": otherwise}


def request_schema(name: str) -> dict:
    """The JSON Schema of a request body (a section document, or "check-request") or of a product, with its $defs bundled."""
    generator = Generator()
    body = generator.object(SOURCES[name])
    return {
        "$schema": DIALECT,
        "$id": schema_id(name),
        "title": TITLES[name],
        "description": DESCRIPTIONS[name],
        **body,
        "$defs": dict(sorted(generator.defs.items())),
    }


def openapi_components() -> dict[str, dict]:
    """The request schemas and the product's as OpenAPI 3.1 components: the same schemas, their $defs as components of their own."""
    components = {}
    for name, component in COMPONENTS.items():
        schema = request_schema(name)
        components[component] = _as_component({key: value for key, value in schema.items() if key not in ("$schema", "$id", "$defs")})
        for definition, value in schema["$defs"].items():
            components[DEF_COMPONENTS[definition]] = _as_component(value)
    return components


def _as_component(value):
    """A schema with its references to $defs pointed at the components."""
    if isinstance(value, dict):
        return {key: (f"#/components/schemas/{DEF_COMPONENTS[item.removeprefix('#/$defs/')]}" if key == "$ref" else _as_component(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_as_component(item) for item in value]
    return value
