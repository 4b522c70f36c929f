"""Decisions on the application pages, without touching those pages' views.

``{% staff_decisions application user as info %}`` for the case page and
``{% released_decision application user as decision %}`` for the applicant's page; each is one
query (two with the permission's membership lookup, cached per request).
"""

import rules
from django import template
from django.urls import reverse

from ..enums import ApplicationState, DecisionStatus

register = template.Library()


@register.simple_tag
def staff_decisions(application, user) -> dict:
    """Every decision of the application, newest first, and where to propose the next one.

    A reviewed application is proposed from the reviews page, which suggests the consensus
    comment or the reviewers' comments as the feedback; anything else from the case page.
    """
    decisions = list(
        application.decisions.select_related(
            "proposed_by", "decided_by", "sent_back_by", "supersedes", "letter", "release"
        )
    )
    waiting = any(d.status == DecisionStatus.PROPOSED for d in decisions)
    decided = any(d.status == DecisionStatus.CONFIRMED for d in decisions)
    state = application.state
    may_propose = (
        not waiting
        and (decided or state in (ApplicationState.SUBMITTED, ApplicationState.REVIEWED))
        and rules.has_perm("applications.propose_decision", user, application)
    )
    if state == ApplicationState.REVIEWED and not decided:
        url = reverse("reviews:decision_propose", args=[application.pk])
    else:
        url = reverse("applications:decision_propose", args=[application.pk])
    return {
        "decisions": decisions,
        "may_propose": may_propose,
        "propose_url": url,
        "correction": decided,
    }


@register.simple_tag
def released_decision(application, user):
    """The latest confirmed decision released to the applicant, if the user may see it."""
    decision = (
        application.decisions.filter(status=DecisionStatus.CONFIRMED, release__isnull=False)
        .select_related("proposed_by", "decided_by", "release", "letter")
        .order_by("-confirmed_at", "-pk")
        .first()
    )
    if decision is None or not rules.has_perm("applications.view_decision", user, decision):
        return None
    return decision
