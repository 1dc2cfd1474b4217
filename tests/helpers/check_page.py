"""What the tests of /check share, with Flask's client and in Chromium: the family's trip of the issue, the page's address."""
from urllib.parse import urlencode

from .check_cases import authorities, item, requirements, rule, trip

# Germany to France through Switzerland, as in the issue: a child's methylphenidate and a parent's fentanyl patches.
FAMILY_TRIP = trip(item("methylphenidate", 1800, unit_doses=60, form="tablet"),
                   item("fentanyl", 168, unit_doses=10, form="transdermal-patch"),
                   destination="FR", departure="DE", transit=["CH"], days=14)
FAMILY_PUBLISHED = [
    ("FR", "requirements", requirements(rule(["1961-I"], ["prescription", "certificate"]),
                                        rule(["methylphenidate"], ["certificate"], "amount", threshold_mg=1000))),
    ("FR", "authorities", authorities("FR", ["permits", "enquiries"])),
    ("DE", "authorities", authorities("DE", ["certificates"])),
]


# The request fields the /check form names differently.
FORM_NAMES = {"strength_mg": "strength", "concentration_percent": "concentration"}

def check_url(body: dict, path: str = "/check", **extra) -> str:
    """The address of the page for a request body, as the form would send it."""
    pairs = [("destination", body["destination"])]
    pairs += [("departure", body["departure"])] if body.get("departure") else []
    pairs += [("transit", code) for code in body.get("transit") or []]
    pairs += [("days", str(body["days"]))] if body.get("days") is not None else []
    for index, medicine in enumerate(body["items"]):
        pairs += [(f"items.{index}.{name}", str(medicine[field])) for field, name in
                  (("product", "product"), ("substance", "substance"), ("amount_mg", "amount")) if field in medicine]
        pairs += [(f"items.{index}.{FORM_NAMES.get(name, name)}", str(medicine[name]))
                  for name in ("unit_doses", "form", "preparation_class", "strength_mg", "concentration_percent", "prescription_days")
                  if medicine.get(name) is not None]
    return f"{path}?{urlencode(pairs + list(extra.items()))}"
