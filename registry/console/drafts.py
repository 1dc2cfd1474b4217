"""A section's draft in the console (docs/workflow.md, "Drafts and approval"): its page, where it is submitted,
approved, returned with a comment, brought up to date or discarded, and whether a country requires approval.

The editor saves drafts (views.edit); these routes act on a saved one through registry/workflow/drafts.py,
and approving one publishes it through the publishing service, like any publication.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import history, publishing, reference
from ..documents import validate_document
from ..i18n import country_name
from ..models import Account
from ..workflow import drafts
from . import wording
from .views import _actor, _may_edit, bp, draft_context, signed_in, signed_in_account


def _existing(country: str, section: str):
    """The section's draft, for an account that may write the country: 404 when there is none."""
    account = _may_edit(country)
    saved = drafts.find(country, section)
    if saved is None:
        abort(404, description=_("There is no draft of this section."))
    return account, saved


def _back(country: str, section: str):
    return redirect(url_for("console.draft", country=country, section=section))


@bp.get("/<country>/<section:section>/draft")
@signed_in
def draft(country, section):
    account, saved = _existing(country, section)
    document = drafts.document(saved)
    problems = validate_document(section, document) if document is not None else {}
    return render_template(
        "console/draft.html",
        account=account,
        place=reference.country(country),
        section=section,
        document=document,
        problems=wording.in_words(document, problems) if problems else {},
        field_label=wording.field_label,
        comment_max=drafts.COMMENT_MAX,
        **draft_context(country, section),
    )


@bp.post("/<country>/<section:section>/draft/discard")
@signed_in
def discard_draft(country, section):
    account, _saved = _existing(country, section)
    drafts.discard(account, country, section)
    flash(_("The draft is discarded. The published version is unchanged."), "success")
    return redirect(url_for("console.country", country=country))


@bp.post("/<country>/<section:section>/draft/rebase")
@signed_in
def rebase_draft(country, section):
    account, _saved = _existing(country, section)
    drafts.rebase(account, country, section)
    flash(_("The draft now applies to the current version. Check what it changes before it is published."), "success")
    return _back(country, section)


@bp.post("/<country>/<section:section>/draft/submit")
@signed_in
def submit_draft(country, section):
    account, _saved = _existing(country, section)
    try:
        drafts.submit(account, country, section)
    except publishing.Conflict:
        flash(_("This draft is already awaiting approval."), "error")
    else:
        flash(_("The draft is submitted for approval: another account of this country, or the secretariat, approves it "
                "or returns it with a comment."), "success")
    return _back(country, section)


@bp.post("/<country>/<section:section>/draft/take-back")
@signed_in
def take_back_draft(country, section):
    account, _saved = _existing(country, section)
    try:
        drafts.give_back(account, country, section)
    except publishing.Conflict:
        flash(_("This draft is not awaiting approval."), "error")
        return _back(country, section)
    flash(_("The draft is no longer awaiting approval; change it, then submit it again."), "success")
    return redirect(url_for("console.edit", country=country, section=section))


def _reviewer(country: str, section: str) -> Account:
    """The signed-in account, if it may review the section's submitted draft: nobody reviews their own (403)."""
    account, saved = _existing(country, section)
    if saved.state == "submitted" and saved.submitted_by == account.id:
        abort(403, description=_("Nobody may approve or return their own draft: another account of %(country)s, "
                                 "or the secretariat, must review it.", country=country_name(country)))
    return account


@bp.post("/<country>/<section:section>/draft/approve")
@signed_in
def approve_draft(country, section):
    account = _reviewer(country, section)
    try:
        row = drafts.approve(_actor(account), country, section)
    except publishing.Conflict:
        flash(_("Only a draft awaiting approval can be approved."), "error")
    except publishing.StalePrecondition:
        flash(_("Someone published this section since the draft began, so nothing was published. "
                "Bring the draft up to date and check what it changes first."), "error")
    except publishing.Invalid:
        flash(_("The draft is not valid yet, so nothing was published. Return it with a comment."), "error")
    else:
        flash(_("Approved: version %(number)s was published.", number=row.version), "success")
        return redirect(url_for("pages.version", country=country, section=section, number=row.version))
    return _back(country, section)


@bp.post("/<country>/<section:section>/draft/return")
@signed_in
def return_draft(country, section):
    account = _reviewer(country, section)
    try:
        drafts.return_(account, country, section, request.form.get("comment", ""))
    except publishing.Conflict:
        flash(_("Only a draft awaiting approval can be returned."), "error")
    except publishing.Invalid:
        flash(_("Say what should change (1 to %(count)s characters).", count=drafts.COMMENT_MAX), "error")
    else:
        flash(_("The draft is returned with your comment; its officers see it when they open the draft."), "success")
    return _back(country, section)


@bp.post("/<country>/<section:section>/draft/publish")
@signed_in
def publish_draft(country, section):
    account, _saved = _existing(country, section)
    try:
        row = drafts.publish(_actor(account), country, section)
    except publishing.StalePrecondition:
        flash(_("Someone published this section since the draft began, so nothing was published. "
                "Bring the draft up to date and check what it changes first."), "error")
    except publishing.PublishingError as refusal:
        flash(refusal.message, "error")
    else:
        flash(_("Version %(number)s was published.", number=row.version), "success")
        return redirect(url_for("pages.version", country=country, section=section, number=row.version))
    return _back(country, section)


@bp.post("/<country>/<section:section>/draft/withdrawal")
@signed_in
def withdrawal_draft(country, section):
    """Where the country requires approval, a withdrawal too is a draft (null) submitted to another account."""
    account = _may_edit(country)
    current = history.current(country, section)
    if current is None or current.withdrawn:
        flash(_("There is nothing in force to withdraw in this section."), "error")
        return redirect(url_for("console.country", country=country))
    if drafts.find(country, section) is not None:
        flash(_("This section already has a draft: discard it first, or finish it."), "error")
        return _back(country, section)
    drafts.save(account, country, section, None)
    drafts.submit(account, country, section)
    flash(_("The withdrawal is submitted for approval: another account of this country, or the secretariat, "
            "approves it or returns it with a comment."), "success")
    return _back(country, section)


@bp.post("/<country>/approval")
@signed_in
def approval(country):
    """A country's administrator, or the secretariat, decides whether its publications need a second account."""
    account = signed_in_account()
    if reference.country(country) is None:
        abort(404, description=_("%(code)s is not a country code of ISO 3166-1.", code=country))
    if not account.may_administer(country):
        abort(403, description=_("Only an administrator of %(country)s, or the secretariat, decides whether its "
                                 "publications need approval.", country=country_name(country)))
    required = request.form.get("required") == "yes"
    drafts.set_requires_approval(account, country, required)
    if required:
        flash(_("From now on, a publication of %(country)s needs the approval of a second account.", country=country_name(country)), "success")
    else:
        flash(_("Publications of %(country)s no longer need a second account's approval.", country=country_name(country)), "success")
    return redirect(url_for("console.country", country=country))
