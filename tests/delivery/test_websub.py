"""The WebSub hub as a subscriber sees it (W3C WebSub; docs/feeds.md, "WebSub"), with a real subscriber on 127.0.0.1.

Some tests talk to a real `registry serve` and its delivery thread over HTTP; the others
ask the hub through the test client and run a delivery worker on a thread of the test.
"""
from collections import Counter
from datetime import timedelta

import pytest
from lxml import etree
from sqlalchemy import select, update

from registry.db import db, utcnow
from registry.delivery import subscriptions
from registry.feeds.memory import Recent
from registry.models import Subscription

from ..helpers.feeds import ATOM, FEEDS, PAGE

FR = "/feeds/countries/FR.atom"
LOCAL = "http://localhost"  # the base of the test client's requests, and so of the topics it subscribes to


def lease_ends(app, subscription_id: int, at) -> None:
    """Time passes: the lease ends at `at`, and its renewal is due then."""
    with app.app_context():
        db.session.execute(update(Subscription).where(Subscription.id == subscription_id).values(renew_at=at, expires_at=at))
        db.session.commit()


# -- over HTTP, with `registry serve` ----------------------------------------------------------------------------------


def test_a_subscriber_is_verified_then_receives_each_publication_signed_with_the_topics_links(
        served_registry, subscriber, publish):
    hub, topic = f"{served_registry}/feeds/hub", served_registry + FR
    receiver = subscriber(secret="a secret of the subscriber's own")

    asked = receiver.ask(hub, topic, lease_seconds=3600)

    assert asked.status_code == 202
    verification = receiver.wait_for_verifications(1)[0]
    assert verification["hub.mode"] == "subscribe" and verification["hub.topic"] == topic
    assert verification["hub.lease_seconds"] == "3600" and verification["hub.challenge"]

    publish("DE")  # another country's: not France's feed
    first, second = publish(), publish()

    assert receiver.wait_for_ids([first, second]) == [first, second]
    for delivery in receiver.deliveries:
        assert delivery.signature_valid is True
        assert delivery.links == {"hub": hub, "self": topic}
        assert delivery.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        root = etree.fromstring(delivery.body)
        assert root.find(f"{ATOM}link[@rel='self']").get("href") == topic
        assert root.find(f"{ATOM}link[@rel='hub']").get("href") == hub


def test_an_unsubscribed_callback_receives_nothing_more(served_registry, subscriber, publish):
    hub, topic = f"{served_registry}/feeds/hub", served_registry + FR
    leaving, staying = subscriber(), subscriber()
    for each in (leaving, staying):
        each.ask(hub, topic)
        each.wait_for_verifications(1)
    before = publish()
    leaving.wait_for_ids([before])

    assert leaving.ask(hub, topic, "unsubscribe").status_code == 202
    verification = leaving.wait_for_verifications(2)[-1]
    assert verification["hub.mode"] == "unsubscribe" and verification["hub.topic"] == topic
    after = publish()

    assert staying.wait_for_ids([before, after]) == [before, after]
    assert leaving.ids() == [before]


def test_each_language_is_a_topic_of_its_own_with_the_same_entry_ids(served_registry, subscriber, publish):
    hub, topic = f"{served_registry}/feeds/hub", served_registry + FR + "?lang=fr"
    receiver = subscriber()
    assert receiver.ask(hub, topic).status_code == 202
    assert receiver.wait_for_verifications(1)[0]["hub.topic"] == topic

    published = publish()

    assert receiver.wait_for_ids([published]) == [published]
    delivery = receiver.deliveries[0]
    assert delivery.links == {"hub": hub, "self": topic}
    assert etree.fromstring(delivery.body).get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"


# -- the hub's answers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", [
    f"{LOCAL}/feeds/countries/XX.atom",  # no such country
    f"{LOCAL}/feeds/countries/fr.atom",  # not the feed's URL: that one is upper case
    f"{LOCAL}/feeds/countries/FR/archive/1.atom",  # an archive document never changes
    f"{LOCAL}/feeds/changes.atom?lang=en",  # English is the feed without ?lang=
    f"{LOCAL}/feeds/changes.atom?lang=de",
    "http://elsewhere.example/feeds/changes.atom",  # another registry's feed
    "/feeds/changes.atom",
    f"{LOCAL}/api/v1/changes",
])
def test_a_topic_that_is_not_one_of_the_registrys_feeds_is_refused(client, subscriber, topic):
    response = client.post("/feeds/hub", data=subscriber().form(topic))

    assert response.status_code == 400
    assert response.mimetype == "text/plain" and "not a feed of this registry" in response.text


def test_every_feed_and_language_is_a_topic(client, subscriber):
    receiver = subscriber()
    for path in FEEDS:
        for query in ("", "?lang=ar", "?lang=zh"):
            assert client.post("/feeds/hub", data=receiver.form(LOCAL + path + query,
                                                                callback=f"{receiver.callback}/{len(query)}{path}")).status_code == 202


@pytest.mark.parametrize("form, reason", [
    ({"hub.mode": "publish"}, "hub.mode must be subscribe or unsubscribe"),
    ({"hub.mode": None}, "hub.mode must be subscribe or unsubscribe"),
    ({"hub.callback": None}, "hub.callback is missing"),
    ({"hub.callback": "ftp://127.0.0.1/callback"}, "hub.callback must be an http or https URL"),
    ({"hub.callback": "http://user:secret@127.0.0.1/callback"}, "must not carry a user name or password"),
    ({"hub.lease_seconds": "a week"}, "hub.lease_seconds must be a whole number of seconds"),
    ({"hub.secret": "s" * 200}, "hub.secret must be shorter than 200 bytes"),
])
def test_a_bad_request_is_refused_with_its_reason(client, subscriber, form, reason):
    fields = {**subscriber().form(f"{LOCAL}{FR}"), **form}

    response = client.post("/feeds/hub", data={name: value for name, value in fields.items() if value is not None})

    assert response.status_code == 400 and reason in response.text


def test_a_private_callback_is_refused_unless_private_callbacks_are_allowed(app, client, subscriber):
    app.config["REGISTRY_ALLOW_PRIVATE_CALLBACKS"] = False
    app.extensions.pop("delivery.settings", None)  # read again from the configuration
    form = subscriber().form(f"{LOCAL}{FR}")

    refused = client.post("/feeds/hub", data=form)
    assert refused.status_code == 400 and "https" in refused.text
    loopback = client.post("/feeds/hub", data={**form, "hub.callback": "https://127.0.0.1/callback"})
    assert loopback.status_code == 400 and "not a public address" in loopback.text
    private = client.post("/feeds/hub", data={**form, "hub.callback": "https://10.1.2.3/callback"})
    assert private.status_code == 400 and "not a public address" in private.text
    with app.app_context():
        assert db.session.scalar(select(Subscription)) is None


def test_a_callback_asking_too_often_is_answered_429_with_retry_after(client, subscriber):
    form = subscriber().form(f"{LOCAL}{FR}")
    for _ in range(subscriptions.REQUESTS_PER_TARGET):
        assert client.post("/feeds/hub", data=form).status_code == 202

    response = client.post("/feeds/hub", data=form)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"


def test_the_hub_takes_only_forms_and_explains_itself_to_a_get(client):
    assert client.post("/feeds/hub", json={"hub.mode": "subscribe"}).status_code == 415
    assert client.put("/feeds/hub", data={"hub.mode": "subscribe"}).status_code == 405
    about = client.get("/feeds/hub")
    assert about.status_code == 200 and about.mimetype == "text/plain" and "WebSub" in about.text


# -- verification, leases, failures (a worker in the test) -------------------------------------------------------------


def test_a_subscriber_that_denies_intent_is_left_without_a_subscription(app, subscriber, subscribe, subscription_of,
                                                                        publish, worker):
    receiver = subscriber()
    receiver.refuse = True

    subscribe(receiver, LOCAL + FR)

    assert subscription_of(receiver.callback) is None
    publish()
    with app.app_context():
        assert db.session.scalar(select(Subscription.state)) == "ended"
        assert db.session.scalar(select(Subscription.callback)) is None  # forgotten
    assert receiver.deliveries == [] and receiver.failed == []


def test_a_lease_is_renewed_by_verifying_again_before_it_ends(app, subscriber, subscribe, subscription_of, worker, wait_for):
    receiver = subscriber()
    verification = subscribe(receiver, LOCAL + FR, lease_seconds=10)  # below the least lease: 60 s
    assert verification["hub.lease_seconds"] == str(subscriptions.LEASE_MIN_S)
    first = subscription_of(receiver.callback)
    assert first.state == "active" and first.renew_at < first.expires_at <= utcnow() + timedelta(seconds=60)

    lease_ends(app, first.id, utcnow() + timedelta(seconds=1))  # time passes: the renewal is due

    again = receiver.wait_for_verifications(2)[-1]
    assert again["hub.mode"] == "subscribe" and again["hub.topic"] == LOCAL + FR and again["hub.lease_seconds"] == "60"
    renewed = wait_for(lambda: (found := subscription_of(receiver.callback)).expires_at > utcnow() + timedelta(seconds=30)
                       and found, what="the lease to be extended")
    assert renewed.state == "active" and renewed.renew_at > utcnow()


def test_a_lease_that_is_not_renewed_ends(app, subscriber, subscribe, subscription_of, worker, wait_for):
    receiver = subscriber()
    subscribe(receiver, LOCAL + FR, lease_seconds=60)
    first = subscription_of(receiver.callback)
    receiver.refuse = True

    lease_ends(app, first.id, utcnow() - timedelta(seconds=1))

    receiver.wait_for_verifications(2)
    wait_for(lambda: subscription_of(receiver.callback) is None, what="the subscription to end")


def test_a_callback_that_fails_three_times_then_recovers_receives_everything_once_in_order(
        subscriber, subscribe, subscription_of, publish, worker, wait_for):
    receiver = subscriber()
    subscribe(receiver, LOCAL + FR)
    receiver.fail_next = 3

    published = [publish()]
    for failures in (1, 2):
        wait_for(lambda: len(receiver.failed) >= failures, what=f"failure {failures}")
        published.append(publish())
    published.append(publish())

    assert receiver.wait_for_ids(published) == published
    assert len(receiver.failed) == 3
    assert Counter(receiver.ids()) == Counter(published)  # exactly once each
    assert all(delivery.signature_valid for delivery in receiver.deliveries + receiver.failed)
    recovered = wait_for(lambda: (found := subscription_of(receiver.callback)).delivered == len(published) and found,
                         what="the delivery to be counted")
    assert recovered.failures == 0 and recovered.last_error is None and recovered.failing_since is None


def test_a_subscription_asked_again_takes_the_new_secret_once_verified(app, subscriber, subscribe, publish, worker):
    receiver = subscriber(secret="the first secret")
    subscribe(receiver, LOCAL + FR)
    receiver.secret = "the second secret"
    subscribe(receiver, LOCAL + FR)

    published = publish()

    assert receiver.wait_for_ids([published]) == [published]
    assert receiver.deliveries[0].signature_valid is True
    with app.app_context():
        assert len(db.session.scalars(select(Subscription)).all()) == 1


def test_a_subscription_asked_again_by_someone_else_keeps_its_secret(client, subscriber, subscribe, subscription_of,
                                                                      publish, worker, wait_for):
    receiver = subscriber(secret="the subscriber's secret")
    subscribe(receiver, LOCAL + FR)
    receiver.refuse = True  # someone else asks again, with a secret of theirs, and the subscriber denies it

    forged = {**receiver.form(LOCAL + FR), "hub.secret": "someone else's secret"}
    assert client.post("/feeds/hub", data=forged).status_code == 202
    receiver.wait_for_verifications(2)
    kept = wait_for(lambda: (found := subscription_of(receiver.callback)).pending_mode is None and found,
                    what="the denied request to be dropped")
    assert (kept.state, kept.secret, kept.pending_secret) == ("active", "the subscriber's secret", None)
    published = publish()
    assert receiver.wait_for_ids([published]) == [published]
    assert receiver.deliveries[-1].signature_valid is True


def test_an_unsubscription_the_subscriber_denies_changes_nothing(subscriber, subscribe, subscription_of, publish, worker):
    receiver = subscriber()
    subscribe(receiver, LOCAL + FR)
    receiver.refuse = True  # someone else asks to unsubscribe it

    subscribe(receiver, LOCAL + FR, "unsubscribe")

    assert subscription_of(receiver.callback).state == "active"
    published = publish()
    assert receiver.wait_for_ids([published]) == [published]


# -- the feeds name the hub --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FEEDS)
@pytest.mark.parametrize("query", ["", "?lang=ar"])
def test_every_subscription_document_names_the_hub_in_its_links_and_its_link_header(app, client, publish, path, query):
    publish()
    hub, topic = f"{LOCAL}/feeds/hub", LOCAL + path + query
    link = f'<{hub}>; rel="hub", <{topic}>; rel="self"'

    rendered = client.get(path + query)
    root = etree.fromstring(rendered.data)
    assert root.find(f"{ATOM}link[@rel='hub']").get("href") == hub
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == topic
    assert rendered.headers["Link"] == link
    assert client.get(path + query).headers["Link"] == link  # answered from memory (without ?lang=, before Flask)
    not_modified = client.get(path + query, headers={"If-None-Match": rendered.headers["ETag"]})
    assert not_modified.status_code == 304 and not_modified.headers["Link"] == link
    app.extensions["feeds"].current = Recent(1)  # a process that has not rendered it: the view's 304
    assert client.get(path + query, headers={"If-None-Match": rendered.headers["ETag"]}).headers["Link"] == link


def test_archive_documents_name_no_hub(app, client, publish):
    app.config["REGISTRY_FEED_PAGE_SIZE"] = PAGE
    for _ in range(PAGE):
        publish()

    archived = client.get("/feeds/countries/FR/archive/1.atom")

    assert archived.status_code == 200 and "Link" not in archived.headers
    assert etree.fromstring(archived.data).find(f"{ATOM}link[@rel='hub']") is None
