"""Every kind of page passes the Nu Html Checker (vnu.jar, from npm's vnu-jar) and axe-core (axe-playwright-python)
with zero errors, in English, Chinese and Arabic (right to left). CI runs them (.ci/run); nothing is downloaded at run time.

scripts/test.sh installs vnu-jar into .venv/vnu with npm; REGISTRY_VNU_JAR names another vnu.jar.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from registry import accounts, i18n
from registry.cli import demo

from ..helpers import ROOT, console
from ..helpers.apps import need
from ..helpers.browser import WAIT_MS, served
from ..helpers.pages import CONSOLE, ERRORS, OFFICER, PUBLIC, SECRETARIAT, SECRETARIAT_CONSOLE, sign_in

LANGUAGES = list(i18n.LANGUAGES)  # all six: Nu and axe report nothing in any of them
VNU_TIMEOUT_S = 300
VNU_JAR = Path(os.environ.get("REGISTRY_VNU_JAR") or ROOT / ".venv/vnu/node_modules/vnu-jar/build/dist/vnu.jar")


@pytest.fixture
def demo_app(app):
    """The application with the demonstration data, a French officer (France's administrator) and the secretariat."""
    with app.app_context():
        demo.load()
        accounts.add_account(OFFICER, country="FR", secretariat=False, password=console.PASSWORD, admin=True)
        accounts.add_account(SECRETARIAT, country=None, secretariat=True, password=console.PASSWORD)
    return app


def vnu_jar() -> Path:
    """The Nu Html Checker's jar, and a Java to run it; skips (fails in CI) without them."""
    if not VNU_JAR.is_file():
        need(f"the Nu Html Checker is not at {VNU_JAR} (npm install --prefix .venv/vnu vnu-jar)")
    if shutil.which("java") is None:
        need("the Nu Html Checker needs a Java runtime (apt-get install default-jre-headless)")
    return VNU_JAR


def rendered(app, tmp_path: Path) -> list[Path]:
    """Every page kind in every language, rendered by the application into HTML files."""
    files = []
    for lang in LANGUAGES:
        for who, paths in ((OFFICER, PUBLIC + ERRORS + CONSOLE), (SECRETARIAT, SECRETARIAT_CONSOLE)):
            client = app.test_client()
            client.get(f"/?lang={lang}")  # the choice sticks in a cookie
            console.sign_in(client, who)
            for path in paths:
                answer = client.get(path)
                assert answer.status_code == (404 if path in ERRORS else 200), path
                files.append(tmp_path / f"{lang}-{len(files):03}.html")
                files[-1].write_bytes(answer.data)
    return files


def test_every_page_kind_passes_the_nu_html_checker(demo_app, tmp_path):
    jar = vnu_jar()
    files = rendered(demo_app, tmp_path)
    checked = subprocess.run(["java", "-jar", str(jar), "--format", "json", "--stdout", *map(str, files)],
                             capture_output=True, text=True, timeout=VNU_TIMEOUT_S)
    messages = json.loads(checked.stdout)["messages"]
    errors = [f"{Path(message.get('url', '')).name}:{message.get('lastLine')}: {message['message']}"
              for message in messages if message["type"] == "error"]
    assert not errors, "\n".join(errors)


@pytest.mark.browser
def test_every_page_kind_has_no_axe_core_violation(browser, demo_app):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = {}
    with served(demo_app) as base:
        for lang in LANGUAGES:
            context = browser.new_context(locale={"en": "en-GB", "zh": "zh-CN", "ar": "ar-EG", "fr": "fr-FR", "ru": "ru-RU", "es": "es-ES"}[lang])
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            sign_in(page, base, console.PASSWORD)
            for path in [*PUBLIC, *ERRORS, *CONSOLE, "secretariat", *SECRETARIAT_CONSOLE]:
                if path == "secretariat":
                    page.goto(f"{base}/console/login")
                    page.fill("#email", SECRETARIAT)
                    page.fill("#password", console.PASSWORD)
                    page.locator("#password").press("Enter")
                    page.wait_for_url(f"{base}/console/")
                    continue
                page.goto(base + path)
                violations = axe.run(page).response["violations"]  # the whole page, every page: nothing excluded
                if violations:
                    found[f"{lang} {path}"] = [f"{rule['id']}: {rule['help']} ({len(rule['nodes'])})" for rule in violations]
            context.close()
    assert found == {}
