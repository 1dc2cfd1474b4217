"""A large registry of valid, varied publications, generated fast for benchmarks.

    python bench/generate.py DATABASE_URL --countries 250 --versions-per-section 40

builds countries × 3 sections × versions-per-section versions (30,000 with the
defaults). The history is built in memory — documents that change a little from
one version to the next, their `changes` sentences (registry.changes.describe)
and the hash chain (registry.chain) — and loaded in one transaction through
registry.publishing.restore, which checks every link as it stores it. There are
249 ISO 3166-1 countries: asking for more uses all 249 and spreads the remaining
versions over their sections, so the number of versions is always exactly
countries × 3 × versions-per-section (or `--versions`). A seeded generator makes
the same arguments give the same registry, byte for byte.

`build(...)` returns the history without touching a database (tests use it);
`generate(database_url, ...)` creates or upgrades the schema and loads it.
"""
import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta

from registry import chain, changes, reference
from registry.documents import SECTIONS, validate_document

START = datetime(2022, 1, 1)
STEP = timedelta(hours=1)  # between two consecutive publications
SEED = 2026
WITHDRAWALS = 0.02  # share of later versions that withdraw their section

# Medicines travellers actually carry come up most often; the rest of the
# schedules appear too, so that every per-substance feed has something.
COMMON = (
    "methadone", "buprenorphine", "morphine", "oxycodone", "fentanyl", "codeine", "hydromorphone",
    "methylphenidate", "dexamfetamine", "diazepam", "lorazepam", "clonazepam", "alprazolam",
    "phenobarbital", "zolpidem", "temazepam", "dronabinol", "tramadol",
)
CLASSES = reference.SCHEDULE_CLASSES
BANNABLE = ("1971-II", "1971-III", "1971-IV")
DOCUMENT_KINDS = ("prescription", "physician-letter", "certificate", "import-permit")
LANGUAGES = ("en", "fr", "es", "de", "ar", "zh", "ru", "pt")
ROLES = ("permits", "certificates", "competent-authority", "enquiries", "exceptions")


class Pools:
    """The substance keys the generator draws from, all taken from the reference data."""

    def __init__(self):
        known = reference.substances()
        self.common = [key for key in COMMON if key in known]
        self.all = list(known)
        self.bannable = [key for key, item in known.items() if set(item.schedules) & set(BANNABLE)]
        self.common_bannable = [key for key in self.common if key in self.bannable]

    def substance(self, rng: random.Random, *, bannable: bool = False) -> str:
        common, everything = (self.common_bannable, self.bannable) if bannable else (self.common, self.all)
        return rng.choice(common if rng.random() < 0.7 else everything)


# -- documents ---------------------------------------------------------------------------


def _rule(rng: random.Random, pools: Pools) -> dict:
    if rng.random() < 0.5:
        rule = {"applies_to": sorted(rng.sample(CLASSES, rng.randint(1, 2)), key=CLASSES.index),
                "documents": sorted(rng.sample(DOCUMENT_KINDS, rng.randint(1, 2)), key=DOCUMENT_KINDS.index),
                "threshold": rng.choice(("always", "guideline", "days"))}
    else:
        rule = {"applies_to": [pools.substance(rng)],
                "documents": sorted(rng.sample(DOCUMENT_KINDS, rng.randint(1, 2)), key=DOCUMENT_KINDS.index),
                "threshold": rng.choice(("always", "amount", "days"))}
    if rule["threshold"] == "amount":
        rule["threshold_mg"] = rng.choice((100, 300, 500, 1000, 2000, 6000))
    if rule["threshold"] == "days":
        rule["threshold_days"] = rng.choice((7, 14, 30, 60))
    if "import-permit" in rule["documents"]:
        rule["permit_lead_days"] = rng.choice((7, 14, 21, 30))
    return rule


def _add_rule(rng: random.Random, pools: Pools, document: dict) -> None:
    taken = {tuple(rule["applies_to"]) for rule in document["rules"]}
    for _ in range(10):  # a few draws always find a new key among hundreds
        rule = _rule(rng, pools)
        if tuple(rule["applies_to"]) not in taken:
            document["rules"].append(rule)
            return


def requirements(rng: random.Random, pools: Pools, effective: date, name: str) -> dict:
    """A first requirements document for a country."""
    document = {
        "effective_from": effective.isoformat(),
        "travellers_allowed": rng.choice(("yes", "yes", "yes", "restricted", "no")),
        "max_supply_days": rng.choice((30, 30, 60, 90)),
        "retail_package_exemption": rng.random() < 0.5,
        "rules": [],
        "document_languages": sorted(rng.sample(LANGUAGES, rng.randint(1, 3))),
        "translation_required": rng.random() < 0.3,
        "customs": {"declare_on_entry": rng.random() < 0.5, "endorsement": rng.random() < 0.3, "show_on_request": True},
        "transit": rng.choice(("same-as-entry", "not-required")),
        "treatment_continuity": {"extension_possible": rng.random() < 0.6,
                                 "how": {"en": f"A physician registered in {name} may prescribe a further supply."}},
        "notes": {"en": f"Travellers to {name} carry the documents in their hand luggage."},
    }
    for _ in range(rng.randint(1, 4)):
        _add_rule(rng, pools, document)
    if rng.random() < 0.3:
        document["supply_exceptions"] = [{"substances": ["phenobarbital"], "max_supply_days": 90, "reason": {"en": "anticonvulsant"}}]
    return document


def _revise_requirements(rng: random.Random, pools: Pools, document: dict, name: str) -> None:
    change = rng.randrange(6)
    if change == 0 or (change == 1 and not document["rules"]):
        _add_rule(rng, pools, document)
    elif change == 1:
        document["rules"].pop(rng.randrange(len(document["rules"])))
    elif change == 2 and document["rules"]:
        document["rules"][rng.randrange(len(document["rules"]))]["documents"] = sorted(
            rng.sample(("prescription", "physician-letter", "certificate"), rng.randint(1, 2)))
    elif change == 3:
        document["max_supply_days"] = rng.choice((14, 30, 60, 90, 180))
    elif change == 4:
        document["customs"]["declare_on_entry"] = not document["customs"]["declare_on_entry"]
    else:
        document["notes"] = {"en": f"Travellers to {name} carry the documents in their hand luggage (revision {rng.randrange(10**6)})."}
    for rule in document["rules"]:
        # A rule may lose its import permit above; its lead time goes with it.
        if "import-permit" not in rule["documents"]:
            rule.pop("permit_lead_days", None)


def authorities(rng: random.Random, effective: date, name: str, code: str) -> dict:
    """A first authorities document for a country."""
    return {"effective_from": effective.isoformat(), "authorities": [_authority(rng, name, code, 1)]}


def _authority(rng: random.Random, name: str, code: str, number: int) -> dict:
    domain = f"authority{number}.{code.lower()}.example"
    return {
        "roles": sorted(rng.sample(ROLES, rng.randint(1, 3)), key=ROLES.index),
        "name": f"Office {number} for controlled medicines of {name}",
        "address": {"lines": [f"{rng.randint(1, 300)} Health Street"], "city": "Capital City",
                    "postal_code": f"{rng.randint(1000, 99999)}", "country": code},
        "phone": f"+{rng.randint(1, 999)} {rng.randint(10, 99)} {rng.randint(100000, 999999)}",
        "fax": None,
        "email": f"travellers@{domain}",
        "website": f"https://{domain}/travellers",
        "languages": sorted(rng.sample(LANGUAGES, rng.randint(1, 2))),
    }


def _revise_authorities(rng: random.Random, document: dict, name: str, code: str) -> None:
    offices = document["authorities"]
    change = rng.randrange(3)
    if change == 0 and len(offices) < 4:
        used = {office["name"] for office in offices}
        number = next(n for n in range(1, 10) if f"Office {n} for controlled medicines of {name}" not in used)
        offices.append(_authority(rng, name, code, number))
    elif change == 1 and len(offices) > 1:
        offices.pop(rng.randrange(len(offices)))
    else:
        offices[rng.randrange(len(offices))]["phone"] = f"+{rng.randint(1, 999)} {rng.randint(10, 99)} {rng.randint(100000, 999999)}"


def import_bans(rng: random.Random, pools: Pools, effective: date) -> dict:
    """A first import-bans document for a country."""
    document = {"effective_from": effective.isoformat(), "bans": []}
    for _ in range(rng.randint(0, 3)):
        _add_ban(rng, pools, document, effective)
    return document


def _add_ban(rng: random.Random, pools: Pools, document: dict, effective: date) -> None:
    taken = {ban["substance"] for ban in document["bans"]}
    for _ in range(10):
        key = pools.substance(rng, bannable=True)
        if key not in taken:
            document["bans"].append({"substance": key, "since": effective.isoformat(), "region": None,
                                     "special_licence": rng.random() < 0.5, "reference": f"NAR/CL.4/{effective.year}"})
            return


def _revise_import_bans(rng: random.Random, pools: Pools, document: dict, effective: date) -> None:
    bans = document["bans"]
    change = rng.randrange(3)
    if change == 0 or not bans:
        _add_ban(rng, pools, document, effective)
    elif change == 1:
        bans.pop(rng.randrange(len(bans)))
    else:
        ban = bans[rng.randrange(len(bans))]
        ban["special_licence"] = not ban["special_licence"]


# -- history -------------------------------------------------------------------------------


def _schedule(rng: random.Random, slots: list[tuple[str, str]], total: int) -> list[tuple[str, str]]:
    """Which (country, section) each seq publishes: `total` publications spread evenly, in random order."""
    each, extra = divmod(total, len(slots))
    order = [slot for index, slot in enumerate(slots) for _ in range(each + (index < extra))]
    rng.shuffle(order)
    return order


def build(countries: int = 250, versions_per_section: int = 40, *, versions: int | None = None, seed: int = SEED,
          start: datetime = START, check: bool = False, progress=None):
    """The history of a generated registry: (versions as in changes.jsonl, confirmations as (seq, confirmed_at)).

    `versions` overrides the total (countries × 3 × versions_per_section); `check`
    validates every document with the registry's own rules (slower).
    """
    rng = random.Random(seed)
    pools = Pools()
    codes = list(reference.countries())[:max(1, min(countries, len(reference.countries())))]
    slots = [(code, section) for code in codes for section in SECTIONS]
    total = versions if versions is not None else countries * len(SECTIONS) * versions_per_section
    documents: dict[tuple[str, str], dict | None] = {}
    numbers: dict[tuple[str, str], int] = {}
    history, previous_hash = [], chain.GENESIS_HASH
    for index, (code, section) in enumerate(_schedule(rng, slots, total)):
        seq, moment = index + 1, start + index * STEP
        name = reference.country(code).name("en")
        before = documents.get((code, section))
        after = _next_document(rng, pools, section, before, moment.date(), name, code)
        if check and after is not None:
            problems = validate_document(section, after)
            if problems:
                raise AssertionError(f"generated {code} {section} is not valid: {problems}")
        numbers[(code, section)] = numbers.get((code, section), 0) + 1
        fields = {
            "country": code, "section": section, "version": numbers[(code, section)], "seq": seq,
            "published_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "withdrawn": after is None,
            "document": after, "prev_hash": previous_hash,
        }
        fields["hash"] = chain.version_hash(fields)
        meta = {**{key: fields[key] for key in ("country", "section", "version", "seq", "published_at")},
                "published_by": f"Competent authority of {name}", "withdrawn": after is None,
                "changes": changes.describe(section, before, after).sentences,
                "prev_hash": previous_hash, "hash": fields["hash"]}
        history.append({"meta": meta, "document": after})
        documents[(code, section)], previous_hash = after, fields["hash"]
        if progress and seq % 5000 == 0:
            progress(f"built {seq:,} of {total:,} versions")
    heads = {}
    for item in history:
        heads[(item["meta"]["country"], item["meta"]["section"])] = item["meta"]
    confirmations = [
        (meta["seq"], datetime.strptime(meta["published_at"], "%Y-%m-%dT%H:%M:%SZ") + timedelta(days=30))
        for _, meta in sorted(heads.items()) if not meta["withdrawn"] and rng.random() < 0.4
    ]
    return history, confirmations


def _next_document(rng, pools, section, before, effective, name, code):
    """The document of the next version: a first one, a small revision, or None (a withdrawal)."""
    if before is not None and rng.random() < WITHDRAWALS:
        return None
    if before is None:
        if section == "requirements":
            return requirements(rng, pools, effective, name)
        if section == "authorities":
            return authorities(rng, effective, name, code)
        return import_bans(rng, pools, effective)
    document = _copy(before)
    document["effective_from"] = effective.isoformat()
    if section == "requirements":
        _revise_requirements(rng, pools, document, name)
    elif section == "authorities":
        _revise_authorities(rng, document, name, code)
    else:
        _revise_import_bans(rng, pools, document, effective)
    return document


def _copy(value):
    """A copy of a JSON value (several times faster than copy.deepcopy)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def generate(database_url: str, countries: int = 250, versions_per_section: int = 40, *, versions: int | None = None,
             seed: int = SEED, check: bool = False, progress=None) -> int:
    """Create (or upgrade) the schema at database_url and load a generated history; returns the number of versions."""
    from flask_migrate import upgrade

    from registry import create_app, publishing
    from registry.db import db

    progress = progress or (lambda message: None)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        began = time.perf_counter()
        history, confirmations = build(countries, versions_per_section, versions=versions, seed=seed, check=check,
                                      progress=progress)
        progress(f"built {len(history):,} versions in {time.perf_counter() - began:.1f} s; loading")
        began = time.perf_counter()
        count = publishing.restore(history, confirmations)
        progress(f"loaded {count:,} versions in {time.perf_counter() - began:.1f} s")
        db.session.remove()
        db.engine.dispose()
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Generate a large registry for benchmarks (into an empty database).")
    parser.add_argument("database_url", help="e.g. sqlite:////tmp/bench.sqlite or postgresql+psycopg://postgres@127.0.0.1/bench")
    parser.add_argument("--countries", type=int, default=250, help="countries (at most 249 exist; more spreads the extra versions)")
    parser.add_argument("--versions-per-section", type=int, default=40)
    parser.add_argument("--versions", type=int, default=None, help="total number of versions, instead of countries × 3 × versions-per-section")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--check", action="store_true", help="validate every generated document (slower)")
    arguments = parser.parse_args(argv)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    from registry.publishing import Conflict

    try:
        generate(arguments.database_url, arguments.countries, arguments.versions_per_section,
                 versions=arguments.versions, seed=arguments.seed, check=arguments.check, progress=say)
    except Conflict as refusal:
        say(f"error: {refusal.message}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
