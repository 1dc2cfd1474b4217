"""Questions between countries on a version of a section (docs/workflow.md, "Questions between countries").

An authority (or the secretariat) asks about a version of another country's section; the
country answers; the thread is visible to both countries and the secretariat. The answering
country (or the secretariat) may make it public: only then do the version's page and the
exports show it. Each new message is e-mailed to the accounts of the other side.
"""
import json
import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import or_, select

from .. import history, reference
from ..changes import SECTION_PHRASES
from ..db import db, utcnow
from ..models import Account, AuditRecord, Question, QuestionMessage
from ..publishing import Invalid, NotAllowed, NotFound

log = logging.getLogger(__name__)
SUBJECT_MAX = 200
BODY_MAX = 10_000


def _text(value: str, limit: int, what: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise Invalid(f"The {what} must have 1 to {limit} characters.")
    return value


def may_see(account: Account, question: Question) -> bool:
    return account.secretariat or account.country in (question.country, question.asked_by_country)


def ask(account: Account, country: str, section: str, version: int, subject: str, body: str) -> Question:
    """Open a question on version `version` of another country's section, with its first message."""
    if history.version(country, section, version) is None:
        raise NotFound(f"{country}'s {section} has no version {version}.")
    if not account.secretariat and account.country == country:
        raise NotAllowed("A country asks other countries; its own notification it changes in the editor.")
    question = Question(country=country, section=section, version=version, asked_by_country=None if account.secretariat else account.country,
                        asked_by=account.id, subject=_text(subject, SUBJECT_MAX, "subject"), created_at=utcnow())
    db.session.add(question)
    _message(account, question, body)
    return question


def answer(account: Account, question_id: int, body: str) -> QuestionMessage:
    """A new message in a thread, from either side or the secretariat."""
    question = find(account, question_id)
    return _message(account, question, body)


def _message(account: Account, question: Question, body: str) -> QuestionMessage:
    message = QuestionMessage(question=question, author_country=None if account.secretariat else account.country,
                              authority=account.authority_name, account_id=account.id,
                              body=_text(body, BODY_MAX, "message"), created_at=utcnow())
    db.session.add(message)
    db.session.add(AuditRecord(at=message.created_at, account_id=account.id, action="question-message", country=question.country,
                               section=question.section, outcome="ok", status=200,
                               detail=json.dumps({"version": question.version})))
    db.session.commit()
    _tell_other_side(question, message, account)
    return message


def _tell_other_side(question: Question, message: QuestionMessage, author: Account) -> None:
    """E-mail the other side; a mail server that is down loses the e-mail, not the message (the console shows it)."""
    from flask import current_app

    from ..delivery import DeliveryFailed, mail, public_base, settings

    addresses = recipients(question, author)
    if not addresses:
        return
    config = settings(current_app)
    try:
        mail.send(notification(question, message, addresses, config.mail_from, public_base(current_app)), config)
    except DeliveryFailed as failure:
        log.warning("Question %s: the other side was not e-mailed: %s", question.id, failure)


def find(account: Account, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or not may_see(account, question):
        raise NotFound("There is no such question.")
    return question


def make_public(account: Account, question_id: int) -> Question:
    """The answering country (or the secretariat) publishes the thread on the version's page."""
    question = find(account, question_id)
    if not (account.secretariat or account.country == question.country):
        raise NotAllowed("Only the country that was asked (or the secretariat) may make the thread public.")
    if question.public_at is None:
        question.public_at = utcnow()
        db.session.add(AuditRecord(at=question.public_at, account_id=account.id, action="question-public", country=question.country,
                                   section=question.section, outcome="ok", status=200, detail=json.dumps({"question": question.id})))
        db.session.commit()
    return question


def visible_to(account: Account) -> list[Question]:
    """The threads an account may read, newest first."""
    query = select(Question).order_by(Question.created_at.desc(), Question.id.desc())
    if not account.secretariat:
        query = query.where(or_(Question.country == account.country, Question.asked_by_country == account.country))
    return list(db.session.scalars(query))


def public(country: str | None = None, section: str | None = None, version: int | None = None) -> list[Question]:
    """The public threads (of one version when given), oldest first."""
    query = select(Question).where(Question.public_at.is_not(None)).order_by(Question.id)
    if country is not None:
        query = query.where(Question.country == country, Question.section == section, Question.version == version)
    return list(db.session.scalars(query))


def public_record(question: Question) -> dict:
    """A public thread as pages and exports give it: no account, no address."""
    return {
        "id": question.id, "country": question.country, "section": question.section, "version": question.version,
        "asked_by_country": question.asked_by_country, "subject": question.subject,
        "asked_at": question.created_at, "public_at": question.public_at,
        "messages": [{"authority": message.authority, "country": message.author_country, "body": message.body,
                      "at": message.created_at} for message in question.messages],
    }


def recipients(question: Question, author: Account) -> list[str]:
    """Who hears of a new message: the accounts of the other side (the secretariat when it is the other side)."""
    sides = {question.country, question.asked_by_country}
    others = sides - {None if author.secretariat else author.country}
    criteria = [Account.country.in_([code for code in others if code])]
    if None in others:
        criteria.append(Account.secretariat.is_(True))
    return list(db.session.scalars(select(Account.email).where(or_(*criteria), Account.disabled.is_(False), Account.id != author.id)
                                   .order_by(Account.email)))


def notification(question: Question, message: QuestionMessage, addresses: list[str], sender: str, base: str) -> EmailMessage:
    found = reference.country(question.country)
    about = f"{found.name('en') if found else question.country}'s {SECTION_PHRASES[question.section]}, version {question.version}"
    mail = EmailMessage()
    mail["From"], mail["To"] = sender, ", ".join(addresses)
    mail["Date"], mail["Message-ID"] = formatdate(usegmt=True), make_msgid(domain="registry")
    mail["Auto-Submitted"] = "auto-generated"
    mail["Subject"] = f"Question on {about}: {question.subject}"
    mail.set_content(f"{message.authority} wrote about {about}:\n\n{message.body}\n\n"
                     f"Read and answer the thread in the console: {base}/console/questions/{question.id}\n")
    return mail
