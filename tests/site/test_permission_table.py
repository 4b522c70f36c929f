"""Every URL of the site, for every role, against the expected outcome written down here.

The table below has one row per URL name. A URL pattern that is not in it fails
``test_every_url_of_the_site_is_in_the_permission_table``: a new view cannot reach CI without
someone writing down who may reach it. ``test_every_url_answers_every_role_as_the_table_says``
then requests every URL as every role, GET and, for the views that change state, POST with an
empty or minimal body, and lists every difference at once.

Outcomes: ``200``/``400``/``403``/``404``/``405`` are the status codes; ``302`` is a redirect
anywhere but the login page (the view let the person in: a page elsewhere, or the message after
a POST); ``login`` is a redirect to a login page (the site's or the admin's).

One world for all the requests (``tests/world.py``), built once in one test: each request runs
in a savepoint that is rolled back, so a POST that succeeds changes nothing for the next one,
and the client's cookies are put back after it (a logout would otherwise log the client out).
One test rather than one per URL and role: a thousand requests in a few seconds instead of a
thousand worlds, and every mismatch reported together rather than the first. Staff and
reviewers log in with ``force_login``, which the suite's conftest makes two-factor verified.

To fill in the row of a new URL, add it with its ``args`` and run this file with
``PERMISSION_TABLE_PRINT=1 pytest -s``: it prints what every role got. Then check each outcome
against who should reach the page before writing it down; never copy a wrong one.

The Django admin is one group: its index and every model's list, the superuser's only.
"""

import os
from copy import deepcopy
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from applications.enums import JobKind, JobState, VerificationStatus
from applications.models import BackgroundJob, OrganisationClaim
from tests import factories
from tests.world import ROLES, World, build_world

pytestmark = pytest.mark.django_db


# -- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """Expected outcomes, one per role in ``ROLES`` order, as a space-separated string.

    ``args`` makes the URL's arguments from the world; ``body`` the POST's minimal body.
    ``post`` is None for a view that changes nothing (it is requested with GET only).
    """

    get: str
    post: str | None = None
    args: object = None
    body: object = None


def app(w: World, name: str = "in_review") -> list:
    return [getattr(w, name).pk]


def pending_organisation(w: World):
    """An organisation waiting for the agency's check (the world's are all verified)."""
    organisation = factories.OrganisationFactory(verification_status=VerificationStatus.PENDING)
    factories.MembershipFactory(organisation=organisation, is_admin=True)
    return organisation


def open_claim(w: World):
    return OrganisationClaim.objects.create(
        organisation=w.organisation, claimant=w.other_applicant, message="This is our number."
    )


def batch_job(w: World):
    """A batch of confirmations the world's decision maker has started (still queued)."""
    job, _created = BackgroundJob.objects.get_or_create(
        key="confirm:table",
        defaults={"kind": JobKind.BATCH_CONFIRMATION, "started_by": w.decision_maker, "total": 1},
    )
    return job


def export_job(w: World):
    """A finished export of the programme manager's, with its file."""
    job = BackgroundJob.objects.filter(key="export:table").first()
    if job is None:
        job = BackgroundJob(
            key="export:table",
            kind=JobKind.EXPORT,
            state=JobState.DONE,
            started_by=w.programme_manager,
            result={"filename": "cases.csv", "content_type": "text/csv"},
        )
        job.file.save("cases.csv", ContentFile(b"a;b\n"), save=False)
        job.save()
    return job


# Columns, in ``ROLES`` order: anon(ymous), other (applicant of another organisation), appl(icant,
# a member of the owning organisation), rev(iewer assigned, no conflict), confl(icted reviewer,
# declared), pm (programme manager), dm (decision maker), super(user).
TABLE: dict[str, Row] = {
    # -- public pages and the account ---------------------------------------------------------
    #         anon  other appl  rev   confl pm    dm    super
    "grants:call_list": Row(
        get=" 200   200   200   200   200   200   200   200",
    ),
    "grants:call_detail": Row(
        get=" 200   200   200   200   200   200   200   200",
        args=lambda w: [w.open_call.slug],
    ),
    "start": Row(
        get=" login 302   302   302   302   302   302   302",
    ),
    # The session warning's "Stay logged in": an ended session is told so ({"authenticated":
    # false}), a live one starts its idle time again.
    "session_keep_alive": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="200   200   200   200   200   200   200   200",
    ),
    # The start page: anyone logged in, each seeing the parts of their own roles.
    "applications:start_page": Row(
        get=" login 200   200   200   200   200   200   200",
    ),
    "applications:signup": Row(
        get=" 200   302   302   302   302   302   302   302",
        post="200   302   302   302   302   302   302   302",
    ),
    "applications:signup_done": Row(
        get=" 200   200   200   200   200   200   200   200",
    ),
    # A link that is not genuine: refused with a message, whoever opens it.
    "applications:email_verify": Row(
        get=" 400   400   400   400   400   400   400   400",
        post="400   400   400   400   400   400   400   400",
        args=lambda w: ["not-a-signed-token"],
    ),
    "applications:email_verification_resend": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 302   302   302   302   302   302   302",
    ),
    "applications:profile": Row(
        get=" login 200   200   200   200   200   200   200",
        post="login 200   200   200   200   200   200   200",
    ),
    "applications:set_language": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="302   302   302   302   302   302   302   302",
        body=lambda w: {"language": "en"},
    ),
    "health": Row(
        get=" 200   200   200   200   200   200   200   200",
    ),
    # /favicon.ico: a redirect to the static copy, for everyone.
    "favicon": Row(
        get=" 302   302   302   302   302   302   302   302",
    ),
    "applications:password_reset_confirm": Row(
        get=" 200   200   200   200   200   200   200   200",
        post="200   200   200   200   200   200   200   200",
        args=lambda w: ["MQ", "bad-token"],
    ),
    "applications:my_data": Row(
        get=" login 200   200   200   200   200   200   200",
    ),
    "applications:my_data_download": Row(
        get=" login 200   200   200   200   200   200   200",
    ),
    # Everyone here has passed the second factor (or needs none): verify sends them on, and
    # setup is only for those without an app yet (the applicants, for whom it is optional).
    "two_factor_verify": Row(
        get=" login 302   302   302   302   302   302   302",
        post="login 302   302   302   302   302   302   302",
    ),
    "two_factor_setup": Row(
        get=" login 200   200   302   302   302   302   302",
        post="login 200   200   302   302   302   302   302",
    ),
    "two_factor_recovery_codes": Row(
        get=" login 302   302   302   302   302   302   302",
    ),
    "two_factor_recovery_codes_renew": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 302   302   302   302   302   302   302",
    ),
    "applications:password_reset": Row(
        get=" 200   200   200   200   200   200   200   200",
        post="200   200   200   200   200   200   200   200",
    ),
    "login": Row(
        get=" 200   200   200   200   200   200   200   200",
        post="200   200   200   200   200   200   200   200",
    ),
    "logout": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="302   302   302   302   302   302   302   302",
    ),
    # OpenID Connect (configured in the test below): the start sends everyone to the provider,
    # a callback without the provider's code and state ends on the login page.
    "oidc_eid_login": Row(
        get=" 302   302   302   302   302   302   302   302",
        post="405   405   405   405   405   405   405   405",
    ),
    "oidc_eid_callback": Row(
        get=" login login login login login login login login",
        post="405   405   405   405   405   405   405   405",
    ),
    # Without a pending e-ID login (none in these sessions) the email page sends to the login.
    "oidc_email": Row(
        get=" login login login login login login login login",
        post="login login login login login login login login",
    ),
    "oidc_staff_login": Row(
        get=" 302   302   302   302   302   302   302   302",
        post="405   405   405   405   405   405   405   405",
    ),
    "oidc_staff_callback": Row(
        get=" login login login login login login login login",
        post="405   405   405   405   405   405   405   405",
    ),
    "password_change": Row(
        get=" login 200   200   200   200   200   200   200",
        post="login 200   200   200   200   200   200   200",
    ),
    "password_change_done": Row(
        get=" login 200   200   200   200   200   200   200",
    ),
    "password_reset": Row(
        get=" 200   200   200   200   200   200   200   200",
        post="200   200   200   200   200   200   200   200",
    ),
    "password_reset_done": Row(
        get=" 200   200   200   200   200   200   200   200",
    ),
    "password_reset_confirm": Row(
        get=" 200   200   200   200   200   200   200   200",
        post="200   200   200   200   200   200   200   200",
        args=lambda w: ["MQ", "bad-token"],
    ),
    "password_reset_complete": Row(
        get=" 200   200   200   200   200   200   200   200",
    ),
    # -- organisations ----------------------------------------------------------------------
    #         anon  other appl  rev   confl pm    dm    super
    "applications:organisation_register": Row(
        get=" login 200   200   200   200   200   200   200",
        post="login 200   200   200   200   200   200   200",
    ),
    "applications:organisation_detail": Row(
        get=" login 404   200   404   404   200   200   404",
        args=lambda w: [w.organisation.pk],
    ),
    "applications:organisation_invite": Row(
        get=" login 405   405   405   405   405   405   405",
        post="login 404   400   404   404   403   403   404",
        args=lambda w: [w.organisation.pk],
    ),
    "applications:membership_update": Row(
        get=" login 405   405   405   405   405   405   405",
        post="login 404   302   404   404   403   403   404",
        args=lambda w: [w.organisation.pk, w.colleague_membership.pk],
    ),
    "applications:membership_remove": Row(
        get=" login 405   405   405   405   405   405   405",
        post="login 404   302   404   404   403   403   404",
        args=lambda w: [w.organisation.pk, w.colleague_membership.pk],
    ),
    "applications:invitation_accept": Row(
        get=" 200   200   200   200   200   200   200   200",
        post="login 302   302   302   302   302   302   302",
        args=lambda w: [w.invitation.token],
    ),
    # -- the applicant's journey --------------------------------------------------------------
    #         anon  other appl  rev   confl pm    dm    super
    "applications:dashboard": Row(
        get=" login 200   200   200   200   200   200   200",
    ),
    "applications:application_create": Row(
        get=" login 405   405   405   405   405   405   405",
        post="login 404   302   404   404   404   404   404",
        args=lambda w: [w.open_call.slug],
        body=lambda w: {"organisation": w.organisation.pk},
    ),
    "applications:detail": Row(
        get=" login 404   200   404   404   302   302   404",
        args=lambda w: app(w, "submitted"),
    ),
    # An empty POST carries no edit version: refused as a stale copy (409), nothing written.
    "applications:edit": Row(
        get=" login 404   200   404   404   404   404   404",
        post="login 404   409   404   404   404   404   404",
        args=lambda w: app(w, "draft"),
    ),
    # A section page: as the whole edit page (an empty POST is a stale copy: 409).
    "applications:edit_part": Row(
        get=" login 404   200   404   404   404   404   404",
        post="login 404   409   404   404   404   404   404",
        args=lambda w: app(w, "draft") + ["project"],
    ),
    "applications:autosave": Row(
        get=" login 405   405   405   405   405   405   405",
        post="login 404   409   404   404   404   404   404",
        args=lambda w: app(w, "draft"),
    ),
    "applications:attachment_upload": Row(
        get=" login 405   405   405   405   405   405   405",
        post="login 404   200   404   404   404   404   404",
        args=lambda w: app(w, "draft"),
    ),
    "applications:attachment_download": Row(
        get=" login 404   200   404   404   200   200   404",
        args=lambda w: app(w) + [w.attachment.pk],
    ),
    "applications:attachment_remove": Row(
        get=" login 405   405   405   405   405   405   405",
        post="login 404   302   404   404   403   403   404",
        args=lambda w: app(w) + [w.attachment.pk],
    ),
    "applications:preview": Row(
        get=" login 404   200   404   404   404   404   404",
        args=lambda w: app(w, "draft"),
    ),
    # With the declaration ticked; without it the applicant gets the check-answers page again.
    "applications:submit": Row(
        get=" login 405   405   405   405   405   405   405",
        post="login 404   302   404   404   404   404   404",
        args=lambda w: app(w, "draft"),
        body=lambda w: {"declaration": "on"},
    ),
    # The confirmation after submitting: the application's people only.
    "applications:submitted": Row(
        get=" login 404   200   404   404   403   403   404",
        args=lambda w: app(w, "submitted"),
    ),
    "applications:withdraw": Row(
        get=" login 404   200   404   404   403   403   404",
        post="login 404   200   404   404   403   403   404",
        args=lambda w: app(w, "submitted"),
    ),
    "applications:version_detail": Row(
        get=" login 404   200   404   404   200   200   404",
        args=lambda w: app(w) + [1],
    ),
    "applications:version_download": Row(
        get=" login 404   200   404   404   200   200   404",
        args=lambda w: app(w) + [1],
    ),
    "applications:decision_letter": Row(
        get=" login 404   200   404   404   200   200   404",
        args=lambda w: app(w, "decided") + [w.decision.pk],
    ),
    # -- case handling --------------------------------------------------------------------------
    #         anon  other appl  rev   confl pm    dm    super
    "applications:manage_list": Row(
        get=" login 403   403   403   403   200   200   403",
    ),
    "applications:manage_export": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   200   200   403",
    ),
    "applications:manage_export_xlsx": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   200   200   403",
    ),
    "applications:manage_detail": Row(
        get=" login 404   403   404   404   200   200   404",
        args=lambda w: app(w, "submitted"),
    ),
    "applications:manage_return": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   200   403   404",
        args=lambda w: app(w, "submitted"),
    ),
    "applications:manage_deadline_exception": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   200   403   404",
        args=lambda w: app(w, "submitted"),
    ),
    "applications:manage_eligibility": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   302   403   404",
        args=lambda w: app(w, "submitted"),
    ),
    "applications:manage_start_review": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   200   403   404",
        args=lambda w: app(w, "submitted"),
    ),
    "applications:late_exceptions": Row(
        get=" login 403   403   403   403   200   403   403",
    ),
    "applications:late_exception_record": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   200   403   403",
        args=lambda w: app(w, "draft"),
    ),
    "applications:audit_log": Row(
        get=" login 403   403   403   403   200   403   403",
    ),
    # -- the call editor ------------------------------------------------------------------------
    #         anon  other appl  rev   confl pm    dm    super
    "applications:call_list": Row(
        get=" login 403   403   403   403   200   200   403",
    ),
    "applications:call_new": Row(
        get=" login 403   403   403   403   200   403   403",
        post="login 403   403   403   403   200   403   403",
    ),
    "applications:call_manage": Row(
        get=" login 403   403   403   403   200   200   403",
        args=lambda w: [w.open_call.pk],
    ),
    "applications:call_copy": Row(
        get=" login 403   403   403   403   200   403   403",
        post="login 403   403   403   403   200   403   403",
        args=lambda w: [w.open_call.pk],
    ),
    "applications:call_edit": Row(
        get=" login 403   403   403   403   200   403   403",
        post="login 403   403   403   403   200   403   403",
        args=lambda w: [w.open_call.pk, "texts"],
    ),
    "applications:call_preview": Row(
        get=" login 403   403   403   403   200   200   403",
        args=lambda w: [w.open_call.pk],
    ),
    "applications:call_publish": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   302   302   403",
        args=lambda w: [w.open_call.pk],
    ),
    "applications:call_history": Row(
        get=" login 403   403   403   403   200   403   403",
        args=lambda w: [w.open_call.pk],
    ),
    # The call's form builder: agency staff read it, programme managers change it (an empty
    # form is shown again with its errors; a removal from a published call asks for a reason).
    #         anon  other appl  rev   confl pm    dm    super
    "applications:call_form": Row(
        get=" login 403   403   403   403   200   200   403",
        args=lambda w: [w.open_call.pk],
    ),
    "applications:call_form_add": Row(
        get=" login 403   403   403   403   200   403   403",
        post="login 403   403   403   403   200   403   403",
        args=lambda w: [w.open_call.pk, "sections"],
    ),
    "applications:call_form_edit": Row(
        get=" login 403   403   403   403   200   403   403",
        post="login 403   403   403   403   200   403   403",
        args=lambda w: [w.open_call.pk, "questions", w.open_call.form_questions.first().pk],
    ),
    "applications:call_form_remove": Row(
        get=" login 403   403   403   403   200   403   403",
        post="login 403   403   403   403   200   403   403",
        args=lambda w: [w.open_call.pk, "categories", w.open_call.budget_categories.first().pk],
    ),
    "applications:call_form_move": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   302   403   403",
        args=lambda w: [w.open_call.pk, "sections", w.open_call.form_sections.first().pk],
    ),
    # Who speaks for an organisation: the agency's check and claims are the programme
    # manager's (an empty form is refused with 400); anyone logged in may send a claim.
    "applications:organisation_claim": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 400   400   400   400   400   400   400",
    ),
    "applications:organisation_checks": Row(
        get=" login 403   403   403   403   200   403   403",
    ),
    "applications:organisation_verify": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   400   403   403",
        args=lambda w: [pending_organisation(w).pk],
    ),
    "applications:organisation_refuse": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   400   403   403",
        args=lambda w: [pending_organisation(w).pk],
    ),
    "applications:organisation_claim_resolve": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   400   403   403",
        args=lambda w: [open_claim(w).pk],
    ),
    # -- decisions ------------------------------------------------------------------------------
    #         anon  other appl  rev   confl pm    dm    super
    "applications:decisions": Row(
        get=" login 403   403   403   403   200   200   403",
    ),
    "applications:decisions_confirm_selected": Row(
        get=" 405   405   405   405   405   405   405   405",
        # A decision maker starts a job and goes to its page; no one else may start one.
        post="login 403   403   403   403   403   302   403",
        body=lambda w: {"decision": [w.proposal.pk]},
    ),
    "applications:decision_confirm": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   403   302   404",
        args=lambda w: [w.proposal.pk],
    ),
    "applications:decision_send_back": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   403   400   404",
        args=lambda w: [w.proposal.pk],
    ),
    "applications:decision_proposal_preview": Row(
        get=" login 404   403   404   404   200   200   404",
        args=lambda w: [w.proposal.pk],
    ),
    # Background jobs (issue 15): the starter, and staff with the right of the job's kind.
    "applications:jobs_mine": Row(
        get=" login 403   403   403   403   200   200   403",
    ),
    "applications:job_detail": Row(
        get=" login 404   404   404   404   404   200   404",
        args=lambda w: [batch_job(w).pk],
    ),
    "applications:job_progress": Row(
        get=" login 404   404   404   404   404   200   404",
        args=lambda w: [batch_job(w).pk],
    ),
    "applications:job_download": Row(
        # Only the one who started the export, though the decision maker may see jobs too.
        get=" login 404   404   404   404   200   404   404",
        args=lambda w: [export_job(w).pk],
    ),
    "applications:decisions_letter_run": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   302   403   403",
        args=lambda w: [factories.CallFactory(hold_decisions_for_release=True).slug],
    ),
    "applications:decisions_release": Row(
        get=" login 403   403   403   403   200   403   403",
    ),
    "applications:decisions_release_call": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   302   403   403",
        args=lambda w: [w.held_call.slug],
    ),
    "applications:decision_propose": Row(
        get=" login 404   403   404   404   200   403   404",
        post="login 404   403   404   404   400   403   404",
        args=lambda w: app(w, "reviewed"),
    ),
    "applications:decision_preview": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   400   403   404",
        args=lambda w: app(w, "reviewed"),
    ),
    # -- follow-up: the applicant's grant and reports, the manager's follow-up and finance ------
    "applications:follow_up": Row(
        get=" login 404   200   404   404   302   302   404",
        args=lambda w: app(w, "granted"),
    ),
    "applications:accept_grant": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   400   404   404   403   403   404",
        args=lambda w: app(w, "decided"),
    ),
    "applications:closing_letter": Row(
        get=" login 404   200   404   404   200   200   404",
        args=lambda w: app(w, "closed"),
    ),
    "applications:report_edit": Row(
        get=" login 404   200   404   404   302   302   404",
        post="login 404   409   404   404   403   403   404",
        args=lambda w: app(w, "granted") + [w.report.pk],
    ),
    "applications:manage_follow_up": Row(
        get=" login 404   403   404   404   200   200   404",
        args=lambda w: app(w, "granted"),
    ),
    "applications:manage_payment_paid": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   400   403   404",
        args=lambda w: app(w, "granted") + [w.payment.pk],
    ),
    "applications:manage_repayment_received": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   400   403   404",
        args=lambda w: app(w, "closed") + [w.claim.pk],
    ),
    "applications:manage_close": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   400   403   404",
        args=lambda w: app(w, "granted"),
    ),
    "applications:manage_report": Row(
        get=" login 404   403   404   404   200   200   404",
        args=lambda w: app(w, "granted") + [w.report.pk],
    ),
    "applications:manage_report_approve": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   400   403   404",
        args=lambda w: app(w, "granted") + [w.report.pk],
    ),
    "applications:manage_report_return": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   400   403   404",
        args=lambda w: app(w, "granted") + [w.report.pk],
    ),
    "applications:finance_csv": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   200   403   403",
    ),
    "applications:finance_xlsx": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   200   403   403",
    ),
    # -- the pages about the service (accessibility statement, privacy, cookies, contact) ------
    #         anon  other appl  rev   confl pm    dm    super
    "applications:site_page": Row(
        get=" 200   200   200   200   200   200   200   200",
        args=lambda w: ["accessibility"],
    ),
    "applications:site_pages_manage": Row(
        get=" login 403   403   403   403   200   403   403",
    ),
    "applications:site_page_edit": Row(
        get=" login 403   403   403   403   200   403   403",
        post="login 403   403   403   403   400   403   403",
        args=lambda w: ["contact"],
    ),
    # -- the follow-up overview --------------------------------------------------------------
    "applications:follow_up_overview": Row(
        get=" login 403   403   403   403   200   200   403",
    ),
    # -- the public register of funded projects ------------------------------------------------
    "applications:register": Row(
        get=" 200   200   200   200   200   200   200   200",
    ),
    "applications:register_json": Row(
        get=" 200   200   200   200   200   200   200   200",
    ),
    "applications:register_csv": Row(
        get=" 200   200   200   200   200   200   200   200",
    ),
    # -- the reviewer ---------------------------------------------------------------------------
    #         anon  other appl  rev   confl pm    dm    super
    "reviews:dashboard": Row(
        get=" login 200   200   200   200   200   200   200",
    ),
    "reviews:panel_invitation_accept": Row(
        get=" 200   200   200   200   200   200   200   200",
        post="login 302   302   302   302   302   302   302",
        args=lambda w: [w.panel_invitation.token],
    ),
    "reviews:declare": Row(
        get=" login 404   404   200   200   404   404   404",
        post="login 404   404   400   302   404   404   404",
        args=lambda w: [w.call.slug],
    ),
    # An empty POST carries no edit version: refused as a stale draft (409), nothing written.
    "reviews:review": Row(
        get=" login 404   404   200   404   404   404   404",
        post="login 404   404   409   404   404   404   404",
        args=lambda w: app(w),
    ),
    "reviews:decline": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   404   400   404   404   404   404",
        args=lambda w: app(w),
    ),
    "reviews:attachment_download": Row(
        get=" login 404   404   200   404   404   404   404",
        args=lambda w: app(w) + [w.attachment.pk],
    ),
    # -- the programme manager's review pages ---------------------------------------------------
    #         anon  other appl  rev   confl pm    dm    super
    "reviews:manage_calls": Row(
        get=" login 403   403   403   403   200   403   403",
    ),
    "reviews:panel": Row(
        get=" login 403   403   403   403   200   403   403",
        args=lambda w: [w.call.slug],
    ),
    "reviews:panel_invite": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   200   403   403",
        args=lambda w: [w.call.slug],
    ),
    "reviews:panel_employer": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   302   403   403",
        args=lambda w: [w.call.slug, w.reviewer_member.pk],
    ),
    "reviews:panel_leave": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   200   403   403",
        args=lambda w: [w.call.slug, w.reviewer_member.pk],
    ),
    "reviews:conflicts": Row(
        get=" login 403   403   403   403   200   403   403",
        args=lambda w: [w.call.slug],
    ),
    "reviews:conflict_override": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   200   403   403",
        args=lambda w: [w.call.slug],
    ),
    "reviews:assignments": Row(
        get=" login 403   403   403   403   200   403   403",
        args=lambda w: [w.call.slug],
    ),
    "reviews:assignments_auto": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   302   403   403",
        args=lambda w: [w.call.slug],
    ),
    "reviews:assignment_add": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   200   403   403",
        args=lambda w: [w.call.slug, w.reviewed.pk],
    ),
    "reviews:assignment_remove": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   302   403   403",
        args=lambda w: [w.call.slug, w.assignment.pk],
    ),
    "reviews:application_reviews": Row(
        get=" login 404   403   404   404   200   200   404",
        args=lambda w: app(w),
    ),
    "reviews:review_complete": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   200   403   404",
        args=lambda w: app(w),
    ),
    "reviews:consensus_comment": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 404   403   404   404   200   403   404",
        args=lambda w: app(w),
    ),
    "reviews:ranking": Row(
        get=" login 403   403   403   403   200   200   403",
        args=lambda w: [w.call.slug],
    ),
    "reviews:ranking_propose": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   400   403   403",
        args=lambda w: [w.call.slug],
    ),
    "reviews:decision_propose": Row(
        get=" login 404   403   404   404   200   403   404",
        post="login 404   403   404   404   400   403   404",
        args=lambda w: app(w, "reviewed"),
    ),
    "reviews:ranking_export": Row(
        get=" 405   405   405   405   405   405   405   405",
        post="login 403   403   403   403   200   200   403",
        args=lambda w: [w.call.slug, "csv"],
    ),
    "reviews:criteria": Row(
        get=" login 403   403   403   403   200   200   403",
        post="login 403   403   403   403   200   403   403",
        args=lambda w: [w.call.slug],
    ),
}


ADMIN_ROW = Row(get="login login login login login login login 200")


# -- walking the site ---------------------------------------------------------------------------


def site_url_names() -> list[str]:
    """Every named URL pattern of the site, with its namespaces; the admin as ``admin``."""
    names = []

    def walk(resolver, namespace):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    names.append("admin")
                    continue
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern, inner)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or str(pattern.pattern)
                names.append(f"{namespace}:{name}" if namespace else name)

    walk(get_resolver(), "")
    return names


def admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    return urls


def outcome(response) -> str:
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        login_pages = {reverse("login"), reverse("admin:login")}
        return "login" if urlsplit(response["Location"]).path in login_pages else "302"
    return str(code)


def clients(world: World) -> dict[str, Client]:
    result = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        user = world.user(role)
        if user is not None:
            client.force_login(user)
        result[role] = client
    return result


def request(client: Client, method: str, url: str, data=None) -> str:
    """One request in a savepoint rolled back afterwards, with the client's cookies kept."""
    cookies = deepcopy(client.cookies)
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        result = outcome(response)
        if response.streaming:
            # Read to the end: the test client then closes the file (a download's) for us.
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    client.cookies = cookies
    return result


def observe(world: World, names) -> dict[str, dict[str, list[str]]]:
    by_role = clients(world)
    seen = {}
    for name in names:
        row = TABLE.get(name)
        if row is None:
            continue
        kwargs = row.args(world) if row.args else None
        url = (
            reverse(name, kwargs=kwargs) if isinstance(kwargs, dict) else reverse(name, args=kwargs)
        )
        body = row.body(world) if row.body else {}
        seen[name] = {"GET": [request(by_role[role], "GET", url) for role in ROLES]}
        if row.post is not None:
            seen[name]["POST"] = [request(by_role[role], "POST", url, body) for role in ROLES]
    return seen


# -- the tests ------------------------------------------------------------------------------------


def unlisted(names) -> list[str]:
    """What to do about every URL name that has no row in the table."""
    return [
        f"add {name} to the permission table in tests/site/test_permission_table.py"
        for name in names
        if name != "admin" and name not in TABLE
    ]


def test_every_url_of_the_site_is_in_the_permission_table():
    missing = unlisted(site_url_names())
    assert not missing, "\n".join(missing)


def test_a_url_without_a_row_is_named_with_what_to_do():
    assert unlisted(["grants:call_list", "admin", "applications:new_page"]) == [
        "add applications:new_page to the permission table in tests/site/test_permission_table.py"
    ]


def test_the_permission_table_has_no_row_for_a_url_that_is_gone():
    names = set(site_url_names())
    assert sorted(set(TABLE) - names) == []


def _oidc_provider(host: str) -> dict:
    # Never called: the start only redirects there, and a bare callback asks nothing.
    return {
        "ISSUER": host,
        "OIDC_RP_CLIENT_ID": "client",
        "OIDC_RP_CLIENT_SECRET": "secret",
        "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{host}/auth",
        "OIDC_OP_TOKEN_ENDPOINT": f"{host}/token",
        "OIDC_OP_USER_ENDPOINT": f"{host}/me",
        "OIDC_OP_JWKS_ENDPOINT": f"{host}/jwks",
        "OIDC_RP_SCOPES": "openid",
        "OIDC_RP_SIGN_ALGO": "RS256",
    }


def test_every_url_answers_every_role_as_the_table_says(settings):
    # Who may see what, not how often: every role posts to each page here, which the rate
    # limits (tests/config/test_ratelimits.py) would refuse after the first few.
    settings.RATELIMIT_ENABLE = False
    settings.OIDC_PROVIDERS = {
        "eid": _oidc_provider("http://127.0.0.1:9"),
        "staff": _oidc_provider("http://127.0.0.1:9"),
    }
    world = build_world()
    seen = observe(world, site_url_names())
    if os.environ.get("PERMISSION_TABLE_PRINT"):
        for name, methods in seen.items():
            print(name, {m: " ".join(v) for m, v in methods.items()})
    mismatches = []
    for name, methods in seen.items():
        row = TABLE[name]
        if "405" in methods["GET"] and row.post is None:
            mismatches.append(f"{name} is POST only: give its row the outcomes of a POST")
        for method, got in methods.items():
            expected = (row.get if method == "GET" else row.post).split()
            for role, want, have in zip(ROLES, expected, got, strict=True):
                if want != have:
                    mismatches.append(f"{method} {name} as {role}: expected {want}, got {have}")
    assert not mismatches, "\n".join(mismatches)


def test_the_admin_is_the_superusers_only():
    world = build_world()
    by_role = clients(world)
    expected = ADMIN_ROW.get.split()
    mismatches = []
    for url in admin_urls():
        for role, want in zip(ROLES, expected, strict=True):
            have = request(by_role[role], "GET", url)
            if have != want:
                mismatches.append(f"GET {url} as {role}: expected {want}, got {have}")
    assert not mismatches, "\n".join(mismatches)
