"""The Annex I model certificate of the guidelines, in English, French, Spanish and Chinese,
with its medicine part (section D) filled in from a traveller check.

The departure country's authority issues the certificate (guidelines ¶19–21); the
registry only prepares the form. It fills in what the trip says — the medicine, the
countries and, when the departure country notified it, the issuing authority — and leaves
the physician (B), the patient (C) and the seal and signature (E) as blank lines to be
completed by hand, so that no patient's personal data ever reaches the registry.

The certificate's language is chosen apart from the page's (¶20: certificates preferably
in English, French or Spanish), so its labels are a table of their own here, not Flask-Babel
messages, in the six languages of the United Nations. The Chinese, Russian and Arabic labels
follow the wording of Annex I in those editions of the guidelines; the Arabic certificate is
written right to left (templates/check/certificate.html).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from babel import Locale
from babel.numbers import format_decimal

from .. import reference
from .rules import CheckResult
from .trip import Item, Trip

LANGUAGES = ("en", "fr", "es", "zh", "ru", "ar")
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "zh": "中文", "ru": "Русский", "ar": "العربية"}
KINDS = ("certificate", "schengen-certificate")  # the documents this form stands for

LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Certificate for the carrying of medical preparations containing narcotic drugs and/or psychotropic substances by travellers under treatment",
        "model": "Model of Annex I of the International Guidelines for National Regulations concerning Travellers under Treatment with Internationally Controlled Drugs (2003).",
        "numbered": "Certificate %(number)s of %(count)s",
        "a": "A. Country and place of issue",
        "a_country": "Country",
        "a_place": "Place of issue",
        "a_date": "Date of issue",
        "a_validity": "Period of validity*",
        "b": "B. Prescribing physician",
        "name": "Name",
        "address": "Address",
        "phone": "Telephone (country code, area code, number)",
        "b_licence": "Licence number",
        "c": "C. Patient",
        "c_sex": "Sex",
        "c_birth_place": "Place of birth",
        "c_birth_date": "Date of birth",
        "c_address": "Address of residence",
        "c_passport": "Passport or identity card number",
        "c_destination": "Country of destination",
        "d": "D. Prescribed medical preparation",
        "d_trade_name": "Trade name of the preparation (or its composition)",
        "d_form": "Dosage form",
        "d_units": "Number of units (tablets, ampoules, etc.)",
        "d_inn": "International name of the active substance",
        "d_concentration": "Concentration of the active substance",
        "d_total": "Total quantity of the active substance",
        "d_instructions": "Instructions for use",
        "d_days": "Duration of the prescription in days",
        "d_remarks": "Remarks",
        "e": "E. Issuing authority",
        "e_title": "Official title (name) of the authority",
        "e_seal": "Official seal of the authority",
        "e_signature": "Signature of the responsible officer",
        "validity_note": "* Validity of the certificate: three months from the date of issue is suggested.",
        "prefilled": "Printed from the traveller check of the registry. The filled-in entries come from the trip as it was entered: check them against the prescription. Sections B and C are completed by hand; the authority completes, seals and signs it.",
        "schengen": "Between Schengen states this certificate is issued on the form of article 75 of the Schengen Convention, which asks for the same information.",
    },
    "fr": {
        "title": "Certificat pour le transport par des voyageurs sous traitement de préparations médicales contenant des stupéfiants et/ou des substances psychotropes",
        "model": "Modèle de l'annexe I des Principes directeurs internationaux pour les réglementations nationales concernant les voyageurs sous traitement avec des substances placées sous contrôle international (2003).",
        "numbered": "Certificat %(number)s sur %(count)s",
        "a": "A. Pays et lieu de délivrance",
        "a_country": "Pays",
        "a_place": "Lieu de délivrance",
        "a_date": "Date de délivrance",
        "a_validity": "Durée de validité*",
        "b": "B. Médecin prescripteur",
        "name": "Nom",
        "address": "Adresse",
        "phone": "Téléphone (indicatif du pays, indicatif régional, numéro)",
        "b_licence": "Numéro d'autorisation d'exercer",
        "c": "C. Patient",
        "c_sex": "Sexe",
        "c_birth_place": "Lieu de naissance",
        "c_birth_date": "Date de naissance",
        "c_address": "Adresse de résidence",
        "c_passport": "Numéro du passeport ou de la carte d'identité",
        "c_destination": "Pays de destination",
        "d": "D. Préparation médicale prescrite",
        "d_trade_name": "Nom commercial de la préparation (ou sa composition)",
        "d_form": "Forme pharmaceutique",
        "d_units": "Nombre d'unités (comprimés, ampoules, etc.)",
        "d_inn": "Dénomination commune internationale de la substance active",
        "d_concentration": "Concentration de la substance active",
        "d_total": "Quantité totale de substance active",
        "d_instructions": "Mode d'emploi",
        "d_days": "Durée de la prescription en jours",
        "d_remarks": "Observations",
        "e": "E. Autorité de délivrance",
        "e_title": "Titre officiel (nom) de l'autorité",
        "e_seal": "Cachet officiel de l'autorité",
        "e_signature": "Signature du responsable",
        "validity_note": "* Durée de validité du certificat : trois mois à compter de la date de délivrance sont suggérés.",
        "prefilled": "Imprimé depuis la vérification du voyage du registre. Les mentions pré-remplies proviennent du voyage tel qu'il a été saisi : vérifiez-les au regard de l'ordonnance. Les sections B et C sont remplies à la main ; l'autorité complète, appose son cachet et signe.",
        "schengen": "Entre États Schengen, ce certificat est délivré sur le formulaire de l'article 75 de la Convention de Schengen, qui demande les mêmes informations.",
    },
    "es": {
        "title": "Certificado para el transporte por viajeros en tratamiento de preparados médicos que contengan estupefacientes y/o sustancias sicotrópicas",
        "model": "Modelo del anexo I de las Directrices internacionales para las reglamentaciones nacionales relativas a los viajeros en tratamiento con sustancias sometidas a fiscalización internacional (2003).",
        "numbered": "Certificado %(number)s de %(count)s",
        "a": "A. País y lugar de expedición",
        "a_country": "País",
        "a_place": "Lugar de expedición",
        "a_date": "Fecha de expedición",
        "a_validity": "Período de validez*",
        "b": "B. Médico que prescribe",
        "name": "Nombre",
        "address": "Dirección",
        "phone": "Teléfono (código del país, código de zona, número)",
        "b_licence": "Número de licencia",
        "c": "C. Paciente",
        "c_sex": "Sexo",
        "c_birth_place": "Lugar de nacimiento",
        "c_birth_date": "Fecha de nacimiento",
        "c_address": "Dirección de residencia",
        "c_passport": "Número del pasaporte o del documento de identidad",
        "c_destination": "País de destino",
        "d": "D. Preparado médico prescrito",
        "d_trade_name": "Nombre comercial del preparado (o su composición)",
        "d_form": "Forma farmacéutica",
        "d_units": "Número de unidades (comprimidos, ampollas, etc.)",
        "d_inn": "Denominación común internacional del principio activo",
        "d_concentration": "Concentración del principio activo",
        "d_total": "Cantidad total del principio activo",
        "d_instructions": "Instrucciones de uso",
        "d_days": "Duración de la prescripción en días",
        "d_remarks": "Observaciones",
        "e": "E. Autoridad expedidora",
        "e_title": "Título oficial (nombre) de la autoridad",
        "e_seal": "Sello oficial de la autoridad",
        "e_signature": "Firma del funcionario responsable",
        "validity_note": "* Validez del certificado: se sugieren tres meses a partir de la fecha de expedición.",
        "prefilled": "Impreso desde la verificación del viaje del registro. Los datos ya rellenados proceden del viaje tal como se introdujo: compruébelos con la receta. Las secciones B y C se rellenan a mano; la autoridad completa, sella y firma el certificado.",
        "schengen": "Entre Estados Schengen, este certificado se expide en el formulario del artículo 75 del Convenio de Schengen, que pide la misma información.",
    },
    "zh": {
        "title": "正在接受治疗的旅行人员携带含麻醉药品和（或）精神药物的医药制剂证明书",
        "model": "《关于正在使用国际管制药物接受治疗的旅行人员的国家条例国际准则》（2003年）附件一式样。",
        "numbered": "证明书 %(number)s / %(count)s",
        "a": "A. 国家和签发地",
        "a_country": "国家",
        "a_place": "签发地",
        "a_date": "签发日期",
        "a_validity": "有效期*",
        "b": "B. 处方医师",
        "name": "姓名",
        "address": "地址",
        "phone": "电话（国家代码、本地代码、号码）",
        "b_licence": "执照号码",
        "c": "C. 患者",
        "c_sex": "性别",
        "c_birth_place": "出生地",
        "c_birth_date": "出生日期",
        "c_address": "住址",
        "c_passport": "护照或身份证号码",
        "c_destination": "拟前往的目的地国",
        "d": "D. 处方医药制剂",
        "d_trade_name": "药品（或其组成成分）的商品名称",
        "d_form": "剂型",
        "d_units": "单位（药片，针剂等）数",
        "d_inn": "活性物质的国际名称",
        "d_concentration": "活性物质的浓度",
        "d_total": "活性物质的总量",
        "d_instructions": "使用说明",
        "d_days": "处方用药期天数",
        "d_remarks": "备注",
        "e": "E. 签发当局",
        "e_title": "当局的正式称号（名称）",
        "e_seal": "当局的正式印章",
        "e_signature": "负责官员的签字",
        "validity_note": "* 关于证明书的有效期，建议自签发之日起三个月内有效。",
        "prefilled": "由本登记册的旅行核查打印。已填写的内容来自所输入的行程，请与处方核对。B 部分和 C 部分由手工填写；签发当局填写其余内容并盖章签字。",
        "schengen": "在申根国家之间，此证明书按《申根协定实施公约》第75条规定的格式签发，所需信息相同。",
    },
    "ru": {
        "title": "Сертификат на перевозку лицами, совершающими поездки и проходящими курс лечения, медицинских препаратов, содержащих наркотические средства и/или психотропные вещества",
        "model": "Образец, приведённый в приложении I к Международным руководящим принципам национального регулирования в отношении лиц, совершающих поездки и проходящих курс лечения с использованием лекарственных средств, находящихся под международным контролем (2003 год).",
        "numbered": "Сертификат %(number)s из %(count)s",
        "a": "A. Страна и место выдачи",
        "a_country": "Страна",
        "a_place": "Место выдачи",
        "a_date": "Дата выдачи",
        "a_validity": "Срок действия*",
        "b": "B. Врач, выписавший рецепт",
        "name": "Фамилия, имя",
        "address": "Адрес",
        "phone": "Телефон (код страны, код города, номер)",
        "b_licence": "Номер лицензии",
        "c": "C. Пациент",
        "c_sex": "Пол",
        "c_birth_place": "Место рождения",
        "c_birth_date": "Дата рождения",
        "c_address": "Адрес места жительства",
        "c_passport": "Номер паспорта или удостоверения личности",
        "c_destination": "Страна назначения",
        "d": "D. Назначенный медицинский препарат",
        "d_trade_name": "Торговое название препарата (или его состав)",
        "d_form": "Лекарственная форма",
        "d_units": "Число единиц (таблеток, ампул и т. д.)",
        "d_inn": "Международное наименование действующего вещества",
        "d_concentration": "Концентрация действующего вещества",
        "d_total": "Общее количество действующего вещества",
        "d_instructions": "Способ применения",
        "d_days": "Срок действия рецепта в днях",
        "d_remarks": "Примечания",
        "e": "E. Выдавший орган",
        "e_title": "Официальное наименование органа",
        "e_seal": "Официальная печать органа",
        "e_signature": "Подпись ответственного должностного лица",
        "validity_note": "* Срок действия сертификата: рекомендуется три месяца с даты выдачи.",
        "prefilled": "Распечатано со страницы проверки поездки в реестре. Заполненные поля взяты из введённых сведений о поездке: сверьте их с рецептом. Разделы B и C заполняются от руки; компетентный орган заполняет раздел E, скрепляет печатью и подписывает.",
        "schengen": "Между государствами Шенгенского соглашения этот сертификат выдаётся на бланке согласно статье 75 Шенгенской конвенции, в котором запрашиваются те же сведения.",
    },
    "ar": {
        "title": "شهادة لحمل المسافرين الخاضعين للعلاج مستحضرات طبية تحتوي على مخدرات و/أو مؤثرات عقلية",
        "model": "نموذج المرفق الأول للمبادئ التوجيهية الدولية بشأن اللوائح الوطنية المتعلقة بالمسافرين الخاضعين للعلاج بعقاقير خاضعة للمراقبة الدولية (2003).",
        "numbered": "الشهادة %(number)s من %(count)s",
        "a": "ألف - بلد الإصدار ومكانه",
        "a_country": "البلد",
        "a_place": "مكان الإصدار",
        "a_date": "تاريخ الإصدار",
        "a_validity": "مدة الصلاحية*",
        "b": "باء - الطبيب الواصف",
        "name": "الاسم",
        "address": "العنوان",
        "phone": "الهاتف (رمز البلد، رمز المنطقة، الرقم)",
        "b_licence": "رقم الترخيص",
        "c": "جيم - المريض",
        "c_sex": "الجنس",
        "c_birth_place": "مكان الولادة",
        "c_birth_date": "تاريخ الولادة",
        "c_address": "عنوان الإقامة",
        "c_passport": "رقم جواز السفر أو بطاقة الهوية",
        "c_destination": "بلد المقصد",
        "d": "دال - المستحضر الطبي الموصوف",
        "d_trade_name": "الاسم التجاري للمستحضر (أو تركيبته)",
        "d_form": "الشكل الصيدلاني",
        "d_units": "عدد الوحدات (أقراص، أمبولات، إلخ)",
        "d_inn": "الاسم الدولي للمادة الفعالة",
        "d_concentration": "تركيز المادة الفعالة",
        "d_total": "الكمية الإجمالية من المادة الفعالة",
        "d_instructions": "تعليمات الاستعمال",
        "d_days": "مدة الوصفة الطبية بالأيام",
        "d_remarks": "ملاحظات",
        "e": "هاء - السلطة المُصدِرة",
        "e_title": "الصفة الرسمية (اسم) السلطة",
        "e_seal": "الختم الرسمي للسلطة",
        "e_signature": "توقيع الموظف المسؤول",
        "validity_note": "* صلاحية الشهادة: يُقترح أن تكون ثلاثة أشهر من تاريخ الإصدار.",
        "prefilled": "طُبعت هذه الشهادة من فحص المسافر في السجل. البيانات المملوءة مأخوذة من الرحلة كما أُدخلت: قارنها بالوصفة الطبية. يُملأ الجزءان باء وجيم باليد؛ وتملأ السلطة الشهادة وتختمها وتوقعها.",
        "schengen": "بين دول شنغن، تصدر هذه الشهادة على الاستمارة المنصوص عليها في المادة 75 من اتفاقية شنغن، التي تطلب المعلومات نفسها.",
    },
}

FORM_LABELS_BY_LANGUAGE: Mapping[str, Mapping[str, str]] = {
    "en": {
        "tablet": "tablets", "capsule": "capsules", "oral-liquid": "oral liquid", "oral-film": "oral films",
        "sublingual": "sublingual tablets or films", "lozenge": "lozenges", "injection": "solution for injection",
        "transdermal-patch": "transdermal patches", "suppository": "suppositories", "nasal-spray": "nasal spray",
        "inhalation": "inhalation",
    },
    "fr": {
        "tablet": "comprimés", "capsule": "gélules", "oral-liquid": "liquide buvable", "oral-film": "films orodispersibles",
        "sublingual": "comprimés ou films sublinguaux", "lozenge": "pastilles", "injection": "solution injectable",
        "transdermal-patch": "dispositifs transdermiques (patchs)", "suppository": "suppositoires", "nasal-spray": "pulvérisation nasale",
        "inhalation": "inhalation",
    },
    "es": {
        "tablet": "comprimidos", "capsule": "cápsulas", "oral-liquid": "líquido oral", "oral-film": "películas bucodispersables",
        "sublingual": "comprimidos o películas sublinguales", "lozenge": "pastillas para chupar", "injection": "solución inyectable",
        "transdermal-patch": "parches transdérmicos", "suppository": "supositorios", "nasal-spray": "pulverización nasal",
        "inhalation": "inhalación",
    },
    "zh": {
        "tablet": "片剂", "capsule": "胶囊剂", "oral-liquid": "口服液体剂", "oral-film": "口溶膜剂",
        "sublingual": "舌下片或舌下膜", "lozenge": "含片", "injection": "注射剂",
        "transdermal-patch": "透皮贴剂", "suppository": "栓剂", "nasal-spray": "鼻喷雾剂",
        "inhalation": "吸入剂",
    },
    "ru": {
        "tablet": "таблетки", "capsule": "капсулы", "oral-liquid": "жидкость для приема внутрь",
        "oral-film": "пленки для рассасывания", "sublingual": "подъязычные таблетки или пленки", "lozenge": "пастилки",
        "injection": "раствор для инъекций", "transdermal-patch": "трансдермальные пластыри", "suppository": "суппозитории",
        "nasal-spray": "назальный спрей", "inhalation": "ингаляции",
    },
    "ar": {
        "tablet": "أقراص", "capsule": "كبسولات", "oral-liquid": "سائل فموي", "oral-film": "أغشية فموية",
        "sublingual": "أقراص أو أغشية تحت اللسان", "lozenge": "أقراص استحلاب", "injection": "محلول للحقن",
        "transdermal-patch": "لصقات عبر الجلد", "suppository": "تحاميل", "nasal-spray": "بخاخ أنفي",
        "inhalation": "استنشاق",
    },
}


@dataclass(frozen=True)
class Medicine:
    """Section D as the trip fills it in; what the trip does not say stays blank (None)."""

    inn: str
    name: str | None  # the substance's name in the certificate's language, where it differs from the INN
    form: str | None
    units: int | None
    total: str
    days: int | None


@dataclass(frozen=True)
class Issuer:
    """Section E as the departure country notified its certificates office."""

    name: str
    address: str
    phone: str | None


@dataclass(frozen=True)
class Certificate:
    """One certificate: one medicine (Annex I, section D), with what the trip says of the rest."""

    number: int
    count: int
    country: str | None  # where it is issued: the departure country
    destination: str
    medicine: Medicine
    issuer: Issuer | None  # the departure country's certificates office, as the check found it
    schengen: bool


def needed(result: CheckResult) -> bool:
    """Whether the trip needs a certificate (or the Schengen certificate) anywhere."""
    return any(kind in result.documents for kind in KINDS)


def certificates(trip: Trip, result: CheckResult, lang: str) -> list[Certificate]:
    """One certificate per medicine that needs one somewhere on the trip (every medicine if none does)."""
    wanted = [index for index in range(len(trip.items))
              if any(set(KINDS) & set(country.items[index].documents) for country in result.countries)]
    chosen = [trip.items[index] for index in wanted or range(len(trip.items))]
    office = next((office for country in result.countries for office in country.authorities
                   if office["country"] == trip.departure), None)
    return [
        Certificate(
            number=number,
            count=len(chosen),
            country=country_name(trip.departure, lang) if trip.departure else None,
            destination=country_name(trip.destination, lang),
            medicine=_medicine(item, lang),
            issuer=_issuer(office, lang) if office else None,
            schengen="schengen-certificate" in result.documents,
        )
        for number, item in enumerate(chosen, 1)
    ]


def _medicine(item: Item, lang: str) -> Medicine:
    substance = reference.substance(item.substance)
    name = substance.name(lang)
    return Medicine(
        inn=substance.inn,
        name=name if name.casefold() != substance.inn.casefold() else None,
        form=FORM_LABELS_BY_LANGUAGE[lang].get(item.form) if item.form else None,
        units=item.unit_doses,
        total=f"{format_decimal(item.amount_mg, locale=lang)} mg",
        days=item.prescription_days,  # the prescription's, not the stay's: blank for the physician unless given
    )


def _issuer(office: Mapping, lang: str) -> Issuer:
    address = office["address"]
    town = " ".join(part for part in (address.get("postal_code"), address["city"]) if part)
    return Issuer(office["name"], ", ".join([*address["lines"], town, country_name(address["country"], lang)]), office.get("phone"))


def country_name(code: str, lang: str) -> str:
    """A country's name in the certificate's language: the registry's own where it has one (zh), else CLDR's."""
    place = reference.country(code)
    return place.names.get(lang) or Locale.parse(lang).territories.get(code) or place.name("en")
