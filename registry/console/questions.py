"""Questions between countries in the console (docs/workflow.md, "Questions between countries").

An officer (or the secretariat) asks about a version of another country's section
(/console/questions/new?country=FR&section=requirements&version=3, linked from every
public version page), both countries and the secretariat read and answer the thread
(/console/questions/<id>), and the country asked, or the secretariat, makes it public
on the version's page. The services are registry/workflow/questions.py, which e-mails
each new message to the other side; these views only read the forms and answer.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import history, reference
from ..documents import SECTIONS
from ..i18n import by_country_name, country_name
from ..models import Account, Question
from ..publishing import Invalid, NotAllowed, NotFound
from ..workflow import questions
from .views import bp, signed_in, signed_in_account

MAX_ID = 2147483647  # the database's integers: a larger number in a path is simply not found


def _thread(account: Account, question_id: int) -> Question:
    """The thread, if this account may read it: 404 otherwise, as for a thread that does not exist."""
    try:
        return questions.find(account, question_id)
    except NotFound:
        abort(404, description=_("There is no such question, or it is between other countries."))


def may_make_public(account: Account, question: Question) -> bool:
    return question.public_at is None and (account.secretariat or account.country == question.country)


@bp.get("/questions")
@signed_in
def questions_list():
    """The threads this account's country asked or was asked (every thread, for the secretariat), newest first."""
    account = signed_in_account()
    return render_template("console/questions.html", account=account, threads=questions.visible_to(account),
                           choices=by_country_name(reference.countries()))


def _asked() -> dict:
    """What the new-question form says (or its link's query): country, section and version asked about, subject, text."""
    values = request.form if request.method == "POST" else request.args
    version = values.get("version", "").strip()
    return {
        "country": values.get("country", "").strip().upper()[:2],
        "section": values.get("section", "") if values.get("section") in SECTIONS else "",
        "version": int(version) if version.isascii() and version.isdigit() and len(version) < 10 else None,
        "subject": values.get("subject", "")[:questions.SUBJECT_MAX + 1],
        "body": values.get("body", "")[:questions.BODY_MAX + 1],
    }


def _new_page(account: Account, asked: dict, *, error: str | None = None, status: int = 200):
    row = None
    if asked["country"] and asked["section"] and asked["version"]:
        row = history.version(asked["country"], asked["section"], asked["version"])
    own = row is not None and not account.secretariat and account.country == row.country
    return render_template("console/question_new.html", account=account, asked=asked, row=row, own=own, error=error,
                           choices=by_country_name(reference.countries()), subject_max=questions.SUBJECT_MAX,
                           body_max=questions.BODY_MAX), status


@bp.route("/questions/new", methods=["GET", "POST"])
@signed_in
def question_new():
    """Ask another country about a version of one of its sections."""
    account = signed_in_account()
    asked = _asked()
    if request.method == "GET":
        return _new_page(account, asked)
    try:
        question = questions.ask(account, asked["country"], asked["section"], asked["version"] or 0, asked["subject"], asked["body"])
    except NotFound:
        return _new_page(account, asked, status=422, error=_("There is no such version: choose the country, the section "
                                                             "and a version number it has published."))
    except NotAllowed:
        return _new_page(account, asked, status=403, error=_("This is your own country's notification: change it in the "
                                                             "editor. Questions are asked of other countries."))
    except Invalid:
        return _new_page(account, asked, status=422, error=_(
            "Give a subject of 1 to %(subject)s characters and a question of 1 to %(body)s characters.",
            subject=questions.SUBJECT_MAX, body=questions.BODY_MAX))
    flash(_("Your question was sent to %(country)s.", country=country_name(question.country)), "success")
    return redirect(url_for("console.question", question_id=question.id))


def _thread_page(account: Account, question: Question, *, error: str | None = None, body: str = "", status: int = 200):
    return render_template("console/question.html", account=account, thread=question, error=error, body=body,
                           may_make_public=may_make_public(account, question), body_max=questions.BODY_MAX), status


@bp.get(f"/questions/<int(max={MAX_ID}):question_id>")
@signed_in
def question(question_id):
    """A thread, with the form to answer it and, for the country asked, to make it public."""
    account = signed_in_account()
    return _thread_page(account, _thread(account, question_id))


@bp.post(f"/questions/<int(max={MAX_ID}):question_id>")
@signed_in
def question_answer(question_id):
    """A new message in the thread, from either side or the secretariat; the other side is e-mailed."""
    account = signed_in_account()
    thread = _thread(account, question_id)
    body = request.form.get("body", "")[:questions.BODY_MAX + 1]
    try:
        questions.answer(account, thread.id, body)
    except Invalid:
        return _thread_page(account, thread, body=body, status=422,
                            error=_("Write a message of 1 to %(count)s characters.", count=questions.BODY_MAX))
    flash(_("Your message was added to the thread."), "success")
    return redirect(url_for("console.question", question_id=thread.id))


@bp.post(f"/questions/<int(max={MAX_ID}):question_id>/public")
@signed_in
def question_public(question_id):
    """The country asked (or the secretariat) shows the thread on the version's public page and in the exports."""
    account = signed_in_account()
    thread = _thread(account, question_id)
    try:
        questions.make_public(account, thread.id)
    except NotAllowed:
        abort(403, description=_("Only the country that was asked, or the secretariat, may make the thread public."))
    flash(_("The thread is public: the version's page and the exports show it."), "success")
    return redirect(url_for("console.question", question_id=thread.id))
