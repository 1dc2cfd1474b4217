"""The traveller check in a real browser: a family's trip from Germany to France through Switzerland,
filled in Chromium, read, printed, and turned into the Annex I model certificate."""
import pytest

from ..helpers.browser import DESKTOP, PHONE, WAIT_MS, screenshot, served
from ..helpers.check_cases import publish
from ..helpers.check_page import FAMILY_PUBLISHED, FAMILY_TRIP, check_url

pytestmark = pytest.mark.browser


@pytest.fixture
def registry(app, authority):
    """The registry with France's requirements and authorities and Germany's certificates office, over HTTP."""
    publish(app.test_client(), authority(secretariat=True), FAMILY_PUBLISHED)
    with served(app) as url:
        yield url


def fill_medicine(page, number: int, substance: str, amount: str, unit: str, unit_doses: str, form: str) -> None:
    medicine = page.get_by_role("group", name=f"Medicine {number}", exact=True)
    medicine.get_by_role("combobox", name="Substance", exact=True).fill(substance)
    medicine.get_by_label("Total amount of the substance you carry").fill(amount)
    medicine.get_by_label("Unit", exact=True).select_option(unit)
    medicine.get_by_label("Number of unit doses").fill(unit_doses)
    medicine.get_by_label("Dosage form").select_option(form)


def fill_the_family_trip(page, registry) -> None:
    page.goto(registry + "/check")
    page.get_by_label("Country of destination").select_option("FR")
    page.get_by_label("Country of departure").select_option("DE")
    page.get_by_role("button", name="Add a transit country").click()  # a server round trip
    page.get_by_label("Transit country 1", exact=True).select_option("CH")
    page.get_by_label("Length of stay, in days").fill("14")
    fill_medicine(page, 1, "methylphenidate", "1.8", "g", "60", "tablet")
    page.get_by_role("button", name="Add another medicine").click()
    fill_medicine(page, 2, "芬太尼", "168", "mg", "10", "transdermal-patch")  # fentanyl, by its Chinese name


def no_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_family_checks_a_trip_with_two_medicines_through_a_transit_country_and_opens_the_certificate(page, registry):
    fill_the_family_trip(page, registry)
    assert page.get_by_label("Transit country 1", exact=True).input_value() == "CH"  # kept across the round trips
    screenshot(page, "check-form")
    page.get_by_role("button", name="Check this trip").click()

    result = page.locator("#result")
    api = page.request.post(registry + "/api/v1/check", data=FAMILY_TRIP).json()
    assert result.get_attribute("data-verdict") == api["verdict"] == "documents-required"
    assert result.get_attribute("data-documents").split() == api["documents"] == ["prescription", "schengen-certificate"]
    assert [section.get_attribute("data-country") for section in page.locator("section[data-country]").all()] == ["FR", "CH"]
    switzerland = page.locator("#country-CH")
    # 10 patches are one retail package (¶30), but the Schengen certificate is issued on the basis of a prescription (¶19)
    assert switzerland.locator("article[data-substance=fentanyl]").get_attribute("data-documents") == "prescription schengen-certificate"
    assert "more than the guidelines' Annex II amount of 100 mg for transdermal patches" in switzerland.inner_text()
    assert page.get_by_role("link", name="France, Documentary requirements, version 1").first.is_visible()
    screenshot(page, "check-result")

    page.emulate_media(media="print")
    assert not page.locator("#f-trip").is_visible() and not page.get_by_role("navigation", name="Main").is_visible()
    assert result.is_visible()
    screenshot(page, "check-result-print")
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Prepare the certificate (Annex I model)").click()
    patches = page.locator("article.certificate").nth(1)
    section_d = {name: patches.locator(f"[data-field={name}] dd").inner_text()
                 for name in ("d_trade_name", "d_form", "d_units", "d_inn", "d_concentration", "d_total", "d_days")}
    assert section_d == {"d_trade_name": "", "d_form": "transdermal patches", "d_units": "10", "d_inn": "fentanyl",
                         "d_concentration": "", "d_total": "168 mg", "d_days": ""}  # the prescription's duration, not the stay's
    assert patches.locator("[data-field=e_title] dd").inner_text() == "Office 1 of DE"
    assert patches.locator("[data-field=c_name] dd").inner_text() == ""
    screenshot(page, "check-certificate")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible() and page.locator("article.certificate").first.is_visible()
    screenshot(page, "check-certificate-print")
    page.emulate_media(media="screen")

    page.get_by_role("navigation", name="Language of the certificate").get_by_role("link", name="Français").click()
    assert page.locator("article.certificate").first.get_by_text("D. Préparation médicale prescrite").is_visible()
    assert page.locator("article.certificate").nth(1).locator("[data-field=d_form] dd").inner_text() == "dispositifs transdermiques (patchs)"


def test_the_check_works_without_javascript(browser, registry):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", java_script_enabled=False)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()

    fill_the_family_trip(page, registry)
    page.get_by_label("Length of stay, in days").press("Enter")  # Enter checks the trip; it does not add a row

    assert page.locator("#result").get_attribute("data-documents") == "prescription schengen-certificate"
    assert page.locator("input[name='items.2.substance']").count() == 0
    assert page.locator("button[data-print]").first.is_hidden()  # printing is left to the browser's own menu
    context.close()


def test_the_result_and_the_certificate_read_well_on_a_phone_in_chinese(browser, registry):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    context.set_default_timeout(WAIT_MS)
    phone = context.new_page()
    phone.goto(registry + check_url(FAMILY_TRIP))  # the language comes from the phone's

    assert phone.locator("html").get_attribute("lang") == "zh-Hans"
    assert "法国规定：携带哌甲酯超过1000 mg时须持有出发国签发的证明书" in phone.locator("#country-FR").inner_text()
    assert no_overflow(phone)
    screenshot(phone, "check-result-phone-zh")

    phone.get_by_role("link", name="准备证明书（附件一式样）").click()
    assert phone.locator(".certificates").get_attribute("lang") == "zh-Hans"
    assert "活性物质的总量" in phone.locator("article.certificate").first.inner_text()
    assert no_overflow(phone)
    screenshot(phone, "check-certificate-phone-zh")
    context.close()


def test_a_mistyped_substance_is_told_in_chinese_with_the_closest_names_and_a_capitalised_one_is_checked(page, registry):
    page.goto(registry + "/check?lang=zh")
    page.locator("#f-destination").select_option("FR")
    page.locator("#f-items-0-substance").fill("Morfine")
    page.locator("#f-items-0-amount").fill("10")
    page.locator("#f-items-0-amount").press("Enter")

    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert summary.inner_text().splitlines()[-1] == "药品 1：物质 — 本登记册中没有名为“Morfine”的物质。您是否指吗啡？"
    assert "items." not in summary.inner_text() and "substance key" not in summary.inner_text()

    page.locator("#f-items-0-substance").fill("MORPHINE")
    page.locator("#f-items-0-amount").press("Enter")
    page.locator("#result").wait_for()  # the next page, not the one the key was pressed on
    assert page.locator("#result article[data-substance=morphine]").count() == 1


@pytest.mark.parametrize("size", [DESKTOP, {"width": 320, "height": 640}])
def test_a_patient_types_the_name_on_the_box_and_sees_how_the_total_was_counted(browser, registry, size):
    context = browser.new_context(viewport=size, locale="en-GB")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(registry + "/check")
    page.get_by_label("Country of destination").select_option("FR")
    medicine = page.get_by_role("group", name="Medicine 1", exact=True)
    name = medicine.get_by_role("combobox", name="Medicine's name, as on the box")
    assert name.get_attribute("list") == "product-choices"  # the browser's own autocomplete, no script needed
    name.fill("ritalin 10 MG")
    medicine.get_by_label("Number of unit doses").fill("60")
    page.get_by_role("button", name="Check this trip").click()

    counted = page.locator('li[data-product="ritalin-10-mg-tablet"] .computed')
    assert counted.inner_text() == "Ritalin 10 mg × 60 = 600 mg Methylphenidate"
    api = page.request.post(registry + "/api/v1/check", data={"destination": "FR", "items": [{"substance": "methylphenidate", "amount_mg": 600, "unit_doses": 60, "form": "tablet"}]}).json()
    assert page.locator("#result").get_attribute("data-verdict") == api["verdict"]
    assert no_overflow(page)
    context.close()
