"""/api/v1/reference: the API's reference for people, drawn on the server from the OpenAPI description.

The same description as /api/v1/openapi.json (flask-smorest's, whose components come from the
marshmallow schemas), so the page cannot disagree with it: every operation with its parameters,
request body and answers, and every schema with its fields, types and limits. A plain page in
the registry's layout, translated like the others, with no script: it passes the same
accessibility and markup checks as every page, and works offline.
Swagger UI drew this page before; axe-core found low-contrast text and buttons nested in
buttons in its markup (docs/api.md).
"""
import json
import re
from dataclasses import dataclass, field

from flask import Blueprint, current_app, render_template, url_for

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1/reference")

METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
COMPONENT_REF = re.compile(r"^#/components/(?P<kind>[A-Za-z]+)/(?P<name>[^/]+)$")
# JSON Schema's limits, in the order a reader expects them; shown with their keyword, as they are written.
LIMITS = ("const", "enum", "format", "pattern", "minLength", "maxLength", "minimum", "exclusiveMinimum",
          "maximum", "exclusiveMaximum", "minItems", "maxItems", "uniqueItems", "minProperties",
          "maxProperties", "default")


@dataclass(frozen=True)
class Kind:
    """One type a value may have: a JSON type ("string", "null"…) or a schema of the description."""

    name: str
    schema: bool = False  # `name` is a component of the description, with its own part of the page
    array: bool = False  # a list of such values

    @property
    def anchor(self) -> str:
        return schema_anchor(self.name)


@dataclass(frozen=True)
class Limit:
    """A JSON Schema keyword that limits a value, and its value as JSON ("minimum", "1")."""

    keyword: str
    value: str
    count: int = 0  # how many values an enum lists: a long list is folded on the page


@dataclass(frozen=True)
class Field:
    """A property of an object, a parameter or a header, as one row of a table."""

    name: str  # dotted for a nested object ("items[].substance"); "" for any other key of a map
    kinds: list[Kind]
    required: bool = False
    limits: list[Limit] = field(default_factory=list)
    description: str = ""
    location: str = ""  # where a parameter goes: path, query, header or cookie

    @property
    def any_key(self) -> bool:
        """The row is for the other keys of a map (additionalProperties), not a named property."""
        return self.name == "" or self.name.endswith(".")


@dataclass(frozen=True)
class Content:
    """What a body holds: its media types, the types of its value and, if it is an object written
    in place (not a schema of its own), its fields."""

    media_types: list[str]
    kinds: list[Kind]
    fields: list[Field]


@dataclass(frozen=True)
class Body:
    description: str
    required: bool
    content: Content | None


@dataclass(frozen=True)
class Answer:
    status: str  # "200", "4XX" or "default"
    description: str
    headers: list[Field]
    content: Content | None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    token: bool  # needs a bearer token
    parameters: list[Field]
    body: Body | None
    answers: list[Answer]

    @property
    def anchor(self) -> str:
        return "op-" + self.method + re.sub(r"[^a-z0-9]+", "-", self.path.lower()).rstrip("-")


@dataclass(frozen=True)
class Schema:
    name: str
    title: str
    description: str
    kinds: list[Kind]
    limits: list[Limit]
    fields: list[Field]
    source: str  # the schema as the description writes it, for what a table cannot say (if/then, not)

    @property
    def anchor(self) -> str:
        return schema_anchor(self.name)


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    description: str
    operations: list[Operation]
    schemas: list[Schema]


def schema_anchor(name: str) -> str:
    return "schema-" + name


@bp.get("")
def page():
    """The reference page: every operation, its parameters, bodies and answers, and every schema."""
    return render_template("api/reference.html", reference=read(description()),
                           spec_url=url_for("api-docs.openapi_json"))


def description() -> dict:
    """The registry's OpenAPI description, as /api/v1/openapi.json serves it."""
    # Where flask-smorest keeps its Api (its own `flask openapi print` reads it there).
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return api.spec.to_dict()


def read(spec: dict) -> Reference:
    """The page's content from an OpenAPI 3.1 description."""
    info = spec.get("info", {})
    operations = []
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method in item:
                operations.append(_operation(spec, method, path, item[method], shared))
    schemas = [_schema(name, schema) for name, schema in spec.get("components", {}).get("schemas", {}).items()]
    return Reference(title=info.get("title", ""), version=info.get("version", ""),
                     description=info.get("description", ""), operations=operations, schemas=schemas)


def _resolve(spec: dict, item: dict) -> dict:
    """A parameter, body or answer that the description writes once under components, and refers to."""
    while "$ref" in item:
        found = COMPONENT_REF.match(item["$ref"])
        if not found:
            break
        item = spec["components"][found["kind"]][found["name"]]
    return item


def _operation(spec: dict, method: str, path: str, operation: dict, shared: list[dict]) -> Operation:
    parameters = {}
    for parameter in [*shared, *operation.get("parameters", [])]:  # the operation's own win (OpenAPI 3.1, 4.8.10)
        parameter = _resolve(spec, parameter)
        parameters[parameter["in"], parameter["name"]] = parameter
    body = None
    if "requestBody" in operation:
        written = _resolve(spec, operation["requestBody"])
        body = Body(description=written.get("description", ""), required=written.get("required", False),
                    content=_content(written.get("content", {})))
    answers = []
    for status, answer in operation.get("responses", {}).items():
        answer = _resolve(spec, answer)
        headers = []
        for name, header in answer.get("headers", {}).items():
            header = _resolve(spec, header)
            headers.append(_field(name, header.get("schema", {}), header.get("required", False),
                                  header.get("description", "")))
        answers.append(Answer(status=str(status), description=answer.get("description", ""), headers=headers,
                              content=_content(answer.get("content", {}))))
    security = operation.get("security", spec.get("security", []))
    return Operation(
        method=method, path=path, summary=operation.get("summary", ""), description=operation.get("description", ""),
        token=any(requirement for requirement in security),
        parameters=[_field(parameter["name"], parameter.get("schema", {}), parameter.get("required", False),
                           parameter.get("description", ""), location=parameter["in"])
                    for parameter in parameters.values()],
        body=body, answers=sorted(answers, key=lambda answer: (answer.status == "default", answer.status)),
    )


def _content(content: dict) -> Content | None:
    if not content:
        return None
    schema = next(iter(content.values())).get("schema", {})
    return Content(media_types=list(content), kinds=kinds(schema), fields=fields(schema))


def _schema(name: str, schema: dict) -> Schema:
    return Schema(name=name, title=schema.get("title", ""), description=schema.get("description", ""),
                  kinds=kinds(schema), limits=limits(schema), fields=fields(schema),
                  source=json.dumps(schema, indent=2, ensure_ascii=False))


def _field(name: str, schema: dict, required: bool, description: str = "", location: str = "") -> Field:
    return Field(name=name, kinds=kinds(schema), required=required, limits=limits(schema),
                 description=description or _description(schema), location=location)


def _description(schema: dict) -> str:
    """A schema's description, or that of the first of its alternatives that has one."""
    if schema.get("description"):
        return schema["description"]
    for branch in [*schema.get("anyOf", []), *schema.get("oneOf", []), *schema.get("allOf", [])]:
        if "$ref" not in branch and _description(branch):
            return _description(branch)
    return ""


def _json_type(value) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null",
            list: "array", dict: "object"}[type(value)]


def kinds(schema: dict, array: bool = False) -> list[Kind]:
    """The types a value of `schema` may have."""
    if "$ref" in schema:
        return [Kind(schema["$ref"].rsplit("/", 1)[-1], schema=True, array=array)]
    if "anyOf" in schema or "oneOf" in schema:
        found = []
        for branch in [*schema.get("anyOf", []), *schema.get("oneOf", [])]:
            found += [kind for kind in kinds(branch, array) if kind not in found]
        return found
    names = schema.get("type")
    if names is None:
        values = schema["enum"] if "enum" in schema else [schema["const"]] if "const" in schema else []
        names = list(dict.fromkeys(_json_type(value) for value in values)) or ["any"]
    found = []
    for name in [names] if isinstance(names, str) else names:
        if name == "array" and not array:
            found += kinds(schema.get("items", {}), array=True)
        else:
            found.append(Kind(name, array=array))
    return found


def _show(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def limits(schema: dict) -> list[Limit]:
    """The limits on a value of `schema` written in place (a referred schema shows its own)."""
    found = []
    for keyword in LIMITS:
        if keyword in schema:
            value = schema[keyword]
            found.append(Limit(keyword, ", ".join(map(_show, value)), len(value)) if keyword == "enum"
                         else Limit(keyword, _show(value)))
    # A null alternative's siblings, and a list's items, carry the limits of the value itself.
    for branch in [*schema.get("anyOf", []), *schema.get("oneOf", [])]:
        if "$ref" not in branch:
            found += [limit for limit in limits(branch) if limit not in found]
    items = schema.get("items", {})
    if schema.get("type") == "array" and "$ref" not in items and "properties" not in items:
        found += [limit for limit in limits(items) if limit not in found]
    return found


def fields(schema: dict, prefix: str = "") -> list[Field]:
    """The properties of an object written in place, nested objects' properties after theirs
    with a dotted name ("items[].substance")."""
    rows = []
    required = set(schema.get("required", []))
    for name, property_schema in schema.get("properties", {}).items():
        rows.append(_field(prefix + name, property_schema, name in required))
        for inner, marker in _objects_in(property_schema):
            rows += fields(inner, f"{prefix}{name}{marker}.")
    others = schema.get("additionalProperties")
    if isinstance(others, dict) and others:
        rows.append(_field(prefix, others, False))
    return rows


def _objects_in(schema: dict) -> list[tuple[dict, str]]:
    """The objects with properties (or a map's values) written in place in `schema`: itself, its list's
    items, its alternatives."""
    if "$ref" in schema:
        return []
    if "properties" in schema or isinstance(schema.get("additionalProperties"), dict) and schema["additionalProperties"]:
        return [(schema, "")]
    found = []
    if "items" in schema:
        found += [(inner, "[]" + marker) for inner, marker in _objects_in(schema["items"])]
    for branch in [*schema.get("anyOf", []), *schema.get("oneOf", [])]:
        found += _objects_in(branch)
    return found
