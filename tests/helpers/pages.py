"""Every kind of page the registry serves, for the tests that visit them all (layout, validators, accessibility).

With the demonstration data loaded and the French officer of `OFFICER` (France's administrator) signed in for CONSOLE,
and the secretariat's account `SECRETARIAT` for SECRETARIAT_CONSOLE.
"""
from registry.check import certificate
from registry.documents import SECTIONS

from .check_page import FAMILY_TRIP, check_url

OFFICER = "officer@fr.example"
SECRETARIAT = "secretariat@registry.example"

# The traveller check with a filled two-medicine trip through a transit country, and its result.
CHECK = check_url(FAMILY_TRIP)

PUBLIC = [
    "/",
    "/countries",
    "/countries/FR",
    "/countries/FR/requirements/versions",  # a section's history, a page at a time
    "/countries/AE/authorities/versions/1",  # current, and overdue for confirmation in the demonstration data
    *(f"/countries/FR/{section}/versions/1" for section in SECTIONS if section != "import-bans"),
    "/countries/JP/import-bans/versions/1",  # France has notified no import ban in the demonstration data
    "/import-bans",
    "/authorities",
    "/substances",
    "/substances/methylphenidate",
    "/search?q=fr",
    "/search?q=Concertta",  # nothing but close spellings: "Did you mean …?"
    "/products/ritalin-10-mg-tablet",
    "/substances/tramadol",  # not under international control
    "/check",
    CHECK,
    *(check_url(FAMILY_TRIP, "/check/certificate", cert_lang=lang) for lang in certificate.LANGUAGES),
    "/exports/",
    "/subscribe",
    "/api/v1/reference",
    "/console/login",
]
CONSOLE = ["/console/FR/",  # /console/ sends an officer to their country
           *(f"/console/FR/{section}" for section in SECTIONS), "/console/account",
           "/console/questions", "/console/questions/new?country=DE&section=requirements&version=1",
           "/console/people/FR"]
SECRETARIAT_CONSOLE = ["/console/secretariat", "/console/people"]
ERRORS = ["/countries/XX", "/no-such-page"]  # 404 pages


def sign_in(page, base: str, password: str) -> None:
    """Sign the French officer in, in a Playwright page."""
    page.goto(f"{base}/console/login")
    page.fill("#email", OFFICER)  # by id: the labels are in the page's language
    page.fill("#password", password)
    page.locator("#password").press("Enter")
    page.wait_for_url(f"{base}/console/FR/")
