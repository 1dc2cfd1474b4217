"""The public pages (docs/api.md, "Pages"): the registry as people read it, in English and Chinese.

Views are thin: they read the read model (history) and the reference data, and hand
templates the facts to show. The few facts a page derives from the notifications
(a country's colour on the map, the rules that reach one substance, the rows of the
bans table) are computed by the functions below, never in a template.
"""
from dataclasses import dataclass
from functools import cache

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from .. import changes, history, reference, search as finder
from ..documents import BANNABLE_CLASSES, SECTIONS
from ..http import upper_case_location
from ..i18n import by_country_name, country_languages, country_name, language, sort_key, substance_name
from ..models import Version
from ..workflow import questions, reconfirmation
from . import map as world_map

bp = Blueprint("pages", __name__)

LATEST = 10  # publications listed on the overview
HISTORY_SHOWN = 10  # versions of each section a country's page lists, newest first
HISTORY_PAGE = 50  # versions a page of a section's history lists
NARCOTIC_CLASSES = frozenset(cls for cls in reference.SCHEDULE_CLASSES if cls.startswith("1961-"))

# Map categories, from least to most demanding (docs/web.md, "The world map").
NOTHING, REQUIREMENTS, PERMIT = "nothing", "requirements", "permit"


def feed(title: str, path: str) -> dict:
    """A feed to announce with <link rel="alternate" type="application/atom+xml">."""
    return {"title": title, "href": path}


def map_category(state: history.CountryState) -> str:
    """What a country notified, as the map shows it: nothing, requirements, or requirements
    with an import permit for narcotic drugs (GUIDELINES ¶22)."""
    row = state.sections["requirements"]
    if row is None or row.withdrawn:
        return NOTHING
    for rule in history.document(row)["rules"]:
        if "import-permit" in rule["documents"] and any(_is_narcotic(item) for item in rule["applies_to"]):
            return PERMIT
    return REQUIREMENTS


def _is_narcotic(item: str) -> bool:
    if item in NARCOTIC_CLASSES:
        return True
    found = reference.substance(item)
    return found is not None and bool(NARCOTIC_CLASSES & set(found.schedules))


@dataclass(frozen=True)
class SubstanceRule:
    """A rule of a country's current requirements that reaches a substance, and why."""

    country: str
    version: Version
    rule: dict
    via: str  # the substance key itself, or the schedule class that covers it


def rules_for_substance(substance: reference.Substance) -> list[SubstanceRule]:
    """Every current rule that names the substance or one of its schedule classes, by country name in the page's language."""
    found = []
    current = history.current_versions(section="requirements")
    for (country, _section), row in sorted(current.items(), key=lambda item: sort_key(country_name(item[0][0]))):
        if row.withdrawn:
            continue
        for rule in history.document(row)["rules"]:
            via = next((item for item in rule["applies_to"] if item == substance.key or item in substance.schedules), None)
            if via is not None:
                found.append(SubstanceRule(country, row, rule, via))
    return found


@dataclass(frozen=True)
class BanRow:
    country: str
    version: Version
    ban: dict


def ban_rows(*, substance: str | None = None, country: str | None = None) -> list[BanRow]:
    """The article 13 bans in force, one row per country and ban, optionally for one substance or country."""
    rows = []
    for (code, _section), row in history.current_versions(section="import-bans", country=country).items():
        if row.withdrawn:
            continue
        for ban in history.document(row)["bans"]:
            if substance is None or ban["substance"] == substance:
                rows.append(BanRow(code, row, ban))
    collate = cache(sort_key)  # a collation key per name, not per row: many rows share a substance or a country
    return sorted(rows, key=lambda item: (collate(substance_name(item.ban["substance"])), collate(country_name(item.country))))


def banning_countries() -> int:
    """How many countries ban the import of some substance now (article 13)."""
    return sum(1 for row in history.current_versions(section="import-bans").values()
               if not row.withdrawn and history.document(row)["bans"])


def text_languages(country: str, requirements: dict | None) -> tuple[str, ...]:
    """The languages a country's notified texts fall back to, its first first (i18n.pick): the languages its
    requirements document (`requirements`, None when there is none) accepts documents in, then its official ones."""
    return country_languages(country, (requirements or {}).get("document_languages", ()))


def current_requirements(country: str) -> dict | None:
    """A country's requirements document in force, if any."""
    row = history.current(country, "requirements")
    return history.document(row) if row is not None else None


def standings(state: history.CountryState) -> dict[str, reconfirmation.Standing]:
    """Where each of a country's sections in force stands in its confirmation cycle, by section."""
    months = reconfirmation.cycle_months()
    return {section: reconfirmation.standing(state.confirmed[row.seq], months=months)
            for section, row in state.sections.items() if row is not None and not row.withdrawn}


def version_standing(row: Version, newest: Version) -> reconfirmation.Standing | None:
    """Where a version stands in its confirmation cycle: only the current one, in force, is confirmed."""
    if row.seq != newest.seq or row.withdrawn:
        return None
    return reconfirmation.standing(history.last_confirmed([row])[row.seq])


def published_count() -> int:
    """How many versions the registry has published, amendments and withdrawals included (seq numbers every one)."""
    newest = history.head()
    return newest.seq if newest is not None else 0


def latest(count: int = LATEST) -> list[Version]:
    """The most recent publications, newest first."""
    newest = history.head()
    if newest is None:
        return []
    return list(reversed(history.changes_after(max(newest.seq - count, 0), count)))


def _country_or_404(code: str) -> reference.Country:
    found = reference.country(code)
    if found is None:
        raise NotFound(_("%(code)s is not a country code of ISO 3166-1. Countries are listed at /countries.", code=code))
    return found


def _upper_case(code: str):
    """301 to the upper-case URL for a lower-case country code (docs/api.md, "Identifiers")."""
    location = upper_case_location(code)
    return redirect(location, 301) if location else None


def _by_name(codes) -> list[str]:
    return by_country_name(codes)


@bp.get("/")
def overview():
    states = history.country_states()
    categories = {state.country.code: map_category(state) for state in states}
    notified = [state for state in states if state.notified]
    return render_template(
        "overview.html",
        world=world_map.world(),
        categories=categories,
        notified_count=len(notified),
        permit_count=sum(1 for category in categories.values() if category == PERMIT),
        ban_count=banning_countries(),
        version_count=published_count(),
        latest=latest(),
        feeds=[feed(_("Every publication"), "/feeds/changes.atom")],
    )


@bp.get("/countries")
def countries():
    states = {state.country.code: state for state in history.country_states()}
    notified = _by_name(code for code, state in states.items() if state.notified)
    silent = _by_name(code for code, state in states.items() if not state.notified)
    return render_template("countries.html", states=states, notified=notified, silent=silent,
                           feeds=[feed(_("Every publication"), "/feeds/changes.atom")])


@bp.get("/countries/<country>")
def country(country):
    moved = _upper_case(country)
    if moved:
        return moved
    place = _country_or_404(country)
    state = history.country_states(country=country)[0]
    documents = {section: history.document(row) if row else None for section, row in state.sections.items()}
    return render_template(
        "country.html",
        place=place,
        state=state,
        documents=documents,
        text_languages=text_languages(country, documents["requirements"]),
        standings=standings(state),
        histories={section: history.versions_before(country, section, row.version + 1, HISTORY_SHOWN) if row else []
                   for section, row in state.sections.items()},
        category=map_category(state),
        feeds=[feed(_("Publications of %(country)s", country=place.name(language())), f"/feeds/countries/{country}.atom")],
    )


# Version numbers are the database's 32-bit integers: a larger number in a path is simply not found (404).
@bp.get("/countries/<country>/<section:section>/versions/<int(max=2147483647):number>")
def version(country, section, number):
    moved = _upper_case(country)
    if moved:
        return moved
    place = _country_or_404(country)
    row = history.version(country, section, number)
    if row is None:
        raise NotFound(_("%(country)s has no version %(number)s of this section.", country=place.name(language()), number=number))
    newest = history.current(country, section)
    document = history.document(row)
    return render_template(
        "version.html",
        place=place,
        section=section,
        row=row,
        document=document,
        changes=changes.in_language(row, language()),
        text_languages=text_languages(country, document if section == "requirements" else current_requirements(country)),
        newest=newest,
        standing=version_standing(row, newest),
        threads=[questions.public_record(question) for question in questions.public(country, section, number)],
        feeds=[
            feed(_("Publications of %(country)s", country=place.name(language())), f"/feeds/countries/{country}.atom"),
            feed(_("Every publication of this section"), f"/feeds/sections/{section}.atom"),
        ],
    )


@bp.get("/countries/<country>/<section:section>/versions")
def section_history(country, section):
    """A section's versions, newest first, a page at a time: ?before=N lists those numbered below N."""
    moved = _upper_case(country)
    if moved:
        return moved
    place = _country_or_404(country)
    newest = history.current(country, section)
    if newest is None:
        raise NotFound(_("%(country)s has published nothing in this section.", country=place.name(language())))
    page = history_page(newest.version, request.args.get("before", type=int))
    return render_template(
        "section_history.html",
        place=place,
        section=section,
        newest=newest,
        rows=history.versions_before(country, section, page.before, HISTORY_PAGE),
        newer=page_url(country, section, page.newer, newest.version),
        older=page_url(country, section, page.older, newest.version),
        feeds=[feed(_("Publications of %(country)s", country=place.name(language())), f"/feeds/countries/{country}.atom")],
    )


@dataclass(frozen=True)
class HistoryPage:
    """Which versions of a section a page of its history lists: those numbered below `before`.

    A section's versions are numbered 1, 2, 3 … without gaps, so a page is known by that one
    number, and so are the pages of newer and older versions beside it (None where there is none).
    """

    before: int
    newer: int | None
    older: int | None


def history_page(count: int, before: int | None) -> HistoryPage:
    """The page of a history of `count` versions that ?before= asks for (the newest when absent or past the end)."""
    before = count + 1 if before is None or before > count else max(before, 2)
    newer = None if before == count + 1 else min(before + HISTORY_PAGE, count + 1)
    older = before - HISTORY_PAGE if before - HISTORY_PAGE > 1 else None
    return HistoryPage(before, newer, older)


def page_url(country: str, section: str, before: int | None, count: int) -> str | None:
    """The address of a page of a section's history; the newest page's has no ?before=."""
    if before is None:
        return None
    return url_for("pages.section_history", country=country, section=section, before=before if before <= count else None)


@bp.get("/import-bans")
def import_bans():
    substance = request.args.get("substance") or None
    country = request.args.get("country") or None
    if substance is not None and reference.substance(substance) is None:
        substance = None
    if country is not None and reference.country(country) is None:
        country = None
    everything = ban_rows()
    return render_template(
        "import_bans.html",
        rows=ban_rows(substance=substance, country=country),
        substance=substance,
        country=country,
        substance_choices=sorted({row.ban["substance"] for row in everything}, key=lambda key: sort_key(substance_name(key))),
        country_choices=_by_name({row.country for row in everything}),
        feeds=[feed(_("Every change to import bans"), "/feeds/sections/import-bans.atom")],
    )


@bp.get("/authorities")
def authorities():
    """Every country's issuing authorities in force, by country name in the page's language."""
    current = {country: row for (country, _section), row in history.current_versions(section="authorities").items() if not row.withdrawn}
    requirements = {country: history.document(row) for (country, _section), row in history.current_versions(section="requirements").items()}
    listed = [(code, history.document(current[code]), text_languages(code, requirements.get(code))) for code in by_country_name(current)]
    return render_template("authorities.html", listed=listed)


@bp.get("/substances")
def substances():
    grouped = {cls: [] for cls in (*reference.SCHEDULE_CLASSES, reference.NATIONAL)}
    for item in reference.substances().values():
        for cls in item.schedules:
            grouped[cls].append(item)
    for items in grouped.values():
        items.sort(key=lambda item: sort_key(item.name(language())))
    return render_template("substances.html", grouped=grouped, banned=history.active_bans())


@bp.get("/substances/<key>")
def substance(key):
    found = reference.substance(key)
    if found is None:
        raise NotFound(_("%(key)s is not a substance of the 1961 or 1971 Conventions. Substances are listed at /substances.", key=key))
    return render_template(
        "substance.html",
        substance=found,
        amounts=reference.guideline_amounts(key),
        bans=ban_rows(substance=key),
        rules=rules_for_substance(found),
        products=finder.products_containing(key),
        bannable=bool(set(BANNABLE_CLASSES) & set(found.schedules)),
        feeds=[feed(_("Changes that concern %(substance)s", substance=found.name(language())), f"/feeds/substances/{key}.atom")],
    )


@bp.get("/products/<key>")
def product(key):
    found = reference.product(key)
    if found is None:
        raise NotFound(_("%(key)s is not a medicinal product the registry knows. Search for its name at /search.", key=key))
    return render_template("product.html", product=found, substances=reference.substances())


SEARCH_PAGE_LIMIT = 60  # hits on the search page, of all kinds together


@bp.get("/search")
def search():
    query = request.args.get("q", "")[:finder.QUERY_MAX]
    found = finder.search(query, limit=SEARCH_PAGE_LIMIT)
    named = [hit for hit in found.hits if hit.match != finder.FUZZY]
    going = straight_to(named)
    if going is not None:
        return redirect(hit_url(going))
    grouped = {kind: [hit for hit in named if hit.kind == kind] for kind in finder.KINDS}
    return render_template("search.html", query=query, grouped=grouped, named=named,
                           did_you_mean=found.did_you_mean if not named else (), hit_url=hit_url)


def straight_to(named: list[finder.Hit]) -> finder.Hit | None:
    """The one item a search means, whose page it goes to: the only item whose names hold the query at all, or
    the only country or substance with exactly that name (generic products named after a substance are listed on
    its page). A bare two-letter code is not a name one means this way: "fr" lists France among others."""
    if len(named) == 1:
        return named[0]
    exact = [hit for hit in named if hit.match == finder.EXACT and hit.kind != "product"
             and not (hit.kind == "country" and hit.matched == hit.key)]
    return exact[0] if len(exact) == 1 else None


def hit_url(hit: finder.Hit) -> str:
    """The page of an item found."""
    if hit.kind == "country":
        return url_for("pages.country", country=hit.key)
    return url_for("pages.substance" if hit.kind == "substance" else "pages.product", key=hit.key)


def register(app) -> None:
    """Bind the pages, and tell every page whether demonstration data is loaded."""
    app.register_blueprint(bp)

    @app.context_processor
    def demonstration():
        return {"is_demo": history.is_demo, "sections": SECTIONS, "meta": history.meta}
