"""Search over the reference data: countries, substances and medicinal products, by any name people type.

One index holds every name of every item: a country's names in the UI's languages and its
other names (reference.country_aliases: "Allemagne", "Schweiz", "DEU"), a substance's key,
INN, names in every language and other names, a product's names, label and key. Names and
queries are compared normalised (`normalise`). A hit ranks by how the query met the name:

1. exact: the whole name (score 100);
2. prefix: the name begins with the query ("Methylphenidat", "Concerta 36");
3. word: a word of the name begins with it ("ger" in "Federal Republic of Germany");
4. fuzzy: the name is within a few edits of the query ("metylphenidate", "Ritaline", "地西洋"),
   as counted by rapidfuzz (optimal string alignment: a swap of two letters is one edit);
5. inside: the query is inside a word ("fentanil" in "sufentanil"), below a close spelling so
   that a misspelt name finds its item before the longer names that contain it.

The index is built once per process from the reference data, which never changes while it runs.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from marshmallow import Schema, fields
from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import reference

KINDS = ("country", "substance", "product")
EXACT, PREFIX, WORD, FUZZY, INSIDE = "exact", "prefix", "word", "fuzzy", "inside"
MATCHES = (EXACT, PREFIX, WORD, FUZZY, INSIDE)
# Each way of matching gets a band of scores, so that any exact hit outranks any prefix hit, and so on;
# within a band, a name nearer the query (in length, in edits) scores higher.
BANDS = {EXACT: (100, 100), PREFIX: (80, 99), WORD: (60, 79), FUZZY: (40, 59), INSIDE: (20, 39)}
QUERY_MAX = 100  # characters; longer is no name anybody types
DEFAULT_LIMIT = 10
LIMIT_MAX = 50
SUGGESTIONS = 3  # the "did you mean" names, at most

_PUNCTUATION = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def normalise(text: str) -> str:
    """Text as the index compares it: case-folded, accents dropped ("Méthylphénidate" → "methylphenidate"),
    punctuation made a space, spaces collapsed. Chinese characters are kept as they are."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = unicodedata.normalize("NFC", "".join(char for char in decomposed if unicodedata.category(char) != "Mn"))
    return " ".join(_PUNCTUATION.sub(" ", bare.casefold()).split())


def edits_allowed(query: str) -> int:
    """How many edits a fuzzy match may be from the query: none for the shortest queries, then one, then two.

    A Chinese character carries about as much as a Latin word's syllable, so one edit is allowed from three
    characters ("地西洋" for 地西泮) and two from six; Latin script allows one from four letters and two from
    six ("Morfine", "metylphenidate"), much as search engines' automatic fuzziness does. The same holds for
    the name matched, so that a three-letter code is never a fuzzy match.
    """
    if _CJK.search(query):
        return 0 if len(query) < 3 else 1 if len(query) < 6 else 2
    return 0 if len(query) < 4 else 1 if len(query) < 6 else 2


@dataclass(frozen=True)
class Hit:
    """An item found: its kind and key, the name of it that matched, how, and the score (0 to 100)."""

    kind: str  # one of KINDS
    key: str  # a country code, a substance key or a product key
    matched: str  # the name that matched, as written in the reference data
    match: str  # one of MATCHES
    score: float

    def name(self, lang: str) -> str:
        """The item's own name in that language (a product's label)."""
        if self.kind == "country":
            return reference.country(self.key).name(lang)
        if self.kind == "substance":
            return reference.substance(self.key).name(lang)
        return reference.product(self.key).label

    def as_json(self, lang: str = "en") -> dict:
        return {"kind": self.kind, "key": self.key, "name": self.name(lang), "matched": self.matched,
                "match": self.match, "score": self.score}


@dataclass(frozen=True)
class Results:
    """What a search found, best first, and what to offer when no name matched exactly ("did you mean"): the
    best hits that begin like the query or are spelt close to it."""

    query: str
    hits: tuple[Hit, ...]
    did_you_mean: tuple[Hit, ...]


@dataclass(frozen=True)
class _Index:
    names: tuple[str, ...]  # normalised, each once
    owners: tuple[tuple[tuple[str, str, str], ...], ...]  # for each name: (kind, key, name as written)…
    where: dict[str, int]  # normalised name → its position


def _names() -> Iterable[tuple[str, str, str]]:
    """(kind, key, name) for every name of every item, the item's usual names first."""
    aliases = reference.country_aliases()
    for code, place in reference.countries().items():
        for name in (*place.names.values(), code, *aliases.get(code, ())):
            yield "country", code, name
    for key, item in reference.substances().items():
        for name in (*item.names.values(), item.inn, key, *item.other_names):
            yield "substance", key, name
    for key, item in reference.products().items():
        for name in (item.label, *item.names, key):
            yield "product", key, name


@lru_cache(maxsize=1)
def _index() -> _Index:
    owners: dict[str, dict[tuple[str, str], str]] = {}
    for kind, key, name in _names():
        folded = normalise(name)
        if folded:
            owners.setdefault(folded, {}).setdefault((kind, key), name)
    names = tuple(owners)
    return _Index(names, tuple(tuple((kind, key, name) for (kind, key), name in owners[folded].items()) for folded in names),
                  {folded: position for position, folded in enumerate(names)})


def _score(match: str, nearness: float) -> float:
    low, high = BANDS[match]
    return round(low + (high - low) * max(0.0, min(nearness, 1.0)), 2)


def search(text: str, kinds: Iterable[str] = KINDS, limit: int = DEFAULT_LIMIT) -> Results:
    """The items whose names best match `text`, best first, at most `limit` of them, one hit per item."""
    query = normalise(text[:QUERY_MAX]) if isinstance(text, str) else ""
    wanted = frozenset(kinds)
    if not query:
        return Results("", (), ())
    index = _index()
    found: dict[tuple[str, str], Hit] = {}

    def add(position: int, match: str, nearness: float) -> None:
        score = _score(match, nearness)
        for kind, key, name in index.owners[position]:
            known = found.get((kind, key))
            if kind in wanted and (known is None or known.score < score):
                found[(kind, key)] = Hit(kind, key, name, match, score)

    exact = index.where.get(query)
    if exact is not None:
        add(exact, EXACT, 1)
    spaced = " " + query
    for position, name in enumerate(index.names):
        if position == exact or query not in name:
            continue
        nearness = len(query) / len(name)
        if name.startswith(query):
            add(position, PREFIX, nearness)
        elif spaced in name:
            add(position, WORD, nearness)
        else:
            add(position, INSIDE, nearness)
    allowed = edits_allowed(query)
    if allowed:
        for name, edits, position in process.extract(query, index.names, scorer=OSA.distance, score_cutoff=allowed,
                                                     limit=LIMIT_MAX):
            if edits and edits <= edits_allowed(name):
                add(position, FUZZY, 1 - edits / max(len(query), len(name)))
    ranked = sorted(found.values(), key=lambda hit: (-hit.score, KINDS.index(hit.kind), hit.key))
    close = [] if any(hit.match == EXACT for hit in ranked) else [hit for hit in ranked if hit.match in (PREFIX, WORD, FUZZY)]
    return Results(query, tuple(ranked[:limit]), tuple(close[:SUGGESTIONS]))


def substance_key(text: str) -> str | None:
    """The key of the substance with exactly that name (in any language, any case, with or without accents), or None."""
    if not isinstance(text, str):
        return None
    index = _index()
    position = index.where.get(normalise(text))
    if position is None:
        return None
    return next((key for kind, key, _name in index.owners[position] if kind == "substance"), None)


def close_substances(text: str, limit: int = 3) -> list[str]:
    """The keys of the substances whose names come closest to what was typed, best first."""
    return [hit.key for hit in search(text, kinds=("substance",), limit=limit).hits]


def products_matching(text: str | None) -> list[reference.Product]:
    """Every product (by key), or those whose names match `text`, best first."""
    if text is None or not normalise(text):
        return list(reference.products().values())
    return [reference.product(hit.key) for hit in search(text, kinds=("product",), limit=LIMIT_MAX).hits]


def products_containing(key: str) -> list[reference.Product]:
    """The products with that substance among their ingredients, by label."""
    return sorted((item for item in reference.products().values() if any(part.substance == key for part in item.ingredients)),
                  key=lambda item: item.label.casefold())


# -- products by what is printed on the box (the check, the /check page, the console) -------------------------
@lru_cache(maxsize=1)
def _product_names() -> dict[str, tuple[str, ...]]:
    """Every way a product is named (key, label, each brand name with and without its strengths), case-folded,
    to the keys of the products so named, in key order."""
    found: dict[str, list[str]] = {}
    for key, product in reference.products().items():
        strengths = "/".join(item.strength for item in product.ingredients)
        for name in (key, product.label, *product.names, *(f"{name} {strengths}" for name in product.names)):
            keys = found.setdefault(normalise(name), [])
            if key not in keys:
                keys.append(key)
    return {name: tuple(keys) for name, keys in found.items()}


def products_named(text: str) -> tuple[str, ...]:
    """The keys of the products that go by exactly this name, in any case: one, several (a brand sold in
    several strengths), or none."""
    return _product_names().get(normalise(text), ()) if isinstance(text, str) else ()


def product_key(text: str) -> str | None:
    """The key of the product that goes by this name, or None when none does or several that the check would
    tell apart do. Products that differ only in what the check does not count (a sublingual film and tablet of the
    same strengths: one label) are one answer, and the first is taken."""
    keys = products_named(text)
    return keys[0] if keys and len({_counted(key) for key in keys}) == 1 else None


def _counted(key: str) -> tuple:
    """What the check counts of a product: each ingredient's substance and strength, and its form where the
    guidelines give an amount by form (fentanyl patches)."""
    product = reference.product(key)
    by_form = any(amount.form for item in product.controlled for amount in reference.guideline_amounts(item.substance))
    return product.form if by_form else None, tuple((item.substance, item.mg_per_unit, item.percent) for item in product.ingredients)


def close_products(text: str, limit: int = 3) -> list[str]:
    """The keys of the products named closest to what was typed, best first: those that share the name
    exactly (several strengths of one brand), then those whose names are close (a misspelling)."""
    if not isinstance(text, str) or not text.strip():
        return []
    found = list(products_named(text))
    found += [hit.key for hit in search(text, kinds=("product",), limit=limit).hits if hit.key not in found]
    return found[:limit]


# -- what a product is, as the API and the exports give it (Product.as_json, schemas/product.schema.json) --------

class IngredientOut(Schema):
    """One active ingredient of a product."""

    inn = fields.String(required=True, metadata={"description": "The International Nonproprietary Name, in English."})
    substance = fields.String(required=True, allow_none=True, metadata={
        "description": "Its substance key; null for an ingredient no convention or country controls (naloxone, paracetamol)."})
    control = fields.String(required=True, allow_none=True, metadata={
        "enum": ["international", reference.NATIONAL],
        "description": "international: in a schedule of the 1961 or 1971 Convention; national: controlled only by some "
                       "countries; null: not controlled."})
    strength = fields.String(required=True, metadata={"description": "As the label prints it.", "example": "10 mg"})
    mg_per_unit = fields.Float(required=True, metadata={"description": "Milligrams in one unit, as labelled.", "exclusiveMinimum": 0})
    expressed_as = fields.String(required=True, metadata={"description": "What the strength counts: the base, or a salt.",
                                                          "example": "base (as hydrochloride)"})
    percent = fields.Float(required=True, allow_none=True, metadata={
        "description": "Concentration in per cent, for an undivided preparation; else null."})


class ProductOut(Schema):
    """A medicinal product as travellers name it (reference.Product.as_json)."""

    key = fields.String(required=True, metadata={"example": "ritalin-10-mg-tablet"})
    label = fields.String(required=True, metadata={"description": "Its usual name and strengths.", "example": "Ritalin 10 mg"})
    names = fields.List(fields.String(), required=True, metadata={"description": "As printed on the box, the usual one first."})
    markets = fields.List(fields.String(), required=True, metadata={
        "description": "ISO 3166-1 alpha-2 codes of the countries where it is sold under these names."})
    form = fields.String(required=True, metadata={"enum": list(reference.PRODUCT_FORMS)})
    unit = fields.String(required=True, metadata={"enum": list(reference.PRODUCT_UNITS),
                                                  "description": "What one counts of it; strengths are per unit."})
    ingredients = fields.List(fields.Nested(IngredientOut), required=True)
    schedule_1961_iii = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "true: a preparation of Schedule III of the 1961 Convention; false: its strengths exceed the "
                       "Schedule's limits; null: it holds no drug that Schedule III names."})
    note = fields.String(required=True, allow_none=True)
