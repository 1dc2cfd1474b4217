"""The reasons of the traveller check: a stable code per kind, its English template, and how it is rendered.

Every English phrase a reason can show lives in this module's tables or is passed to
`translate` here, so that pybabel finds them (babel.cfg, `extract_phrases`) and a page
renders a reason in the reader's language.
"""
from __future__ import annotations

import ast
import io
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Callable, Mapping

from babel.dates import format_date
from babel.messages.extract import extract_python

from .. import reference
from ..changes import SECTION_PHRASES
from ..i18n import date_pattern

# The dosage forms a traveller may name, as reasons word them; Annex II gives fentanyl a separate amount for
# transdermal patches.
FORM_PHRASES = {
    "tablet": "tablets",
    "capsule": "capsules",
    "oral-liquid": "oral liquids",
    "oral-film": "oral films",
    "sublingual": "sublingual forms",
    "lozenge": "lozenges",
    "injection": "injections",
    "transdermal-patch": "transdermal patches",
    "suppository": "suppositories",
    "nasal-spray": "nasal sprays",
    "inhalation": "inhalations",
}
DISCLAIMER = (
    "This check applies the notifications published in this registry and, where a country notified nothing, "
    "the defaults of the UN International Guidelines for National Regulations concerning Travellers under "
    "Treatment with Internationally Controlled Drugs (2003). It is not legal advice: the official texts of each "
    "country prevail. Confirm with the authorities named here before you travel."
)




# -- reasons ------------------------------------------------------------------------------------------

# The English text of every reason, by code. Templates use named %-placeholders, as gettext
# catalogues do; `render` fills them with the reason's parameters named in words.
TEXTS = {
    # Prohibitions
    "schedule-1961-iv": "%(substance)s is in Schedule IV of the 1961 Convention: travellers may not carry it, even where the country of departure allows it.",
    "schedule-1971-i": "%(substance)s is in Schedule I of the 1971 Convention: article 4(a) lets travellers carry small quantities of psychotropic substances other than those of Schedule I only, so travellers may not carry it.",
    "travellers-not-allowed": "%(country)s does not allow travellers to bring in medicines containing internationally controlled substances; only its authority can grant an exception.",
    "import-ban": "%(country)s prohibits the import of %(substance)s (article 13 of the 1971 Convention, since %(since)s), so travellers may not carry it (guidelines ¶28, ¶10); no special licence is granted.",
    "import-ban-licence": "%(country)s prohibits the import of %(substance)s (article 13 of the 1971 Convention, since %(since)s), so travellers may not carry it (guidelines ¶28, ¶10); its authority may grant a special licence case by case.",
    "import-ban-region": "%(country)s prohibits the import of %(substance)s in %(region)s (article 13 of the 1971 Convention): do not take it there.",
    # The item itself
    "preparation-not-exempted": "%(substance)s is not a narcotic drug whose preparations Schedule III of the 1961 Convention can exempt: the rules for %(classes)s apply.",
    "preparation-strength-unknown": "Schedule III of the 1961 Convention exempts preparations of %(substance)s only up to %(limits)s; without that strength the preparation is not exempted, and the rules for %(classes)s apply.",
    "preparation-too-strong": "This preparation of %(substance)s is stronger than Schedule III of the 1961 Convention allows (%(limits)s): it is not exempted, and the rules for %(classes)s apply.",
    "amount-total": "You carry %(amount_mg)s of %(substance)s in all your medicines; that total is what counts.",
    "not-under-international-control": "%(substance)s is not under international control: no convention or guideline sets what travellers need for it, and this registry holds no rule of %(country)s for it. %(country)s may control it by its own law: ask its authority before you travel.",
    # Whose rules apply
    "no-notification": "%(country)s has not notified its requirements: the guidelines' defaults apply.",
    "requirements-withdrawn": "%(country)s withdrew its requirements: the guidelines' defaults apply until it notifies new ones.",
    "rules-not-covering": "The rules of %(country)s do not name %(substance)s or its schedule (%(classes)s): the guidelines' defaults apply.",
    "travellers-restricted": "%(country)s restricts travellers carrying controlled medicines: read its notes and ask its authority before you travel.",
    # The guidelines' defaults
    "prescription-default": "Carry the prescription for %(substance)s (%(classes)s).",
    "annex-ii-above": "You carry %(amount_mg)s of %(substance)s, more than the guidelines' Annex II amount of %(limit_mg)s%(form_scope)s: a certificate may be required.",
    "annex-ii-within": "You carry %(amount_mg)s of %(substance)s, not more than the guidelines' Annex II amount of %(limit_mg)s%(form_scope)s: no certificate is needed.",
    "annex-ii-none": "Annex II of the guidelines lists amounts for some substances only, as examples, and none for %(substance)s: carry a certificate, which may be required whatever the amount, and ask the authority.",
    "annex-iii-above": "You carry %(amount_mg)s of %(substance)s, more than the guidelines' Annex III amount of %(limit_mg)s: a prescription is needed.",
    "annex-iii-within": "You carry %(amount_mg)s of %(substance)s, not more than the guidelines' Annex III amount of %(limit_mg)s: no prescription is needed.",
    "annex-iii-none": "The guidelines list no Annex III amount for %(substance)s: carry a prescription.",
    "preparation-1961-iii": "A preparation of %(substance)s within the limits of Schedule III of the 1961 Convention (%(limits)s) may be carried without documents.",
    "retail-package": "You carry %(unit_doses)s unit doses, not more than one retail package (%(limit)s): no prescription is needed.",
    "retail-package-above": "You carry %(unit_doses)s unit doses, more than one retail package (%(limit)s): the prescription is needed.",
    "retail-package-certificate": "A certificate is needed, and it is issued on the basis of a prescription: carry the prescription even for %(unit_doses)s unit doses.",
    "retail-package-not-exempt": "%(country)s does not exempt one retail package from the prescription: carry it even for %(unit_doses)s unit doses.",
    # A country's rules
    "rule-always": "%(country)s requires %(documents)s for %(applies)s.",
    "rule-guideline-above": "%(country)s requires %(documents)s for %(applies)s above the guidelines' amount; you carry %(amount_mg)s, more than %(limit_mg)s%(form_scope)s.",
    "rule-guideline-within": "%(country)s requires %(documents)s for %(applies)s above the guidelines' amount; you carry %(amount_mg)s, not more than %(limit_mg)s%(form_scope)s, so they are not needed.",
    "rule-guideline-no-amount": "%(country)s requires %(documents)s for %(applies)s above the guidelines' amount; the guidelines list none for %(substance)s, so carry them.",
    "rule-amount-above": "%(country)s requires %(documents)s for more than %(limit_mg)s of %(applies)s; you carry %(amount_mg)s.",
    "rule-amount-within": "%(country)s requires %(documents)s for more than %(limit_mg)s of %(applies)s; you carry %(amount_mg)s, so they are not needed.",
    "rule-days-above": "%(country)s requires %(documents)s for %(applies)s when the supply is for more than %(limit_days)s days; your stay is %(days)s days.",
    "rule-days-within": "%(country)s requires %(documents)s for %(applies)s when the supply is for more than %(limit_days)s days; your stay is %(days)s days, so they are not needed.",
    "rule-days-unknown": "%(country)s requires %(documents)s for %(applies)s when the supply is for more than %(limit_days)s days; the length of the stay was not given, so carry them.",
    "permit-lead-time": "Apply for the import permit of %(country)s at least %(lead_days)s days before you travel.",
    # Certificates
    "schengen-certificate": "Between two Schengen states (%(departure)s and %(country)s) the certificate is the Schengen certificate, issued in %(departure)s.",
    "schengen-certificate-outside": "The Schengen certificate is issued by a Schengen state to its residents; coming from %(departure)s, ask the authority of %(country)s what to carry instead.",
    "schengen-certificate-departure-unknown": "The Schengen certificate is issued by the Schengen state where you live; from outside the Schengen area, ask the authority of %(country)s what to carry instead.",
    "certificate-issuer": "The certificate is issued before you leave by the competent authority of %(departure)s (model in Annex I of the guidelines).",
    "certificate-issuer-unknown": "The certificate is issued before you leave by the competent authority of the country where you obtained the medicine (model in Annex I of the guidelines).",
    # Transit
    "transit-default": "Crossing %(country)s, you need the documents it requires of incoming travellers.",
    "transit-same-as-entry": "%(country)s asks travellers passing through for the same documents as on entry.",
    "transit-not-required": "%(country)s asks no documents of travellers passing through.",
    "transit-own-rules": "%(country)s has its own rules for travellers passing through (see its transit notes); its entry requirements are shown as the most it may ask.",
    # Supply
    "supply-within": "Your stay of %(days)s days is within the %(limit_days)s days' supply of %(substance)s that %(country)s accepts.",
    "supply-above": "Your stay of %(days)s days is longer than the %(limit_days)s days' supply of %(substance)s that %(country)s accepts: carry at most that, and continue the treatment there (see continuity of treatment).",
    "supply-within-guideline": "Your stay of %(days)s days is within the %(limit_days)s days of treatment the guidelines consider an adequate supply.",
    "supply-above-guideline": "Your stay of %(days)s days is longer than the %(limit_days)s days of treatment the guidelines consider an adequate supply%(anticonvulsants)s: plan to continue the treatment there (see continuity of treatment).",
}
# A country's notices (CountryResult.notices): about the information read, not a rule, by code.
NOTICE_TEXTS = {
    "confirmation-overdue": "%(country)s last confirmed its %(section)s %(months_ago)s: they were due for confirmation by %(due)s, so ask its authority whether they still apply.",
}
TEXTS.update(NOTICE_TEXTS)
# Phrases whose words depend on a number, (singular, plural) as ngettext takes them; the number is %(num)s.
PLURAL_PHRASES = {
    "months_ago": ("%(num)s month ago", "%(num)s months ago"),
}

DOCUMENT_NAMES = {
    "prescription": "a prescription",
    "physician-letter": "a letter from the treating physician",
    "certificate": "a certificate from the country of departure",
    "import-permit": "an import permit",
    "schengen-certificate": "a Schengen certificate",
    "customs-declaration": "a customs declaration",
}
CONVENTIONS = {"1961": "the 1961 Convention", "1971": "the 1971 Convention"}


@dataclass(frozen=True)
class Reason:
    """One step of a decision: what was found, with its parameters and where it comes from."""

    code: str
    source: str
    params: Mapping[str, Any]

    @property
    def text(self) -> str:
        return render(self)

    def as_json(self, words: Words | None = None) -> dict:
        """The reason as the API gives it, its text in English or by `words` (a `render` in another language)."""
        return {"code": self.code, "text": (words or render)(self), "source": self.source, "params": dict(self.params)}


Words = Callable[[Reason], str]  # a reason's text, in some language


def _english_plural(singular: str, plural: str, number: int) -> str:
    return singular if number == 1 else plural


def _as_is(text: str) -> str:
    return text


# The English words of the reasons met last, by code and parameters: the same medicines, amounts and
# countries come up check after check, and a reason's words depend on nothing else.
_ENGLISH: dict = {}
_ENGLISH_MAX = 8192


def render(reason: Reason, translate: Callable[[str], str] = _as_is, lang: str = "en",
           translate_plural: Callable[[str, str, int], str] = _english_plural) -> str:
    """The reason in words: its template, passed through `translate`, filled with its parameters named in `lang`;
    `translate_plural` (a catalogue's ngettext) chooses the form of a phrase that counts something."""
    if translate is not _as_is or lang != "en" or translate_plural is not _english_plural:
        return _render(reason, translate, lang, translate_plural)
    key = _key(reason)
    text = _ENGLISH.get(key) if key is not None else None
    if text is None:
        text = _render(reason, translate, lang, translate_plural)
        if key is not None:
            if len(_ENGLISH) >= _ENGLISH_MAX:
                _ENGLISH.clear()
            _ENGLISH[key] = text
    return text


def _key(reason: Reason) -> tuple | None:
    """The reason's code and parameters as a dictionary key; None when a parameter cannot be part of one."""
    params = reason.params
    key = (reason.code, tuple(params), tuple([tuple(value) if isinstance(value, list) else value for value in params.values()]))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _render(reason: Reason, translate, lang: str, translate_plural) -> str:
    words = {name: _word(name, value, translate, lang) for name, value in reason.params.items()}
    if "months" in reason.params:
        months = reason.params["months"]
        words["months_ago"] = translate_plural(*PLURAL_PHRASES["months_ago"], months) % {"num": months}
    if "amount_form" in reason.params:
        words["form_scope"] = _form_scope(reason.params, translate)
    if "limit_unit_mg" in reason.params or "limit_percent" in reason.params:
        words["limits"] = _limits(reason.params, translate)
    if reason.code == "supply-above-guideline":
        words["anticonvulsants"] = translate(" (longer is acceptable for anticonvulsants)") if reason.params["psychotropic"] else ""
    return translate(TEXTS[reason.code]) % words


def _word(name: str, value, translate, lang: str) -> str:
    if value is None:
        return ""
    if name == "substance":
        return reference.substance(value).name(lang)
    if name in ("country", "departure"):
        return reference.country(value).name(lang)
    if name == "documents":
        return _join([translate(DOCUMENT_NAMES[kind]) for kind in value], translate)
    if name == "classes":
        return _join([_class(entry, translate) for entry in value], translate)
    if name == "applies":
        return _join([_class(entry, translate, members=True) if entry in reference.SCHEDULE_CLASSES
                      else reference.substance(entry).name(lang) for entry in value], translate)
    if name in ("amount_mg", "limit_mg"):
        return f"{_number(value)} mg"
    if name == "section":
        return translate(SECTION_PHRASES[value])
    if name == "due":
        return _day(value, lang)
    return str(value)


@lru_cache(maxsize=4096)
def _day(value: str, lang: str) -> str:
    """A due date written in `lang`: Babel reads its locale data anew for each date it formats."""
    return format_date(date.fromisoformat(value), date_pattern(lang), locale=lang)


def _class(entry: str, translate, *, members: bool = False) -> str:
    convention, schedule = entry.split("-")
    template = "substances in Schedule %(schedule)s of %(convention)s" if members else "Schedule %(schedule)s of %(convention)s"
    return translate(template) % {"schedule": schedule, "convention": translate(CONVENTIONS[convention])}


def _form_scope(params: Mapping[str, Any], translate) -> str:
    """Which form an amount is for, when Annex II lists several for the substance (fentanyl)."""
    listed = [amount.form for amount in reference.guideline_amounts(params["substance"]) if amount.form]
    if not listed:
        return ""
    form = params.get("amount_form")
    if form:
        return translate(" for %(forms)s") % {"forms": translate(FORM_PHRASES.get(form, form))}
    return translate(" for forms other than %(forms)s") % {"forms": _join([translate(FORM_PHRASES.get(item, item)) for item in listed], translate)}


def _limits(params: Mapping[str, Any], translate) -> str:
    """The strengths Schedule III of the 1961 Convention allows for a drug's preparations."""
    limits = []
    if params.get("limit_unit_mg") is not None:
        limits.append(translate("%(mg)s per dosage unit") % {"mg": f"{_number(params['limit_unit_mg'])} mg"})
    if params.get("limit_percent") is not None:
        limits.append(translate("%(percent)s in undivided preparations") % {"percent": f"{_number(params['limit_percent'])} %"})
    return translate(" or ").join(limits)


def _join(words: list[str], translate) -> str:
    if len(words) <= 1:
        return "".join(words)
    return translate("%(items)s and %(last)s") % {"items": translate(", ").join(words[:-1]), "last": words[-1]}


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6f}".rstrip("0").rstrip(".")


# -- finding the phrases to translate ---------------------------------------------------------

# The module-level tables of this module whose English values `render` translates.
PHRASE_TABLES = ("TEXTS", "NOTICE_TEXTS", "DOCUMENT_NAMES", "CONVENTIONS", "FORM_PHRASES", "DISCLAIMER")


def extract_phrases(fileobj, keywords, comment_tags, options):
    """pybabel's extractor for this module (babel.cfg): every English phrase a page passes through
    gettext to show a reason — the tables above and the literals given to `translate` — besides
    the usual gettext calls."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    tree = ast.parse(source.decode("utf-8"))
    for node in tree.body:
        targets = [target.id for target in getattr(node, "targets", []) if isinstance(target, ast.Name)]
        if set(targets) & set(PHRASE_TABLES):
            values = node.value.values if isinstance(node.value, ast.Dict) else [node.value]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    yield value.lineno, None, value.value, []
        if "PLURAL_PHRASES" in targets:
            for value in node.value.values:
                yield value.lineno, "ngettext", tuple(item.value for item in value.elts), []
    for function in (node for node in tree.body if isinstance(node, ast.FunctionDef)):
        yield from _translated_literals(function)


def _translated_literals(function: ast.FunctionDef):
    """Literals a function passes to `translate`, directly or through a local name (`template = "…" if … else "…"`)."""
    local: dict[str, list[ast.Constant]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            choices = [node.value.body, node.value.orelse] if isinstance(node.value, ast.IfExp) else [node.value]
            local[node.targets[0].id] = [choice for choice in choices if isinstance(choice, ast.Constant)]
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "translate" and node.args:
            argument = node.args[0]
            literals = [argument] if isinstance(argument, ast.Constant) else local.get(getattr(argument, "id", None), [])
            for literal in literals:
                if isinstance(literal.value, str) and literal.value:
                    yield literal.lineno, None, literal.value, []
