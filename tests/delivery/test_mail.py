"""E-mail alerts, sent to a real SMTP server (aiosmtpd, the `smtp` fixture) by the real worker: double opt-in,
alerts and digests, one-click unsubscribe (RFC 8058), messages in Arabic and Chinese, suspension, and an address
that never leaves the registry. The pages of /subscribe are exercised through the Flask client."""
import datetime as dt
import io
import json
import re
import ssl
import zipfile
from datetime import timedelta
from email.message import EmailMessage

import pytest
import requests
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from registry import changes, history
from registry.db import db, utcnow
from registry.delivery import DeliveryFailed, Settings, mail
from registry.delivery.worker import Worker
from registry.models import Subscription

from ..helpers import factories
from ..helpers.console import csrf
from ..helpers.servers import free_port

ADDRESS = "clinic.travel@example.org"
BASE = "http://localhost:8000"  # where links lead when neither REGISTRY_BASE_URL nor `registry serve` says otherwise
SENDER = "Registry alerts <alerts@registry.example>"


@pytest.fixture
def app(app):
    app.config["REGISTRY_MAIL_FROM"] = SENDER
    return app


@pytest.fixture
def deliver(app):
    """deliver() -> how many subscriptions one delivery round of the real worker handled.

    The worker is made at the first round, so that it reads the settings a test has set before.
    """
    workers = []

    def round_() -> int:
        if not workers:
            workers.append(Worker(app, threads=2))
        return workers[0].run_once()

    yield round_
    for worker in workers:
        worker.pool.shutdown(wait=True)


def ask(client, address=ADDRESS, **fields):
    """Fill and send the /subscribe form as a browser does; `fields` add to (or replace) its values."""
    page = client.get("/subscribe")
    assert page.status_code == 200
    data = MultiDict({"csrf_token": csrf(page), "address": address, "language": "en", "cadence": "immediate"})
    for name, value in fields.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return client.post("/subscribe", data=data)


def link(message, path: str) -> str:
    """The path and query of the link to `path` in a message's plain-text part (the links are absolute)."""
    found = re.search(rf"{re.escape(BASE + path)}\?\S+", text(message))
    assert found, f"no link to {path} in:\n{text(message)}"
    return found.group(0).removeprefix(BASE)


def text(message) -> str:
    return message.get_body(("plain",)).get_content()


def html(message) -> str:
    return message.get_body(("html",)).get_content()


def confirm(client, message) -> str:
    """Follow a confirmation message's link and press its button, as its reader does; the subscription's token."""
    page = client.get(link(message, mail.CONFIRM_PATH))
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    confirmed = client.post("/subscriptions/confirm", data={"csrf_token": csrf(page), "token": token})
    assert confirmed.status_code == 200
    return token


def subscribe(client, smtp, address=ADDRESS, **fields) -> str:
    """Ask for alerts and confirm them from the confirmation message; the subscription's token."""
    before = len(smtp.to(address))
    assert ask(client, address, **fields).status_code == 303
    return confirm(client, smtp.wait_for(before + 1, address)[-1])


def stored(app, token: str) -> Subscription:
    with app.app_context():
        found = db.session.scalar(select(Subscription).where(Subscription.token == token))
        db.session.expunge(found)
        return found


# -- double opt-in -----------------------------------------------------------------------------------------------------


def test_nothing_is_sent_before_the_address_is_confirmed_and_alerts_start_once_it_is(app, client, smtp, publisher,
                                                                                      deliver):
    answer = ask(client, countries=["FR"])
    assert answer.status_code == 303 and answer.location.endswith("/subscribe/sent")
    assert "Check your mail" in client.get(answer.location).get_data(as_text=True)
    [confirmation] = smtp.wait_for(1, ADDRESS)
    assert confirmation["Subject"] == "Confirm your e-mail alerts"
    assert "France" in text(confirmation) and link(confirmation, mail.CONFIRM_PATH)

    publisher.publish("FR", "requirements", factories.requirements())
    deliver()
    assert len(smtp.to(ADDRESS)) == 1  # only the confirmation: a pending subscription receives nothing

    # The link opens a page whose button confirms, so that a link scanner confirms nothing.
    token = re.search(r"token=([^&\s]+)", link(confirmation, mail.CONFIRM_PATH)).group(1)
    client.get(link(confirmation, mail.CONFIRM_PATH))
    assert stored(app, token).state == "pending"
    confirm(client, confirmation)
    assert stored(app, token).state == "active"

    deliver()
    assert len(smtp.to(ADDRESS)) == 1  # alerts start with what is published after the confirmation
    meta = publisher.publish("FR", "requirements", factories.requirements(max_supply_days=60))
    deliver()
    alert = smtp.wait_for(2, ADDRESS)[-1]
    assert f"tag:registry.example,2026:FR/requirements/{meta['version']}" in text(alert)


def test_a_confirmation_that_cannot_be_sent_is_said_and_nothing_is_kept(app, client, smtp):
    smtp.refuse_next = 1
    answer = ask(client)
    assert answer.status_code == 503
    assert "could not be sent, so nothing was recorded" in answer.get_data(as_text=True)
    with app.app_context():
        [subscription] = db.session.scalars(select(Subscription)).all()
        assert subscription.state == "ended" and subscription.address is None


def test_the_form_names_each_problem_next_to_its_field(client, smtp):
    answer = ask(client, "not an address", substances=["morfin", "paracetamol", "哌甲酯"])
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "This is not an e-mail address" in page and 'aria-invalid="true"' in page
    assert "‘morfin’ is not a substance we know. Did you mean Morphine" in page
    assert "‘paracetamol’ is not a substance we know." in page
    assert 'href="#f-substances-1">Substance 2</a>' in page and 'value="哌甲酯"' in page
    assert smtp.messages == []


def test_too_many_requests_for_one_address_are_refused_with_429(client, smtp):
    for _ in range(10):
        assert ask(client).status_code == 303
    answer = ask(client)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "3600"
    assert "Too many subscription requests" in answer.get_data(as_text=True)
    assert len(smtp.to(ADDRESS)) == 10


# -- alerts and digests ------------------------------------------------------------------------------------------------


def test_an_immediate_alert_names_each_version_with_its_changes_link_and_id(app, client, smtp, publisher, deliver):
    token = subscribe(client, smtp, countries=["FR", "JP"], sections=["requirements"])
    publisher.publish("DE", "requirements", factories.requirements())  # not chosen
    publisher.publish("FR", "authorities", factories.authorities())  # not chosen
    meta = publisher.publish("FR", "requirements", factories.requirements())
    deliver()
    [alert] = smtp.wait_for(2, ADDRESS)[1:]
    assert alert["Subject"] == "1 new publication for France"
    body = text(alert)
    assert "France — Documentary requirements, version 1" in body
    assert "- First notification of documentary requirements." in body
    assert f"{BASE}/countries/FR/requirements/versions/1?lang=en" in body
    assert "Id: tag:registry.example,2026:FR/requirements/1" in body
    assert "Germany" not in body and "Issuing authorities, version" not in body
    assert '<a href="http://localhost:8000/countries/FR/requirements/versions/1?lang=en"' in html(alert)
    subscription = stored(app, token)
    assert subscription.cursor == meta["seq"] and subscription.delivered == 1


def test_an_alert_has_the_headers_mail_systems_act_on(client, smtp, publisher, deliver):
    token = subscribe(client, smtp)
    publisher.publish("FR", "requirements", factories.requirements())
    deliver()
    alert = smtp.wait_for(2, ADDRESS)[-1]
    assert alert.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in alert.iter_parts()] == ["text/plain", "text/html"]
    assert alert["List-Unsubscribe"] == f"<{BASE}/subscriptions/unsubscribe?token={token}>"
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert alert["Auto-Submitted"] == "auto-generated"
    assert alert["From"] == SENDER and alert["To"] == ADDRESS
    assert re.fullmatch(r"<[0-9a-f]{32}@registry\.example>", alert["Message-ID"])
    assert alert["Date"].datetime is not None
    assert link(alert, mail.MANAGE_PATH) == f"/subscriptions/manage?token={token}&lang=en"
    assert token not in alert["Message-ID"]


def test_registry_serve_sends_alerts_from_its_own_worker_with_links_to_itself(served_registry, secretariat, smtp):
    browser = requests.Session()
    page = browser.get(served_registry + "/subscribe", timeout=10)
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1), "address": ADDRESS,
            "countries": "FR", "language": "fr", "cadence": "immediate"}
    assert "/subscribe/sent" in browser.post(served_registry + "/subscribe", data=form, timeout=10).url
    confirmation = smtp.wait_for(1, ADDRESS)[0]
    confirm_url = re.search(rf"{re.escape(served_registry)}/subscriptions/confirm\?\S+", text(confirmation)).group(0)
    page = browser.get(confirm_url, timeout=10)
    fields = dict(re.findall(r'name="(csrf_token|token)" value="([^"]+)"', page.text))
    assert browser.post(served_registry + "/subscriptions/confirm", data=fields, timeout=10).status_code == 200

    published = requests.put(served_registry + "/api/v1/countries/FR/requirements", json=factories.requirements(),
                             headers={**secretariat, "If-None-Match": "*"}, timeout=10)
    assert published.status_code == 201
    alert = smtp.wait_for(2, ADDRESS)[-1]
    assert "France" in alert["Subject"] and alert["Content-Language"] == "fr"
    assert f"{served_registry}/countries/FR/requirements/versions/1?lang=fr" in text(alert)


def test_a_daily_digest_holds_every_version_since_the_last_one(app, client, smtp, publisher, deliver):
    token = subscribe(client, smtp, cadence="daily")
    first_send = stored(app, token).next_attempt_at
    assert first_send > utcnow() and (first_send.hour, first_send.minute) == (6, 0)
    publisher.publish("FR", "requirements", factories.requirements())
    publisher.publish("JP", "requirements", factories.requirements())
    publisher.publish("FR", "import-bans", factories.import_bans())
    deliver()
    assert len(smtp.to(ADDRESS)) == 1  # not before 06:00 UTC

    with app.app_context():  # 06:00 UTC has come
        db.session.execute(update(Subscription).where(Subscription.token == token)
                           .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    deliver()
    digest = smtp.wait_for(2, ADDRESS)[-1]
    assert digest["Subject"] == "Daily digest: 3 publications for France and Japan"
    assert [line for line in text(digest).splitlines() if line.startswith("Id: ")] == [
        "Id: tag:registry.example,2026:FR/requirements/1", "Id: tag:registry.example,2026:JP/requirements/1",
        "Id: tag:registry.example,2026:FR/import-bans/1"]
    after = stored(app, token)
    assert after.next_attempt_at > utcnow() and after.next_attempt_at.hour == 6
    publisher.publish("JP", "import-bans", factories.import_bans())
    deliver()
    assert len(smtp.to(ADDRESS)) == 2  # the next one waits for tomorrow's 06:00


def test_a_weekly_digest_leaves_on_monday_at_six():
    sunday = utcnow().replace(year=2026, month=3, day=1, hour=12)
    monday_early = sunday + timedelta(hours=17)
    assert mail.next_send_at("weekly", sunday) == sunday.replace(day=2, hour=6, minute=0, second=0)
    assert mail.next_send_at("weekly", monday_early) == sunday.replace(day=2, hour=6, minute=0, second=0)
    assert mail.next_send_at("daily", sunday) == sunday.replace(day=2, hour=6, minute=0, second=0)
    assert mail.next_send_at("immediate", sunday) == sunday


# -- in the subscriber's language --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang, france, tag, direction",
                         [("ar", "فرنسا", "ar", "rtl"), ("zh", "法国", "zh-Hans", "ltr")])
def test_a_message_is_written_in_the_subscribers_language(app, client, smtp, publisher, deliver, lang, france, tag,
                                                          direction):
    token = subscribe(client, smtp, language=lang, countries=["FR"])
    publisher.publish("FR", "requirements", factories.requirements())
    deliver()
    alert = smtp.wait_for(2, ADDRESS)[-1]
    assert france in alert["Subject"]
    assert alert["Content-Language"] == tag
    assert f'<html lang="{tag}" dir="{direction}">' in html(alert)
    with app.app_context():
        version = history.current("FR", "requirements")
        wording = changes.in_language(version, lang)
        english = json.loads(version.changes)
    assert wording.lang == lang and wording.sentences[0] != english[0]  # worded anew, not the stored English
    assert all(f"- {sentence}" in text(alert) for sentence in wording.sentences)
    assert f"/countries/FR/requirements/versions/1?lang={lang}" in text(alert)
    assert link(alert, mail.UNSUBSCRIBE_PATH) == f"/subscriptions/unsubscribe?token={token}&lang={lang}"


def test_the_subject_and_the_words_around_the_changes_are_translated(client, smtp, publisher, deliver):
    """Passes once the lead has merged the mail helper's catalogue fragments."""
    subscribe(client, smtp, address="ar@example.org", language="ar")
    subscribe(client, smtp, address="zh@example.org", language="zh")
    publisher.publish("FR", "requirements", factories.requirements())
    deliver()
    arabic, chinese = smtp.wait_for(2, "ar@example.org")[-1], smtp.wait_for(2, "zh@example.org")[-1]
    assert arabic["Subject"] == "منشور جديد بشأن فرنسا"
    assert "إلغاء الاشتراك" in text(arabic)
    assert chinese["Subject"] == "法国：1 项新发布"
    assert "退订" in text(chinese)
    assert smtp.to("zh@example.org")[0]["Subject"] == "请确认您的电子邮件提醒"


# -- ending, suspending ------------------------------------------------------------------------------------------------


def test_one_click_unsubscribe_stops_every_message_and_forgets_the_address(app, client, smtp, publisher, deliver):
    token = subscribe(client, smtp)
    publisher.publish("FR", "requirements", factories.requirements())
    deliver()
    alert = smtp.wait_for(2, ADDRESS)[-1]
    one_click = alert["List-Unsubscribe"].strip("<>").removeprefix(BASE)
    # What a mail system sends (RFC 8058 §3.1): a POST with this body, no cookie, no CSRF token.
    answer = app.test_client().post(one_click, data="List-Unsubscribe=One-Click",
                                    content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    subscription = stored(app, token)
    assert subscription.state == "ended" and subscription.address is None
    assert app.test_client().post(one_click, data="List-Unsubscribe=One-Click").status_code == 200  # sent twice

    publisher.publish("FR", "requirements", factories.requirements(max_supply_days=60))
    deliver()
    assert len(smtp.to(ADDRESS)) == 2
    assert client.get(f"/subscriptions/manage?token={token}").status_code == 404


def test_a_subscriber_is_told_when_alerts_stop_after_repeated_failures(app, client, smtp, publisher, deliver, wait_for):
    app.config["REGISTRY_DELIVERY_SUSPEND_AFTER_S"] = 1
    app.extensions.pop("delivery.settings", None)  # read again, with the setting above
    token = subscribe(client, smtp)
    smtp.refuse_next = 2  # the alert, then its retry a second later: then failing for 1 s suspends
    publisher.publish("FR", "requirements", factories.requirements())
    wait_for(lambda: deliver() >= 0 and stored(app, token).state == "suspended", what="the suspension")
    notice = smtp.wait_for(2, ADDRESS)[-1]
    assert notice["Subject"] == "Your e-mail alerts have stopped"
    assert "subscribe again" in text(notice) and link(notice, mail.UNSUBSCRIBE_PATH)
    assert smtp.refused == 2

    publisher.publish("FR", "requirements", factories.requirements(max_supply_days=60))
    deliver()
    assert len(smtp.to(ADDRESS)) == 2  # the confirmation and the notice; no alert
    page = client.get(f"/subscriptions/manage?token={token}").get_data(as_text=True)
    assert "Stopped: messages to this address could not be delivered" in page


def test_a_suspension_notice_that_cannot_be_sent_either_is_only_logged(app, client, smtp, publisher, deliver, wait_for):
    app.config["REGISTRY_DELIVERY_SUSPEND_AFTER_S"] = 0
    app.extensions.pop("delivery.settings", None)
    token = subscribe(client, smtp)
    smtp.refuse_next = 2  # the alert and the notice
    publisher.publish("FR", "requirements", factories.requirements())
    deliver()
    assert stored(app, token).state == "suspended" and smtp.refused == 2
    assert len(smtp.to(ADDRESS)) == 1


# -- the pages ---------------------------------------------------------------------------------------------------------


def test_the_manage_page_changes_the_choices_and_masks_the_address(app, client, smtp):
    token = subscribe(client, smtp, countries=["FR"])
    page = client.get(f"/subscriptions/manage?token={token}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and ADDRESS not in body and "c•••@example.org" in body
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    data = MultiDict([("csrf_token", csrf(page)), ("countries", "JP"), ("countries", "DE"), ("sections", "import-bans"),
                      ("substances", "哌甲酯"), ("language", "fr"), ("cadence", "weekly")])
    saved = client.post(f"/subscriptions/manage?token={token}", data=data)
    assert saved.status_code == 200 and "Your choices are saved." in saved.get_data(as_text=True)
    subscription = stored(app, token)
    assert json.loads(subscription.countries) == ["DE", "JP"] and json.loads(subscription.sections) == ["import-bans"]
    assert json.loads(subscription.substances) == ["methylphenidate"]
    assert (subscription.language, subscription.cadence) == ("fr", "weekly")
    assert subscription.next_attempt_at.weekday() == 0 and subscription.next_attempt_at.hour == 6


def test_the_unsubscribe_link_opens_a_page_whose_button_unsubscribes(app, client, smtp):
    token = subscribe(client, smtp)
    page = client.get(f"/subscriptions/unsubscribe?token={token}&lang=en")
    assert page.status_code == 200 and stored(app, token).state == "active"  # opening the link changes nothing
    done = client.post(f"/subscriptions/unsubscribe?token={token}")  # the page's button: no body
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    assert stored(app, token).state == "ended"


@pytest.mark.parametrize("path", ["/subscriptions/confirm", "/subscriptions/manage", "/subscriptions/unsubscribe"])
def test_an_unknown_token_gets_a_page_that_says_so(client, path):
    for query in ("?token=no-such-token", "", "?token=" + "x" * 200):
        answer = client.get(path + query)
        assert answer.status_code == 404
        assert "This link leads to no subscription" in answer.get_data(as_text=True)
    assert client.post("/subscriptions/unsubscribe?token=no-such-token").status_code == 404


def test_the_forms_need_their_csrf_token_but_one_click_does_not(client, smtp):
    token = subscribe(client, smtp)
    other = client.application.test_client()
    assert other.post("/subscribe", data={"address": ADDRESS}).status_code == 400
    assert other.post(f"/subscriptions/manage?token={token}", data={"cadence": "daily"}).status_code == 400
    assert other.post("/subscriptions/confirm", data={"token": token}).status_code == 400
    assert other.post(f"/subscriptions/unsubscribe?token={token}").status_code == 200


def test_every_page_links_to_the_alerts(client):
    assert '<a href="/subscribe">E-mail alerts</a>' in client.get("/").get_data(as_text=True)


# -- privacy -----------------------------------------------------------------------------------------------------------


def test_an_address_never_appears_in_a_feed_an_export_or_the_api(app, client, smtp, publisher, deliver):
    subscribe(client, smtp, countries=["FR"])
    meta = publisher.publish("FR", "requirements", factories.requirements())
    deliver()
    smtp.wait_for(2, ADDRESS)
    public = [client.get(path).data for path in (
        "/feeds/changes.atom", "/feeds/countries/FR.atom", "/feeds/countries/FR.atom?lang=ar",
        "/exports/registry.json", "/exports/changes.jsonl", "/api/v1/countries/FR",
        f"/api/v1/countries/FR/requirements/versions/{meta['version']}", "/countries/FR", "/")]
    archive = zipfile.ZipFile(io.BytesIO(client.get("/exports/registry.zip").data))
    public += [archive.read(name) for name in archive.namelist()]
    for body in public:
        assert ADDRESS.encode() not in body and b"clinic.travel" not in body


# -- the SMTP connection -----------------------------------------------------------------------------------------------


@pytest.fixture
def tls_context(tmp_path) -> ssl.SSLContext:
    """A server's TLS context with a self-signed certificate for 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
                   .not_valid_after(now + timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


class Kept:
    """An SMTP server's handler that notes whether each message came over TLS, and to whom."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((server.transport.get_extra_info("ssl_object") is not None, envelope.rcpt_tos))
        return "250 2.0.0 Accepted"


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_mail_goes_over_tls_as_the_smtp_url_says(tls_context, scheme):
    from aiosmtpd.controller import Controller

    kept, port = Kept(), free_port()
    starttls = {"tls_context": tls_context, "require_starttls": True}
    options = starttls if scheme == "smtp+starttls" else {"ssl_context": tls_context}
    controller = Controller(kept, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "registry@localhost", ADDRESS, "TLS"
        message.set_content("Over TLS.")
        with pytest.raises(DeliveryFailed):  # a self-signed certificate is refused unless ?insecure says otherwise
            mail.send(message, Settings(smtp_url=f"{scheme}://127.0.0.1:{port}", timeout_s=5))
        mail.send(message, Settings(smtp_url=f"{scheme}://127.0.0.1:{port}?insecure", timeout_s=5))
    finally:
        controller.stop()
    assert kept.messages == [(True, [ADDRESS])]


def test_a_server_without_starttls_gets_nothing_when_the_url_requires_it(smtp):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "registry@localhost", ADDRESS, "TLS"
    message.set_content("Not in clear text.")
    with pytest.raises(DeliveryFailed, match="does not offer STARTTLS"):
        mail.send(message, Settings(smtp_url=f"smtp+starttls://127.0.0.1:{smtp.port}", timeout_s=5))
    assert smtp.messages == []
