"""Every problem the validator can find, said to people in the console: the field as the form labels it and a
sentence in the page's language, never a field path, a JSON word or an API address (registry/console/wording.py)."""
import ast
import copy
import json
import re

import pytest
from werkzeug.datastructures import MultiDict

from registry import documents, reference
from registry.console import forms, wording
from registry.db import db
from registry.documents import validate_document
from registry.models import Version

from ..helpers import factories
from ..helpers.console import csrf, editor_post, error_summary, form_of, sign_in

DELETE = object()
DAMAGED = "The form was damaged in transit; open the editor again."
LANGUAGES_31 = ["aa", "ab", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bi", "bm", "bn",
                "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de"]


def case(name, section, via, changes, label, sentence):
    """A document broken in one way, posted through the editor's fields ("fields") or as the preview's hidden
    document ("document", for what the fields cannot send); the label and sentence a person reads."""
    return pytest.param(section, via, changes, label, sentence, id=name)


CASES = [
    case("required", "requirements", "fields", {"effective_from": DELETE}, "Effective from", "Fill this in."),
    case("null", "requirements", "document", {"customs.declare_on_entry": None}, "Customs, declare on entry", "Fill this in."),
    case("blank-line", "requirements", "document", {"legal_basis.0.title": "   "}, "Legal text 1, title",
         "Type some text: spaces alone are not enough."),
    case("line-break-in-a-line", "requirements", "fields", {"legal_basis.0.title": "Arrêté\ndu 2 novembre"}, "Legal text 1, title",
         "The text contains a character that cannot be stored here (U+000A)"),
    case("control-character", "requirements", "fields", {"notes": {"en": "Ring\x07"}}, "Notes",
         "The text contains a character that cannot be stored here (U+0007)"),
    case("line-too-long", "requirements", "fields", {"legal_basis.0.title": "x" * 601}, "Legal text 1, title",
         "The text is 601 characters long; shorten it to at most 600."),
    case("not-a-choice", "requirements", "fields", {"travellers_allowed": "maybe"}, "Travellers allowed",
         "“maybe” is not one of the choices; choose from the list."),
    case("not-yes-or-no", "requirements", "document", {"customs.endorsement": "yes"}, "Customs, endorsement", "Answer yes or no."),
    case("not-a-whole-number", "requirements", "fields", {"max_supply_days": "thirty"}, "Maximum supply (days)",
         "Type a whole number, such as 30."),
    case("days-out-of-range", "requirements", "fields", {"max_supply_days": 0}, "Maximum supply (days)",
         "Type a whole number from 1 to 3,650."),
    case("not-milligrams", "requirements", "fields", {"rules.2.threshold_mg": "lots"}, "Rule 3, amount (mg)",
         "Type a number, such as 200 or 1.5."),
    case("milligrams-out-of-range", "requirements", "fields", {"rules.2.threshold_mg": 0}, "Rule 3, amount (mg)",
         "Type an amount of at least 0.001 mg and at most 10,000,000 mg."),
    case("not-a-date", "requirements", "fields", {"effective_from": "1 March 2026"}, "Effective from",
         "Give a whole date: day, month and year."),
    case("no-such-day", "requirements", "fields", {"effective_from": "2026-02-30"}, "Effective from",
         "“2026-02-30” is not a day of the calendar."),
    case("not-a-language", "requirements", "fields", {"document_languages": ["fr", "french"]}, "Document languages",
         "“french” is not a language code: use two lower-case letters, such as en, fr or zh."),
    case("text-in-no-language", "requirements", "fields", {"notes": {"english": "Carry them."}}, "Notes",
         "“english” is not a language code: use two lower-case letters, such as en, fr or zh."),
    case("blank-text", "requirements", "fields", {"notes": {"en": "   "}}, "Notes",
         "Type the text in this language, or remove the language."),
    case("text-not-by-language", "requirements", "document", {"notes": "Carry them."}, "Notes", DAMAGED),
    case("text-in-no-language-at-all", "requirements", "document", {"notes": {}}, "Notes", "Give the text in at least one language."),
    case("text-too-long", "requirements", "fields", {"notes": {"en": "x" * 10_001}}, "Notes",
         "The text is 10,001 characters long; shorten it to at most 10,000."),
    case("misspelt-substance", "requirements", "fields", {"supply_exceptions.0.substances": ["Phenobarbitall"]},
         "Supply exception 1, substance 1", "“Phenobarbitall” is not a substance we know. Did you mean Phenobarbital"),
    case("product-for-a-substance", "requirements", "fields", {"supply_exceptions.0.substances": ["ritalin"]},
         "Supply exception 1, substance 1",
         "“ritalin” is a product; its controlled substance is methylphenidate. Did you mean Methylphenidate?"),
    case("neither-class-nor-substance", "requirements", "fields", {"rules.0.applies_to": ["1961-V"]}, "Rule 1, substance or class 1",
         "“1961-V” is neither a schedule class nor a substance we know."),
    case("not-a-list", "requirements", "document", {"rules.0.applies_to": "1961-I"}, "Rule 1, applies to", DAMAGED),
    case("empty-list", "requirements", "fields", {"rules.0.documents": []}, "Rule 1, documents", "Give at least one."),
    case("list-too-long", "requirements", "fields", {"document_languages": LANGUAGES_31}, "Document languages",
         "There are 31; at most 30 are allowed."),
    case("listed-twice", "requirements", "fields", {"rules.0.applies_to": ["1961-I", "1961-i"]}, "Rule 1, substance or class 2",
         "“narcotic drugs in Schedule I (1961)” is listed twice; remove one."),
    case("too-many-rules", "requirements", "document", {"rules": [factories.rule()] * 201}, "Rules",
         "There are too many; at most 200 are allowed."),
    case("too-many-rows", "requirements", "document",
         {"supply_exceptions": [{"substances": ["phenobarbital"], "max_supply_days": 90}] * 101}, "Supply exceptions",
         "There are too many; at most 100 are allowed."),
    case("unknown-field", "requirements", "document", {"rules.0.colour": "red"}, "Rule 1", DAMAGED),
    case("not-an-object", "requirements", "document", {"customs": "yes"}, "Customs", DAMAGED),
    case("amount-without-milligrams", "requirements", "fields", {"rules.2.threshold_mg": DELETE}, "Rule 3, amount (mg)",
         "With “above a set amount”, give the amount in milligrams."),
    case("amount-for-a-class", "requirements", "fields", {"rules.0.threshold": "amount", "rules.0.threshold_mg": 5},
         "Rule 1, when needed", "“above a set amount” is for substances only, not for classes (1961 Schedule I, 1961 Schedule II)"),
    case("milligrams-without-amount", "requirements", "fields", {"rules.0.threshold_mg": 100}, "Rule 1, amount (mg)",
         "Give an amount only when the rule applies “above a set amount”."),
    case("days-without-a-number", "requirements", "fields", {"rules.1.threshold": "days"}, "Rule 2, days of supply",
         "With “above a number of days of supply”, give the longest supply, in days, allowed without these documents."),
    case("a-number-without-days", "requirements", "fields", {"rules.1.threshold_days": 30}, "Rule 2, days of supply",
         "Give days of supply only when the rule applies “above a number of days of supply”."),
    case("days-ahead-without-a-permit", "requirements", "fields", {"rules.1.permit_lead_days": 10}, "Rule 2, days ahead for the permit",
         "Give the days ahead only when the documents include an import permit issued in advance by this country."),
    case("own-transit-rules-unsaid", "requirements", "fields", {"transit": "own-rules"}, "Transit notes",
         "With “rules of its own (describe them)”, say what travellers in transit must carry."),
    case("transit-rules-without-own-rules", "requirements", "fields", {"transit_notes": {"en": "Carry them."}}, "Transit notes",
         "Give transit rules only when transit has “rules of its own (describe them)”."),
    case("control-character-in-a-field-name", "requirements", "document", {"no\x07tes": {"en": "x"}}, "The whole section", DAMAGED),
    case("nested-too-deep", "requirements", "document", {"notes": {"en": json.loads("[" * 25 + "]" * 25)}}, "The whole section",
         "The form holds far more than any section needs; nothing was checked."),
    case("object-too-wide", "requirements", "document", {"notes": {f"l{index}": "x" for index in range(257)}}, "The whole section",
         "The form holds far more than any section needs; nothing was checked."),
    case("too-many-fields", "requirements", "document", {"legal_basis": [{f"k{index}": 0 for index in range(251)}] * 100},
         "The whole section", "The form holds far more than any section needs; nothing was checked."),
    case("too-many-values", "requirements", "document", {"rules.0.applies_to": [0] * 100_001}, "The whole section",
         "The form holds far more than any section needs; nothing was checked."),
    case("too-many-lists", "requirements", "document", {"notes": {"en": [[]] * 10_001}}, "The whole section",
         "The form holds far more than any section needs; nothing was checked."),
    case("web-address-too-long", "authorities", "fields", {"authorities.0.website": "https://example.org/" + "a" * 2000},
         "Authority 1, website", "Give a web address starting with https:// or http://, of at most 2,000 characters."),
    case("not-a-web-address", "authorities", "fields", {"authorities.0.website": "example"}, "Authority 1, website",
         "“example” is not a whole web address: write it with https:// or http://, e.g. https://www.example.org/."),
    case("telephone-not-international", "authorities", "fields", {"authorities.0.phone": "01 55 87"}, "Authority 1, telephone",
         "“01 55 87” is not a telephone number in international form: +, the country code, then the number"),
    case("e-mail-too-long", "authorities", "fields", {"authorities.0.email": "a" * 250 + "@example.org"}, "Authority 1, e-mail",
         "Give an e-mail address, such as office@example.org."),
    case("not-an-e-mail", "authorities", "fields", {"authorities.0.email": "stupefiants"}, "Authority 1, e-mail",
         "“stupefiants” is not an e-mail address: write it as name@example.org."),
    case("country-in-lower-case", "authorities", "fields", {"authorities.0.address.country": "fr"}, "Authority 1, address, country",
         "Write the country code in capitals: FR."),
    case("not-a-country", "authorities", "fields", {"authorities.0.address.country": "XX"}, "Authority 1, address, country",
         "“XX” is not a country code; choose a country from the list."),
    case("no-authority", "authorities", "fields", {"authorities": []}, "Authorities", "List at least 1 and at most 50 authorities."),
    case("not-text", "authorities", "document", {"authorities.0.name": 5}, "Authority 1, name", DAMAGED),
    case("not-bannable", "import-bans", "fields", {"bans.0.substance": "morphine"}, "Ban 1, substance",
         "Article 13 of the 1971 Convention allows bans only of substances in its Schedules II, III and IV; "
         "Morphine is in 1961 Schedule I."),
    case("nationally-controlled", "import-bans", "fields", {"bans.0.substance": "tramadol"}, "Ban 1, substance",
         "Article 13 of the 1971 Convention allows bans only of substances in its Schedules II, III and IV; "
         "Tramadol is in no schedule of the conventions (controlled by some countries only)."),
    case("banned-twice", "import-bans", "fields", {"bans": [factories.ban(), factories.ban()]}, "Ban 2, substance",
         "Already banned in ban 1 for the same region."),
    case("product-banned", "import-bans", "fields", {"bans.0.substance": "Ritalin"}, "Ban 1, substance",
         "“Ritalin” is a product; its controlled substance is methylphenidate. Did you mean Methylphenidate?"),
]
# Messages no console post can provoke: the console refuses a document that is not an object before validating
# it, and a text's characters are refused by the scan of every string before its field sees them.
UNPROVOKED = ["The document must be a JSON object.",
              "The text contains the control character U+0007, which is not allowed; only line breaks are allowed."]


def broken(section: str, changes: dict) -> dict:
    """The section's valid factory document, with values at paths replaced (or removed with DELETE)."""
    document = factories.DOCUMENTS[section]()
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is DELETE:
            del node[last]
        else:
            node[int(last) if isinstance(node, list) else last] = copy.deepcopy(value)
    return document


def post(client, section: str, via: str, document: dict):
    if via == "fields":
        return editor_post(client, "FR", section, document)
    page = client.get(f"/console/FR/{section}")
    return client.post(f"/console/FR/{section}", data={"csrf_token": csrf(page), "etag": "", "action": "publish",
                                                       "document": json.dumps(document)})


def validated(section: str, via: str, document: dict) -> dict:
    """What the validator finds in the document as the console sends it to the validator."""
    if via == "fields":
        values = forms.from_document(section, document).values
        document = forms.from_form(section, MultiDict(form_of(forms.SPECS[section], values))).document()
    return validate_document(section, document)


DEVELOPER_WORDS = re.compile(r"/api/|\b[a-z]+_[a-z_]+\b|\b[a-z_]+\.[0-9]+\b|\bkey\b|\bnull\b|\bschema\b|\bstring\b|\bISO\b")
PEOPLES_ALREADY = {"Give the text in at least one language."}  # the validator's own words, fit for people


@pytest.mark.parametrize("section, via, changes, label, sentence", CASES)
def test_every_problem_is_said_about_the_field_people_see_in_their_language(app, client, officer, section, via, changes,
                                                                           label, sentence):
    sign_in(client, officer("FR"))
    document = broken(section, changes)
    with app.app_context():
        raw = [message for messages in validated(section, via, document).values() for message in messages]
    assert raw, "the case provokes no problem"

    refused = post(client, section, via, document)
    assert refused.status_code == 422
    english = error_summary(refused)
    assert f"{label} : {sentence}" in english
    assert not DEVELOPER_WORDS.search(english.replace(label, "")), english
    assert not any(message in english for message in raw if message not in PEOPLES_ALREADY)

    client.get("/?lang=zh")
    chinese = error_summary(post(client, section, via, document))
    client.get("/?lang=en")
    assert sentence not in chinese and not DEVELOPER_WORDS.search(chinese), chinese
    assert not re.search(r"[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}", chinese), chinese  # no English sentence left
    with app.app_context():
        assert db.session.query(Version).count() == 0


@pytest.mark.parametrize("message", UNPROVOKED)
def test_problems_no_console_post_provokes_have_words_too(app, message):
    with app.test_request_context("/console/FR/requirements?lang=zh"):
        chinese = wording.problem_in_words({}, "", message)
    with app.test_request_context("/console/FR/requirements"):
        english = wording.problem_in_words({}, "", message)
    assert english != message and chinese != english


def templates() -> list[str]:
    """Every problem registry/documents.py words, as a pattern: its literal text, with `.*` where it fills in a value."""
    source = ast.parse(open(documents.__file__, encoding="utf-8").read())
    docstrings = {id(node.body[0].value) for node in ast.walk(source)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
                  and isinstance(node.body[0], ast.Expr)}
    found = []

    def pattern(node) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return re.sub(r"\\\{[a-z]+\\\}", ".*", re.escape(node.value))  # marshmallow's {max}, {min}
        if isinstance(node, ast.JoinedStr):
            return "".join(pattern(part) if isinstance(part, ast.Constant) else ".*" for part in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = pattern(node.left)
            return left and left + ".*"
        return None

    for node in ast.walk(source):
        if id(node) in docstrings or not isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)):
            continue
        found_pattern = pattern(node)
        literal = node.value if isinstance(node, ast.Constant) else ""
        ending = (found_pattern or "").removesuffix(".*")
        if found_pattern and (literal or isinstance(node, ast.JoinedStr)) and re.match(r"(\.\*|[A-Z])", found_pattern) \
                and ending.endswith(r"\.") and r"\ " in found_pattern:
            found.append(found_pattern)
    return sorted(set(found))


def test_every_message_of_the_validator_is_provoked_by_a_case(app):
    """A new message in registry/documents.py fails here until a case above provokes it and WORDS says it."""
    with app.app_context():
        provoked = [message for params in CASES for messages in validated(params.values[0], params.values[1],
                                                                           broken(params.values[0], params.values[2])).values()
                    for message in messages] + UNPROVOKED
    unprovoked = [template for template in templates() if not any(re.match(template, message) for message in provoked)]
    assert len(templates()) > 40
    assert unprovoked == []
    unworded = [message for message in provoked if not any(pattern.fullmatch(message) for pattern, _words in wording.WORDS)]
    assert unworded == []


def test_a_products_name_is_answered_with_the_substances_it_contains(app):
    with app.test_request_context("/console/FR/requirements"):
        said = wording.unknown_substance("SUBOXONE")
    controlled = [item.inn for item in reference.product("suboxone-8-mg-2-mg-sublingual-tablet").controlled]
    assert said.startswith("“SUBOXONE” is a product;") and all(inn in said for inn in controlled)
    assert "naloxone" not in said  # not controlled
