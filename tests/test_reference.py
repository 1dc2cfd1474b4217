"""The reference data: schedules, national controls, guideline amounts, countries, languages, Schengen.

Products (data/products.json) are tested in tests/test_products.py."""
import dataclasses
import json
import re

import pytest

from registry import reference

SOURCE_MISPRINTS = [
    re.compile("Meproamate"),
    re.compile("Clorzepate"),
    re.compile("Dextropropoxyphen(?!e)"),
    re.compile("西洋"),  # 地西洋, 氟硝西洋, 劳拉西洋… for -西泮
    re.compile("甲丙安酯"),
]


def classes_of(key):
    return reference.substance(key).schedules


def strings_outside_source_spelling(value):
    if isinstance(value, dict):
        for name, item in value.items():
            yield name
            if name != "source_spelling":
                yield from strings_outside_source_spelling(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_outside_source_spelling(item)
    elif isinstance(value, str):
        yield value



def rewrite(path, change):
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_every_reference_file_loads_and_passes_its_checks():
    reference.check()


def test_schedule_counts_match_the_lists_as_amended_in_march_2025():
    counts = {cls: 0 for cls in (*reference.SCHEDULE_CLASSES, reference.NATIONAL)}
    for item in reference.substances().values():
        for cls in item.schedules:
            counts[cls] += 1
    assert counts == {
        "1961-I": 138, "1961-II": 10, "1961-III": 0, "1961-IV": 18,
        "1971-I": 33, "1971-II": 64, "1971-III": 9, "1971-IV": 69,
        "national": 14,
    }
    assert len(reference.substances()) == 337


def test_schedule_classes_are_the_eight_of_the_contract():
    assert reference.SCHEDULE_CLASSES == (
        "1961-I", "1961-II", "1961-III", "1961-IV", "1971-I", "1971-II", "1971-III", "1971-IV")


def test_keys_are_lower_case_words_joined_by_hyphens_and_ordered():
    keys = list(reference.substances())
    assert keys == sorted(keys)
    for key, item in reference.substances().items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key), key
        assert item.key == key
        assert item.names["en"]


def test_every_1961_schedule_iv_drug_is_also_in_schedule_i_and_no_substance_is_a_schedule_iii_preparation():
    for item in reference.substances().values():
        if "1961-IV" in item.schedules:
            assert "1961-I" in item.schedules, item.key
        assert "1961-III" not in item.schedules, item.key


def test_well_known_medicines_are_in_their_schedules():
    assert classes_of("methylphenidate") == ("1971-II",)
    assert classes_of("diazepam") == ("1971-IV",)
    assert classes_of("heroin") == ("1961-I", "1961-IV")
    assert classes_of("codeine") == ("1961-II",)
    assert classes_of("buprenorphine") == ("1971-III",)
    assert classes_of("dronabinol") == ("1971-II",)
    assert classes_of("methadone") == ("1961-I",)
    assert classes_of("gamma-hydroxybutyric-acid") == ("1971-II",)
    assert classes_of("flunitrazepam") == ("1971-III",)


def test_cannabis_left_schedule_iv_in_2020_but_stays_in_schedule_i():
    assert "1961-I" in classes_of("cannabis")
    assert "1961-IV" not in classes_of("cannabis")


def test_recent_cnd_decisions_are_included():
    assert classes_of("carfentanil") == ("1961-I", "1961-IV")
    for key in ("isotonitazene", "butonitazene", "protonitazepyne", "n-desethyl-isotonitazene"):
        assert classes_of(key) == ("1961-I",), key
    assert classes_of("hexahydrocannabinol") == ("1971-II",)
    assert classes_of("carisoprodol") == ("1971-IV",)
    assert classes_of("bromazolam") == ("1971-IV",)


def test_users_can_find_heroin_by_its_common_name():
    heroin = reference.substance("heroin")
    assert heroin.inn == "diamorphine"
    assert ("substance", "heroin") in reference.search("Heroin")
    assert ("substance", "heroin") in reference.search("diacetylmorphine")


def test_names_fall_back_to_english_where_no_chinese_name_is_known():
    assert reference.substance("diazepam").name("zh") == "地西泮"
    assert reference.substance("methylphenidate").name("zh") == "哌甲酯"
    assert reference.substance("mt-45").name("zh") == "MT-45"
    assert reference.substance("morphine").name("fr") == "Morphine"


def test_the_guidelines_printed_spellings_find_their_substance():
    for key, spellings in recorded_spellings().items():
        for spelling in spellings:
            if spelling.casefold() != reference.substance(key).names["en"].casefold() and spelling != "氯氮卓":
                assert spelling in reference.substance(key).other_names, (key, spelling)
    assert ("substance", "diazepam") in reference.search("地西洋")
    assert ("substance", "meprobamate") in reference.search("Meproamate")
    assert "氯氮卓" not in reference.substance("clorazepate").other_names  # chlordiazepoxide's name, misprinted there


def test_substances_have_their_names_in_the_un_languages_where_known():
    methylphenidate = reference.substance("methylphenidate")
    assert (methylphenidate.name("fr"), methylphenidate.name("es"), methylphenidate.name("ru")) == (
        "Méthylphénidate", "Metilfenidato", "Метилфенидат")
    alfentanil = reference.substance("alfentanil")
    assert [alfentanil.name(lang) for lang in ("fr", "es", "ru", "ar")] == ["Alfentanil", "Alfentanilo", "Альфентанил", "ألفنتانيل"]
    assert reference.substance("flunitrazepam").name("fr") == "Flunitrazépam"
    assert reference.substance("morphine").name("ar") == "مورفين"
    assert reference.substance("mt-45").name("ar") == "MT-45"  # no INN: English
    assert reference.substance("ketobemidone").name("fr") == "Ketobemidone"  # the French form is not known with confidence
    assert ("substance", "methylphenidate") in reference.search("méthylphénidate")
    assert ("substance", "codeine") in reference.search("Codein")
    for item in reference.substances().values():
        for lang, name in item.names.items():
            assert lang == "en" or name.strip() == name and name, (item.key, lang)


def test_names_per_language_are_counted_and_substances_without_an_inn_keep_english():
    counts = {lang: 0 for lang in ("en", "zh", "fr", "es", "ru", "ar")}
    for item in reference.substances().values():
        for lang in item.names:
            counts[lang] += 1
    assert counts == {"en": 337, "zh": 258, "fr": 193, "es": 193, "ru": 194, "ar": 191}
    # Code and list names (25B-NBOMe, MT-45, U-47700…) are no INN: they have no name made up in other languages.
    for item in reference.substances().values():
        if item.inn != item.inn.lower() or re.search(r"\d", item.inn):
            assert set(item.names) <= {"en", "zh"}, item.key


def test_nationally_controlled_substances_are_a_class_of_their_own():
    national = {key for key, item in reference.substances().items() if item.national}
    assert national == {"armodafinil", "butorphanol", "esketamine", "eszopiclone", "gabapentin", "ketamine",
                        "lisdexamfetamine", "modafinil", "nabilone", "pregabalin", "tapentadol", "tramadol",
                        "zaleplon", "zopiclone"}
    for key in national:
        item = reference.substance(key)
        assert item.schedules == (reference.NATIONAL,) and "Not under international control" in item.note
        assert not reference.guideline_amounts(key) and reference.exempt_preparation(key) is None
    # Internationally controlled since March 2025 (1971 Schedule IV), so not national; zolpidem has long been.
    assert reference.substance("carisoprodol").schedules == ("1971-IV",)
    assert reference.substance("zolpidem").schedules == ("1971-IV",)


def test_a_national_substance_without_a_note_is_refused(data_copy):
    def drop_note(data):
        next(entry for entry in data["substances"] if entry["key"] == "pregabalin").pop("note")
    rewrite(data_copy / "substances.json", drop_note)
    with pytest.raises(reference.ReferenceDataError, match="pregabalin.*note"):
        reference.substances()


def test_a_national_substance_with_a_schedule_is_refused(data_copy):
    def schedule(data):
        next(entry for entry in data["substances"] if entry["key"] == "ketamine")["schedules"].append("1971-IV")
    rewrite(data_copy / "substances.json", schedule)
    with pytest.raises(reference.ReferenceDataError, match="ketamine.*class of its own"):
        reference.substances()


def test_clorazepate_does_not_carry_the_chinese_name_of_chlordiazepoxide():
    clorazepate = reference.substance("clorazepate").names.get("zh")
    assert clorazepate not in ("氯氮䓬", "氯氮卓")
    assert reference.substance("chlordiazepoxide").names["zh"] == "氯氮䓬"


def test_annex_amounts_are_all_there_in_milligrams():
    amounts = reference.guideline_amounts()
    assert len([item for item in amounts if item.annex == "II"]) == 18
    assert len([item for item in amounts if item.annex == "III"]) == 12
    methylphenidate = reference.guideline_amount_for("methylphenidate", None)
    assert (methylphenidate.annex, methylphenidate.amount_mg, methylphenidate.paragraph) == ("II", 2000, "¶26")
    diazepam = reference.guideline_amount_for("diazepam", "tablet")
    assert (diazepam.annex, diazepam.amount_mg, diazepam.paragraph) == ("III", 300, "¶27")
    assert reference.guideline_amount_for("meprobamate", None).amount_mg == 40000
    assert reference.guideline_amount_for("phenobarbital", None).note == "computed on two months of treatment"


def test_fentanyl_patches_have_their_own_amount_and_other_forms_the_smaller_one():
    assert reference.guideline_amount_for("fentanyl", "transdermal-patch").amount_mg == 100
    assert reference.guideline_amount_for("fentanyl", "Transdermal patch").amount_mg == 100
    assert reference.guideline_amount_for("fentanyl", "tablet").amount_mg == 20
    assert reference.guideline_amount_for("fentanyl", None).amount_mg == 20
    assert len(reference.guideline_amounts("fentanyl")) == 2


def test_substances_outside_the_annexes_have_no_guideline_amount():
    assert reference.guideline_amount_for("cocaine", None) is None
    assert reference.guideline_amounts("cocaine") == ()


def test_every_annex_substance_is_in_a_schedule_its_annex_covers():
    for item in reference.guideline_amounts():
        schedules = set(reference.substance(item.substance).schedules)
        assert schedules & reference.ANNEX_CLASSES[item.annex], item


def test_the_supply_rule_is_thirty_days():
    rule = reference.supply_rule()
    assert (rule["days"], rule["paragraph"]) == (30, "¶23")


def recorded_spellings():
    """Each substance's printed spellings in the source: "地西洋(Diazepam)" gives diazepam {"地西洋", "Diazepam"}."""
    found = {}
    for amount in reference.guideline_amounts():
        if amount.source_spelling:
            found[amount.substance] = set(re.findall(r"[^()]+", amount.source_spelling))
    return found


def test_misprints_of_the_source_appear_only_as_its_recorded_spelling():
    recorded = recorded_spellings()
    for path in sorted(reference.DATA_DIR.iterdir()):
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else None
        if path.name == "substances.json":  # a substance's other_names may repeat its own printed spellings, for search
            for entry in data["substances"]:
                entry["other_names"] = [name for name in entry.get("other_names", [])
                                        if name not in recorded.get(entry["key"], ())]
        strings = strings_outside_source_spelling(data) if data is not None else [text]
        for string in strings:
            for misprint in SOURCE_MISPRINTS:
                assert not misprint.search(string), f"{path.name}: {misprint.pattern} in {string!r}"
    meprobamate = reference.guideline_amount_for("meprobamate", None)
    assert "Meproamate" in meprobamate.source_spelling
    assert reference.substance("meprobamate").inn == "meprobamate"


def test_there_are_249_countries_with_english_and_chinese_names():
    countries = reference.countries()
    assert len(countries) == 249
    assert list(countries) == sorted(countries)
    assert reference.country("CN").name("zh") == "中国"
    assert reference.country("FR").name("en") == "France"
    assert reference.country("BO").name("en") == "Bolivia"
    assert all(place.names.get("zh") for place in countries.values())


# The codes whose Chinese names are checked: the short name, as the English one (data/country_names_zh.json).
CHINESE_SHORT_NAMES = {
    "BO": "玻利维亚", "IR": "伊朗", "SY": "叙利亚", "LA": "老挝", "MD": "摩尔多瓦", "VE": "委内瑞拉", "KR": "韩国",
    "KP": "朝鲜", "TZ": "坦桑尼亚", "RU": "俄罗斯", "FM": "密克罗尼西亚", "PS": "巴勒斯坦", "TW": "中国台湾",
    "HK": "中国香港", "MO": "中国澳门", "VN": "越南", "CD": "刚果民主共和国", "CG": "刚果", "CF": "中非共和国",
    "DO": "多米尼加共和国", "AE": "阿拉伯联合酋长国", "GB": "英国", "US": "美国", "CN": "中国", "FR": "法国",
    # The catalogue's misspellings and old names, corrected to UNTERM's
    "KH": "柬埔寨", "MT": "马耳他", "GT": "危地马拉", "KG": "吉尔吉斯斯坦", "BD": "孟加拉国", "SZ": "埃斯瓦蒂尼",
    "PF": "法属波利尼西亚", "CC": "科科斯（基林）群岛", "FK": "福克兰群岛（马尔维纳斯）",
}


@pytest.mark.parametrize("code, name", CHINESE_SHORT_NAMES.items())
def test_chinese_country_names_are_the_short_names_as_the_english_ones(code, name):
    assert reference.country(code).name("zh") == name


def test_no_chinese_country_name_is_a_formal_designation():
    for code, place in reference.countries().items():
        chinese = place.name("zh")
        assert not chinese.endswith("共和国") or "Republic" in place.name("en"), (code, chinese)
        assert not re.search(r"[()]|伊斯兰|民主主义|人民民主|玻利瓦尔|多民族|联邦$|省$", chinese), (code, chinese)
        assert not re.search(r"\s", chinese), (code, chinese)


def test_a_chinese_name_for_an_unknown_code_is_refused(data_copy):
    rewrite(data_copy / "country_names_zh.json", lambda data: data["names"].update(XX="某国"))
    with pytest.raises(reference.ReferenceDataError, match="XX"):
        reference.countries()


def test_country_codes_are_exact_and_upper_case():
    assert reference.country("cn") is None
    assert reference.country("XX") is None
    assert reference.country(None) is None


def test_languages_are_lower_case_iso_639_1_codes():
    assert reference.is_language("en")
    assert reference.is_language("zh")
    assert not reference.is_language("EN")
    assert not reference.is_language("eng")
    assert not reference.is_language("xx")


def test_schengen_has_29_states_since_bulgaria_and_romania_joined_in_full():
    states = reference.schengen_states()
    assert len(states) == 29
    assert {"BG", "RO", "HR", "CH", "NO", "IS", "LI"} <= states
    assert not {"CY", "IE", "GB"} & states


def test_edition_names_the_lists_and_the_iso_table_followed():
    edition = reference.edition()
    assert {"yellow_list", "green_list", "cnd_decisions_through", "iso3166"} <= set(edition)
    assert edition["iso3166"].startswith("pycountry ")


def test_search_finds_substances_and_countries_in_either_language():
    assert ("substance", "fentanyl") in reference.search("FENTANYL")
    assert ("substance", "amfetamine") in reference.search("amphetamine")
    assert ("substance", "fentanyl") in reference.search("芬太尼", "zh")
    assert ("country", "CN") in reference.search("中国", "zh")
    assert ("country", "DE") in reference.search("germany")
    assert reference.search("   ") == []


def test_reference_objects_cannot_be_changed():
    methadone = reference.substance("methadone")
    with pytest.raises(dataclasses.FrozenInstanceError):
        methadone.inn = "something else"
    with pytest.raises(TypeError):
        methadone.names["en"] = "something else"
    with pytest.raises(TypeError):
        reference.substances()["methadone"] = methadone
    assert hash(methadone) == hash(reference.substance("methadone"))


def test_an_annex_substance_missing_from_the_substances_is_refused(data_copy):
    rewrite(data_copy / "guideline_amounts.json", lambda data: data["amounts"][0].update(substance="fentanil"))
    with pytest.raises(reference.ReferenceDataError, match="fentanil"):
        reference.guideline_amounts()


def test_an_annex_amount_for_a_substance_of_another_schedule_is_refused(data_copy):
    rewrite(data_copy / "guideline_amounts.json",
            lambda data: data["amounts"].append({"substance": "cocaine", "annex": "III", "form": None,
                                                 "amount_mg": 1, "paragraph": "¶27"}))
    with pytest.raises(reference.ReferenceDataError, match="Annex III"):
        reference.guideline_amounts()


def test_a_key_that_is_not_lower_case_words_joined_by_hyphens_is_refused(data_copy):
    rewrite(data_copy / "substances.json", lambda data: data["substances"][0].update(key="Bad Key"))
    with pytest.raises(reference.ReferenceDataError, match="Bad Key"):
        reference.substances()


def test_a_repeated_key_is_refused(data_copy):
    rewrite(data_copy / "substances.json", lambda data: data["substances"].append(data["substances"][0]))
    with pytest.raises(reference.ReferenceDataError, match="twice"):
        reference.substances()


def test_an_unknown_schedule_class_is_refused(data_copy):
    rewrite(data_copy / "substances.json", lambda data: data["substances"][0].update(schedules=["1988-I"]))
    with pytest.raises(reference.ReferenceDataError, match="1988-I"):
        reference.substances()


# -- Schedule III of the 1961 Convention (data/schedule_1961_iii.json) ------------------------------------------


@pytest.mark.parametrize("key, mg_per_unit, percent, paragraph", [
    *[(key, 100, 2.5, "1(a)") for key in ("acetyldihydrocodeine", "codeine", "dihydrocodeine", "ethylmorphine", "nicocodine",
                                         "nicodicodine", "norcodeine", "pholcodine")],
    ("propiram", 100, None, "1(b)"),
    ("dextropropoxyphene", 135, 2.5, "1(c)"),
    ("cocaine", None, 0.1, "2"),
    ("opium", None, 0.2, "2"),
    ("morphine", None, 0.2, "2"),
    ("diphenoxylate", 2.5, None, "3"),
    ("difenoxin", 0.5, None, "5"),
])
def test_schedule_iii_exempts_the_preparations_it_names_up_to_its_limits(key, mg_per_unit, percent, paragraph):
    entry = reference.exempt_preparation(key)

    assert (entry.max_mg_per_unit, entry.max_percent, entry.paragraph) == (mg_per_unit, percent, paragraph)
    assert {"1961-I", "1961-II"} & set(reference.substance(key).schedules)


def test_schedule_iii_names_no_preparation_of_other_drugs():
    assert [key for key in reference.substances() if reference.exempt_preparation(key)] == sorted([
        "acetyldihydrocodeine", "codeine", "cocaine", "dextropropoxyphene", "difenoxin", "dihydrocodeine", "diphenoxylate",
        "ethylmorphine", "morphine", "nicocodine", "nicodicodine", "norcodeine", "opium", "pholcodine", "propiram"])
    assert reference.exempt_preparation("fentanyl") is None and reference.exempt_preparation("diazepam") is None


def test_a_schedule_iii_entry_for_a_psychotropic_is_refused(data_copy):
    rewrite(data_copy / "schedule_1961_iii.json", lambda data: data["preparations"][0]["substances"].append("diazepam"))
    with pytest.raises(reference.ReferenceDataError, match="diazepam"):
        reference.exempt_preparation("codeine")


def test_a_schedule_iii_entry_without_a_limit_is_refused(data_copy):
    rewrite(data_copy / "schedule_1961_iii.json", lambda data: data["preparations"][3].update(max_percent=None))
    with pytest.raises(reference.ReferenceDataError, match="needs a limit"):
        reference.exempt_preparation("cocaine")
