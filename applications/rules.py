"""Who may do what, as named ``rules`` predicates and permissions.

Calling a transition method checks nothing; every service asks these permissions, and every
view fetches its object through a selector that applies visibility first.
"""

import rules

from .login_security.roles import load_roles

PROGRAMME_MANAGERS = "programme_managers"
DECISION_MAKERS = "decision_makers"

is_programme_manager = rules.is_group_member(PROGRAMME_MANAGERS)
is_decision_maker = rules.is_group_member(DECISION_MAKERS)
is_agency_staff = is_programme_manager | is_decision_maker


def _memberships(user) -> dict:
    """The user's memberships by organisation id, cached on the user for one request."""
    if not user.is_authenticated:
        return {}
    cache = getattr(user, "_membership_cache", None)
    if cache is None:
        cache = {m.organisation_id: m for m in user.memberships.all()}
        user._membership_cache = cache
    return cache


def belongs_to_an_organisation(user) -> bool:
    """Whether the person is a member of any organisation (an applicant), asked once per request.

    From the memberships already read for this request when there are, else from the answer
    ``reviews.rules.is_reviewer`` keeps beside its own, else from the roles query of the
    two-factor gate (``load_roles``), asked now if it has not been.
    """
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_membership_cache", None)
    if cache is not None:
        return bool(cache)
    known = getattr(user, "_has_organisation_cache", None)
    if known is None and not hasattr(user, "_group_names_cache"):
        # Not asked yet this request (the two-factor gate asks it only for a session not yet
        # verified): the groups, the roles and this in the one query the gate would use.
        load_roles(user)
        known = getattr(user, "_has_organisation_cache", None)
    if known is None:
        known = user._has_organisation_cache = user.memberships.exists()
    return known


@rules.predicate
def is_organisation_member(user, organisation) -> bool:
    return organisation is not None and organisation.pk in _memberships(user)


@rules.predicate
def is_organisation_admin(user, organisation) -> bool:
    membership = organisation is not None and _memberships(user).get(organisation.pk)
    return bool(membership and membership.is_admin)


@rules.predicate
def is_applicant(user, application) -> bool:
    """A member of the applying organisation."""
    return application is not None and application.organisation_id in _memberships(user)


@rules.predicate
def is_signatory(user, application) -> bool:
    membership = application is not None and _memberships(user).get(application.organisation_id)
    return bool(membership and membership.is_signatory)


@rules.predicate
def is_editable(user, application) -> bool:
    return application is not None and application.is_editable


@rules.predicate
def has_been_submitted(user, application) -> bool:
    """The agency sees an application from its first submission; drafts are the applicant's."""
    return application is not None and application.registration_number is not None


rules.add_perm("applications.view_organisation", is_organisation_member | is_agency_staff)
rules.add_perm("applications.manage_organisation", is_organisation_admin)
rules.add_perm("applications.create_application", is_organisation_member)

rules.add_perm(
    "applications.view_application", is_applicant | (is_agency_staff & has_been_submitted)
)
rules.add_perm("applications.change_application", is_applicant & is_editable)
rules.add_perm("applications.submit_application", is_applicant)
rules.add_perm("applications.withdraw_application", is_applicant)
rules.add_perm("applications.accept_grant", is_signatory)

rules.add_perm("applications.list_applications", is_agency_staff)
rules.add_perm("applications.return_application", is_programme_manager)
rules.add_perm("applications.record_deadline_exception", is_programme_manager)
rules.add_perm("applications.check_eligibility", is_programme_manager)
rules.add_perm("applications.start_review", is_programme_manager)
rules.add_perm("applications.complete_review", is_programme_manager)
rules.add_perm("applications.close_application", is_programme_manager)
rules.add_perm("applications.decide_application", is_decision_maker)


@rules.predicate
def is_proposer(user, decision) -> bool:
    return decision is not None and decision.proposed_by_id == user.pk


@rules.predicate
def is_released_to_applicant(user, decision) -> bool:
    return decision is not None and hasattr(decision, "release")


@rules.predicate
def is_applicant_of_decision(user, decision) -> bool:
    return decision is not None and is_applicant(user, decision.application)


# Decisions: the four-eyes rule. The one who proposes never confirms.
rules.add_perm("applications.propose_decision", is_programme_manager)
rules.add_perm("applications.confirm_decision", is_decision_maker & ~is_proposer)
rules.add_perm("applications.release_decisions", is_programme_manager)
rules.add_perm("applications.view_audit_log", is_programme_manager)
# Checking who an organisation is (and deciding claims to its number) is the agency's.
rules.add_perm("applications.verify_organisation", is_programme_manager)
rules.add_perm(
    "applications.view_decision",
    is_agency_staff | (is_applicant_of_decision & is_released_to_applicant),
)


# -- follow-up ------------------------------------------------------------------------------------


@rules.predicate
def is_applicant_of_report(user, report) -> bool:
    return report is not None and is_applicant(user, report.application)


rules.add_perm("applications.edit_report", is_applicant_of_report)
rules.add_perm("applications.review_report", is_programme_manager)
rules.add_perm("applications.manage_payments", is_programme_manager)
rules.add_perm("applications.view_follow_up_overview", is_agency_staff)


# -- calls ----------------------------------------------------------------------------------------


@rules.predicate
def is_call_author(user, call) -> bool:
    """Created the call or changed it last: the one pair of eyes a publication needs besides."""
    return call is not None and user.pk in (call.created_by_id, call.changed_by_id)


rules.add_perm("applications.manage_calls", is_programme_manager)
# Four eyes: another programme manager or a decision maker publishes (docs/architecture.md).
rules.add_perm("applications.publish_call", is_agency_staff & ~is_call_author)

# -- the institutional pages (accessibility statement, privacy notice, cookies, contact) ---------

rules.add_perm("applications.manage_site_pages", is_programme_manager)
