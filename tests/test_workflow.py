"""The workflow services on their own: drafts and approval, invitations, reconfirmation, questions."""
from datetime import datetime, timedelta

import pytest

from registry import accounts, history, publishing
from registry.db import db
from registry.models import AuditRecord, Version
from registry.publishing import Actor, NotAllowed, Precondition
from registry.workflow import drafts, questions, reconfirmation
from tests.helpers import factories


def _account(email, country=None, *, secretariat=False, admin=False, name=None):
    return accounts.add_account(email, country=country, secretariat=secretariat, password="a long password 1",
                                authority_name=name, admin=admin)


@pytest.fixture
def people(ctx):
    return {
        "officer": _account("officer@fr.example", "FR", name="Agence FR"),
        "chief": _account("chief@fr.example", "FR", admin=True, name="Direction FR"),
        "german": _account("officer@de.example", "DE", name="BfArM"),
        "secretariat": _account("desk@incb.example", secretariat=True, name="INCB secretariat"),
    }


def test_a_draft_is_private_until_published_and_then_disappears(people):
    officer = people["officer"]
    drafts.save(officer, "FR", "requirements", {"effective_from": "2026-03-01"})  # not valid yet: kept anyway
    drafts.save(officer, "FR", "requirements", factories.requirements())
    assert history.current("FR", "requirements") is None
    assert db.session.query(Version).count() == 0
    version = drafts.publish(Actor(officer), "FR", "requirements")
    assert version.version == 1 and version.approved_by is None
    assert drafts.find("FR", "requirements") is None


def test_approval_publishes_with_the_approver_named_and_refuses_self_approval(people):
    officer, chief = people["officer"], people["chief"]
    drafts.set_requires_approval(chief, "FR", True)
    drafts.save(officer, "FR", "requirements", factories.requirements())
    with pytest.raises(NotAllowed):
        drafts.publish(Actor(officer), "FR", "requirements")  # approval is required
    drafts.submit(officer, "FR", "requirements")
    with pytest.raises(NotAllowed):
        drafts.approve(Actor(officer), "FR", "requirements")
    version = drafts.approve(Actor(chief), "FR", "requirements")
    assert (version.published_by, version.approved_by) == ("Agence FR", "Direction FR")
    assert history.meta(version)["approved_by"] == "Direction FR"
    audit = db.session.query(AuditRecord).filter_by(action="publish", outcome="ok").one()
    assert f'"submitted_by": {officer.id}' in audit.detail and f'"approved_by": {chief.id}' in audit.detail
    with pytest.raises(NotAllowed):  # nor through the API's path
        publishing.publish(Actor(officer), "FR", "requirements", factories.requirements(max_supply_days=60),
                           Precondition(if_match=frozenset({version.hash})))


def test_a_returned_draft_comes_back_with_the_comment_and_can_be_submitted_again(people):
    officer, chief = people["officer"], people["chief"]
    drafts.save(officer, "FR", "import-bans", factories.import_bans())
    drafts.submit(officer, "FR", "import-bans")
    with pytest.raises(NotAllowed):
        drafts.return_(officer, "FR", "import-bans", "Looks fine to me")
    drafts.return_(chief, "FR", "import-bans", "Give the reference of the decree.")
    draft = drafts.find("FR", "import-bans")
    assert (draft.state, draft.comment) == ("returned", "Give the reference of the decree.")
    drafts.save(officer, "FR", "import-bans", factories.import_bans())
    assert drafts.submit(officer, "FR", "import-bans").state == "submitted"


def test_a_draft_knows_what_it_changes_and_who_published_since(people):
    officer, chief = people["officer"], people["chief"]
    drafts.save(officer, "FR", "requirements", factories.requirements())
    drafts.publish(Actor(officer), "FR", "requirements")
    drafts.save(officer, "FR", "requirements", factories.requirements(max_supply_days=60))
    assert drafts.differences(drafts.find("FR", "requirements")) == ["Maximum supply (days) changed from 30 to 60."]
    drafts.save(chief, "FR", "authorities", factories.authorities())
    current = history.current("FR", "requirements")
    publishing.publish(Actor(chief), "FR", "requirements", factories.requirements(max_supply_days=45),
                       Precondition(if_match=frozenset({current.hash})))
    assert [row.version for row in drafts.published_since(drafts.find("FR", "requirements"))] == [2]
    with pytest.raises(publishing.StalePrecondition):
        drafts.publish(Actor(officer), "FR", "requirements")
    drafts.rebase(officer, "FR", "requirements")
    assert drafts.publish(Actor(officer), "FR", "requirements").version == 3


def test_another_country_may_not_touch_a_draft(people):
    with pytest.raises(NotAllowed):
        drafts.save(people["german"], "FR", "requirements", {})


def test_an_invitation_sets_a_password_once(people):
    account, token = accounts.invite(people["chief"], "new@fr.example", country="FR")
    assert account.password_hash is None and accounts.invitation(token) is not None
    accounts.accept_invitation(token, "my own long password")
    assert accounts.check_password(accounts.find_account("new@fr.example"), "my own long password")
    with pytest.raises(accounts.AccountError):
        accounts.accept_invitation(token, "another long password")
    with pytest.raises(accounts.AccountError):  # an officer who is not the administrator
        accounts.invite(people["officer"], "other@fr.example", country="FR")
    with pytest.raises(accounts.AccountError):  # nor another country's
        accounts.invite(people["chief"], "other@de.example", country="DE")


def test_an_expired_invitation_no_longer_works(people, monkeypatch):
    _, token = accounts.invite(people["secretariat"], "late@de.example", country="DE")
    later = datetime.utcnow() + accounts.INVITATION_LIFETIME + timedelta(minutes=1)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    assert accounts.invitation(token) is None


def test_a_section_past_its_cycle_is_overdue_and_reminded_once(people):
    drafts.save(people["officer"], "FR", "requirements", factories.requirements())
    version = drafts.publish(Actor(people["officer"]), "FR", "requirements")
    published = version.published_at
    assert not reconfirmation.standing(published, now=published + timedelta(days=300)).overdue
    late = reconfirmation.standing(published, now=reconfirmation.add_months(published, 14))
    assert late.overdue and late.months_since == 14
    sent = []
    soon = reconfirmation.add_months(published, 12) - timedelta(days=10)
    assert reconfirmation.send_reminders(sent.append, "registry@example", "http://registry.example", now=soon) == 1
    assert reconfirmation.send_reminders(sent.append, "registry@example", "http://registry.example", now=soon) == 0
    overdue = reconfirmation.add_months(published, 13)
    assert reconfirmation.send_reminders(sent.append, "registry@example", "http://registry.example", now=overdue) == 1
    assert [message["Subject"].split(":")[0] for message in sent] == ["Reminder", "Overdue"]
    assert sent[0]["To"] == "chief@fr.example, officer@fr.example"
    reconfirmation.set_cycle(people["secretariat"], 18)
    assert not reconfirmation.standings(now=overdue)[("FR", "requirements")][1].overdue


def test_a_question_stays_between_the_countries_until_made_public(people):
    drafts.save(people["officer"], "FR", "requirements", factories.requirements())
    drafts.publish(Actor(people["officer"]), "FR", "requirements")
    question = questions.ask(people["german"], "FR", "requirements", 1, "Rule 3", "Does the 1000 mg limit count per trip?")
    assert questions.public("FR", "requirements", 1) == []
    assert questions.recipients(question, people["german"]) == ["chief@fr.example", "officer@fr.example"]
    questions.answer(people["officer"], question.id, "Per trip, all packages together.")
    with pytest.raises(NotAllowed):
        questions.make_public(people["german"], question.id)
    with pytest.raises(publishing.NotFound):
        questions.find(_account("other@it.example", "IT"), question.id)
    questions.make_public(people["officer"], question.id)
    record = questions.public_record(questions.public("FR", "requirements", 1)[0])
    assert [message["authority"] for message in record["messages"]] == ["BfArM", "Agence FR"]
    assert "@" not in str(record)
