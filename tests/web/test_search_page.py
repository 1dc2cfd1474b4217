"""The /search page, the product pages and what the substance pages say of products and national control."""
import pytest
from lxml import html

from registry.cli import demo

from ..helpers.browser import DESKTOP, WAIT_MS, served


def page_of(answer):
    assert answer.status_code == 200
    return html.fromstring(answer.data)


def links(tree, xpath: str) -> list[str]:
    return [element.get("href") for element in tree.xpath(xpath)]


def test_results_are_grouped_by_kind_and_link_to_their_pages(client):
    tree = page_of(client.get("/search?q=co"))

    assert tree.get_element_by_id("found-countries") is not None
    assert "/countries/CO" in links(tree, "//section[h2[@id='found-countries']]//a")  # Colombia, by its code
    assert "/substances/codeine" in links(tree, "//section[h2[@id='found-substances']]//a")
    assert "/products/co-codamol-30-mg-500-mg-tablet" in links(tree, "//section[h2[@id='found-products']]//a")


def test_a_name_held_by_one_item_only_goes_to_its_page(client):
    assert client.get("/search?q=Schweiz").headers["Location"] == "/countries/CH"
    assert client.get("/search?q=Méthylphénidate").headers["Location"] == "/substances/methylphenidate"
    assert client.get("/search?q=morphine").headers["Location"] == "/substances/morphine"  # though other names begin so
    assert client.get("/search?q=diacetylmorphine").headers["Location"] == "/substances/heroin"
    assert client.get("/search?q=fr").status_code == 200  # a bare code is one match among others


def test_a_misspelling_is_answered_with_did_you_mean_links(client):
    tree = page_of(client.get("/search?q=metylphenidate"))

    text = tree.text_content()
    assert "Nothing matches “metylphenidate”." in text and "Did you mean" in text
    assert links(tree, "//p[@class='did-you-mean']/a")[0] == "/substances/methylphenidate"
    brand = page_of(client.get("/search?q=Concertta"))
    assert links(brand, "//p[@class='did-you-mean']/a")[0].startswith("/products/concerta-")


def test_did_you_mean_is_said_in_chinese(client):
    tree = page_of(client.get("/search?q=地西伴&lang=zh"))
    offer = tree.xpath("//p[@class='did-you-mean']")[0]
    assert offer.text_content() == "您是否指地西泮？"
    assert offer.xpath("a/@href") == ["/substances/diazepam"]


def test_nothing_close_says_so_without_suggestions(client):
    tree = page_of(client.get("/search?q=qqqqqqq"))
    assert "Nothing matches “qqqqqqq”." in tree.text_content() and not tree.xpath("//p[@class='did-you-mean']")


def test_a_product_page_shows_what_one_unit_contains_and_how_each_ingredient_is_controlled(client):
    tree = page_of(client.get("/products/suboxone-8-mg-2-mg-sublingual-tablet"))

    assert tree.xpath("//h1")[0].text_content() == "Suboxone 8 mg/2 mg"
    rows = [[cell.text_content().strip() for cell in row.xpath("td")] for row in tree.xpath("//table//tbody/tr")]
    assert rows[0][0] == "Buprenorphine" and rows[0][1].startswith("8 mg") and "1961 Schedule" not in rows[0][2]
    assert rows[0][2] == "1971 Schedule III"
    assert rows[1][0] == "naloxone" and rows[1][2] == "not controlled"
    assert "/countries/GB" in links(tree, "//dl//a")
    assert "/substances/buprenorphine" in links(tree, "//table//a")


def test_a_nationally_controlled_ingredient_is_said_to_be_under_no_international_control(client):
    tree = page_of(client.get("/products/tramal-50-mg-capsule"))
    assert [row.xpath("td")[2].text_content() for row in tree.xpath("//table//tbody/tr")] == [
        "not under international control; controlled by some countries"]


def test_a_codeine_preparation_says_what_its_strength_makes_it(client):
    text = page_of(client.get("/products/co-codamol-30-mg-500-mg-tablet")).text_content()
    assert "Schedule III of the 1961 Convention" in text


def test_an_unknown_product_is_a_404_page(client):
    answer = client.get("/products/no-such-product")
    assert answer.status_code == 404 and answer.mimetype == "text/html"


def test_a_national_substance_says_it_is_not_under_international_control_and_who_controls_it(client):
    tree = page_of(client.get("/substances/tramadol"))
    facts = tree.xpath("//dl[@class='meta']")[0].text_content()
    assert "Not under international control; controlled by some countries." in facts
    assert "United Kingdom" in facts  # the note
    assert "Schedule" not in tree.xpath("//dd[@class='national']")[0].text_content()
    assert "/products/tramal-50-mg-capsule" in links(tree, "//section[h2[@id='products-heading']]//a")


def test_the_substances_page_lists_national_substances_apart(client):
    tree = page_of(client.get("/substances"))
    national = tree.get_element_by_id("schedule-national")
    assert national.xpath("h2")[0].text_content().startswith("Not under international control")
    assert "/substances/tramadol" in links(national, ".//a")
    assert "/substances/tramadol" not in links(tree, "//section[@id='schedule-1971-IV']//a")


def test_a_substance_page_lists_the_medicines_that_contain_it(client):
    tree = page_of(client.get("/substances/methylphenidate"))
    found = links(tree, "//section[h2[@id='products-heading']]//a")
    assert {"/products/ritalin-10-mg-tablet", "/products/concerta-36-mg-prolonged-release-tablet"} <= set(found)


@pytest.mark.browser
def test_a_visitor_without_javascript_finds_a_medicine_by_a_misspelt_brand_and_reaches_its_substance(app, browser):
    with app.app_context():
        demo.load()
    with served(app) as base:
        context = browser.new_context(viewport=DESKTOP, locale="en-GB", java_script_enabled=False)
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.goto(base + "/")
        page.locator("#site-search").fill("Duragesik")
        page.locator("#site-search").press("Enter")
        page.wait_for_url("**/search?q=Duragesik")
        page.locator(".did-you-mean a").first.click()
        page.wait_for_url("**/products/durogesic-*")
        assert page.locator("h1").inner_text().startswith("Durogesic")
        page.get_by_role("link", name="Fentanyl").click()
        page.wait_for_url("**/substances/fentanyl")
        assert page.locator("#products-heading").is_visible()
        context.close()
