"""Search over the reference data (registry/search.py): every name in any language, forgiving of typos."""
import pytest

from registry import i18n, reference, search

# (what a person types, the kind of item they mean, its key). For a product, the key is the substance it
# contains: which of several Ritalin strengths comes first is the data's business, not the search's.
MEANT = [
    # countries, by their names in other languages and with typos
    ("Allemagne", "country", "DE"),
    ("Deutschland", "country", "DE"),
    ("Alemania", "country", "DE"),
    ("ألمانيا", "country", "DE"),
    ("Германия", "country", "DE"),
    ("德国", "country", "DE"),
    ("Germny", "country", "DE"),
    ("DEU", "country", "DE"),
    ("Schweiz", "country", "CH"),
    ("Suisse", "country", "CH"),
    ("Svizzera", "country", "CH"),
    ("Switzerlnd", "country", "CH"),
    ("Frankreich", "country", "FR"),
    ("Frnace", "country", "FR"),
    ("Espagne", "country", "ES"),
    ("Espana", "country", "ES"),
    ("اليابان", "country", "JP"),
    ("Japna", "country", "JP"),
    ("مصر", "country", "EG"),
    ("السعودية", "country", "SA"),
    ("Österreich", "country", "AT"),
    ("osterreich", "country", "AT"),
    ("Pays-Bas", "country", "NL"),
    ("Niederlande", "country", "NL"),
    ("Etats Unis", "country", "US"),
    ("Vereinigte Staaten", "country", "US"),
    ("Brésil", "country", "BR"),
    ("Китай", "country", "CN"),
    ("Austrailia", "country", "AU"),
    ("Untied Kingdom", "country", "GB"),
    # substances, by INN, other names, Chinese names, the guidelines' misprints and typos
    ("metylphenidate", "substance", "methylphenidate"),
    ("Méthylphénidate", "substance", "methylphenidate"),
    ("METHYLPHENIDAT", "substance", "methylphenidate"),
    ("哌甲酯", "substance", "methylphenidate"),
    ("地西洋", "substance", "diazepam"),
    ("Diazepan", "substance", "diazepam"),
    ("Meproamate", "substance", "meprobamate"),
    ("Morfine", "substance", "morphine"),
    ("吗啡", "substance", "morphine"),
    ("fentanil", "substance", "fentanyl"),
    ("芬太尼", "substance", "fentanyl"),
    ("klonazepam", "substance", "clonazepam"),
    ("Alprazolan", "substance", "alprazolam"),
    ("bupenorphine", "substance", "buprenorphine"),
    ("hydromorfone", "substance", "hydromorphone"),
    ("phenobarbitone", "substance", "phenobarbital"),
    ("dextroamphetamine", "substance", "dexamfetamine"),
    ("amphetamine", "substance", "amfetamine"),
    ("diacetylmorphine", "substance", "heroin"),
    ("ecstasy", "substance", "mdma"),
    ("Cocaïne", "substance", "cocaine"),
    ("可待因", "substance", "codeine"),
    ("tramadl", "substance", "tramadol"),
    ("oxycodon", "substance", "oxycodone"),
    # substances, by their INN in French, Spanish, Russian and Arabic
    ("альфентанил", "substance", "alfentanil"),
    ("flunitrazépam", "substance", "flunitrazepam"),
    ("Alfentanilo", "substance", "alfentanil"),
    ("ألفنتانيل", "substance", "alfentanil"),
    ("ميثيلفينيدات", "substance", "methylphenidate"),
    ("Петидин", "substance", "pethidine"),
    ("Metanfetamina", "substance", "metamfetamine"),
    ("Lévorphanol", "substance", "levorphanol"),
    ("флунитразипам", "substance", "flunitrazepam"),
    # medicines, by brand names and with typos
    ("Ritalin", "product", "methylphenidate"),
    ("Ritaline", "product", "methylphenidate"),
    ("Concerta 36 mg", "product", "methylphenidate"),
    ("Suboxone", "product", "buprenorphine"),
    ("Subuxone", "product", "buprenorphine"),
    ("Durogesic", "product", "fentanyl"),
    ("Duragesic", "product", "fentanyl"),
    ("Durogesik", "product", "fentanyl"),
    ("Solpadol", "product", "codeine"),
    ("Co-codamol", "product", "codeine"),
    ("Tramal", "product", "tramadol"),
]


def is_meant(hit: search.Hit, kind: str, key: str) -> bool:
    if kind == "product":
        return hit.kind == "product" and key in {item.substance for item in reference.product(hit.key).ingredients}
    return (hit.kind, hit.key) == (kind, key)


def test_at_least_fifty_ways_of_naming_are_tried():
    assert len(MEANT) >= 50 and len({typed for typed, _kind, _key in MEANT}) == len(MEANT)


@pytest.mark.parametrize("typed, kind, key", MEANT)
def test_a_misspelt_or_foreign_name_finds_the_item_meant_first(typed, kind, key):
    hits = search.search(typed).hits
    assert hits and is_meant(hits[0], kind, key), [(hit.kind, hit.key, hit.matched, hit.match) for hit in hits[:3]]


def test_names_are_compared_without_case_accents_or_punctuation_but_chinese_is_kept():
    assert search.normalise("  Méthyl-Phénidate ") == "methyl phenidate"
    assert search.normalise("Côte d’Ivoire") == "cote d ivoire"
    assert search.normalise("地西泮（Diazepam）") == "地西泮 diazepam"
    assert search.normalise("!!! ") == ""


def test_an_exact_name_outranks_a_prefix_which_outranks_a_close_spelling_which_outranks_a_name_inside():
    assert [hit.match for hit in search.search("methylphenidate").hits][:1] == ["exact"]
    morph = search.search("morph").hits
    assert morph[0].key == "morphine" and morph[0].match == "prefix"
    fentanil = search.search("fentanil", kinds=("substance",), limit=50).hits
    keys = [hit.key for hit in fentanil]
    assert keys[0] == "fentanyl"
    assert search.search("metylphenidate").hits[0].match == "fuzzy"
    assert [search.BANDS[match] for match in search.MATCHES] == sorted(search.BANDS.values(), reverse=True)
    assert keys.index("fentanyl") < keys.index("sufentanil")
    assert [hit.score for hit in fentanil] == sorted((hit.score for hit in fentanil), reverse=True)
    several = search.search("ger").hits
    assert (several[0].kind, several[0].key, several[0].match) == ("country", "DE", "prefix")
    assert ("NE", "inside") in {(hit.key, hit.match) for hit in several}  # Niger


def test_each_item_is_found_once_by_its_best_name():
    hits = search.search("germany", limit=50).hits
    assert len({(hit.kind, hit.key) for hit in hits}) == len(hits)
    assert hits[0].matched == "Germany" and hits[0].score == 100


def test_did_you_mean_is_offered_only_when_no_name_matches_exactly():
    assert search.search("Germany").did_you_mean == ()
    offered = search.search("metylphenidate").did_you_mean
    assert offered and offered[0].key == "methylphenidate" and len(offered) <= search.SUGGESTIONS


def test_a_short_query_is_never_a_close_spelling_of_a_code():
    assert all(hit.match != "fuzzy" for hit in search.search("ger", limit=50).hits)
    assert search.search("qqqqq").hits == ()
    assert search.search("   ").hits == () and search.search(None).hits == ()


def test_the_kinds_searched_can_be_narrowed():
    assert {hit.kind for hit in search.search("co", kinds=("product",), limit=50).hits} == {"product"}


def test_a_substance_is_named_in_any_language_case_or_spelling_of_its_names():
    assert i18n.substance_key("Méthylphénidate") == "methylphenidate"
    assert i18n.substance_key("PHENOBARBITONE") == "phenobarbital"
    assert i18n.substance_key("哌醋甲酯") == "methylphenidate"
    assert i18n.substance_key(" diacetylmorphine ") == "heroin"
    assert i18n.substance_key("Ritalin") is None and i18n.substance_key(42) is None


def test_a_substance_found_by_its_name_in_one_language_is_named_in_the_readers():
    found = search.search("Alfentanilo").hits[0]
    assert (found.key, found.name("ru"), found.name("ar"), found.name("zh")) == ("alfentanil", "Альфентанил", "ألفنتانيل", "阿芬太尼")
    assert search.search("MT-45").hits[0].name("ru") == "MT-45"  # no INN: its English name


def test_every_name_of_every_substance_is_its_own():
    for key, item in reference.substances().items():
        for name in (key, item.inn, *item.names.values(), *item.other_names):
            assert i18n.substance_key(name) == key, name


def test_close_substances_are_substances_only():
    assert i18n.close_substances("Morfine") == ["morphine"]
    assert i18n.close_substances("Ritalin") == []  # a brand: a product, not a substance


def test_products_are_listed_whole_or_by_name_and_by_the_substance_they_contain():
    assert [item.key for item in search.products_matching(None)] == list(reference.products())
    assert search.products_matching("Concerta")[0].key.startswith("concerta-")
    containing = [item.key for item in search.products_containing("methylphenidate")]
    assert {"ritalin-10-mg-tablet", "concerta-36-mg-prolonged-release-tablet"} <= set(containing)
    assert "ritalin-10-mg-tablet" not in [item.key for item in search.products_containing("naloxone")]


def test_the_product_schema_describes_what_the_api_gives():
    for item in reference.products().values():
        assert search.ProductOut().validate(item.as_json()) == {}
        assert set(search.ProductOut().fields) == set(item.as_json())
