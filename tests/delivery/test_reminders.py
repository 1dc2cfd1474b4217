"""Reconfirmation reminders (docs/workflow.md, "Reconfirmation"): the delivery worker e-mails them to a real SMTP server."""
import time

import pytest
from sqlalchemy import select

from registry import accounts
from registry.db import db, utcnow
from registry.models import Reminder
from registry.workflow import reconfirmation

from ..helpers import factories
from ..helpers.exports import Publisher

ROUNDS_S = 0.05  # how often the test's worker looks for reminders that fell due


@pytest.fixture
def quick_reminders(app):
    """The worker sends due reminders every ROUNDS_S instead of every 10 minutes (set before `worker` starts)."""
    app.config["REGISTRY_REMINDER_EVERY_S"] = ROUNDS_S


def test_a_section_past_its_cycle_gets_one_reminder_at_a_real_smtp_server(app, smtp, quick_reminders, worker):
    with app.app_context():
        for email, admin in (("officer@fr.example", False), ("chief@fr.example", True)):
            accounts.add_account(email, country="FR", secretariat=False, password=None, admin=admin)
        accounts.add_account("officer@de.example", country="DE", secretariat=False, password=None)
    published = reconfirmation.add_months(utcnow().replace(microsecond=0), -14)
    Publisher(app).publish("FR", "requirements", factories.requirements(), published)

    reminder, = smtp.wait_for(1)
    assert sorted(smtp.envelopes[0].rcpt_tos) == ["chief@fr.example", "officer@fr.example"]
    assert reminder["Subject"].startswith("Overdue: please confirm France's documentary requirements (due ")
    assert "14 months ago" in reminder.get_content() and "/console/FR/requirements" in reminder.get_content()

    time.sleep(20 * ROUNDS_S)  # many more rounds: nothing more to say
    assert len(smtp.messages) == 1
    with app.app_context():
        assert db.session.execute(select(Reminder.kind)).scalars().all() == ["overdue"]
