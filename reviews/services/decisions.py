"""Writes: decisions proposed from the ranking (the decision meeting)."""

from dataclasses import dataclass, field

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from applications.enums import ApplicationState, DecisionOutcome, DecisionStatus
from applications.models import Decision, User
from applications.services.decisions import decision_propose
from grants.models import Call

from .. import tasks
from ..selectors.feedback import feedback_for_applicants
from ..selectors.ranking import ranking_for


@dataclass(frozen=True)
class SkippedProposal:
    registration_number: str
    reason: str


@dataclass
class RankingProposals:
    """What proposing from the ranking did: the decisions proposed, and the rows passed over."""

    proposed: list = field(default_factory=list)
    skipped: list[SkippedProposal] = field(default_factory=list)


def decisions_propose_from_ranking(
    *, call: Call, by: User, approve_justification: str, reject_justification: str
) -> RankingProposals:
    """Approve every application above the funding line at its requested amount and reject
    the rest, with one justification per group.

    Each proposal copies in the application's feedback (the consensus comment, else the
    reviewers' comments for the applicant) and is made on its own through
    ``applications.services.decision_propose``, which checks everything again, so one refused
    does not stop the others. Skipped: applications with a proposal waiting or a decision, and
    those whose review is not complete. Side effects: the proposals, and one email to each
    decision maker listing them (after commit); nothing moves until a decision maker confirms.
    """

    if not rules.has_perm("applications.propose_decision", by):
        raise PermissionDenied
    approve_justification = (approve_justification or "").strip()
    reject_justification = (reject_justification or "").strip()
    if not approve_justification or not reject_justification:
        raise ValidationError(
            _("Write the justification for the approvals and the one for the rejections.")
        )
    ranking = ranking_for(call)
    feedback = feedback_for_applicants(call=call)
    statuses: dict[int, set[str]] = {}
    for application_id, status in Decision.objects.filter(
        application__call=call, status__in=[DecisionStatus.PROPOSED, DecisionStatus.CONFIRMED]
    ).values_list("application_id", "status"):
        statuses.setdefault(application_id, set()).add(status)
    result = RankingProposals()
    for row in ranking.rows:
        status = statuses.get(row.application_id, set())
        if DecisionStatus.CONFIRMED in status:
            reason = _("already decided")
        elif DecisionStatus.PROPOSED in status:
            reason = _("a proposed decision is already waiting")
        elif row.application.state != ApplicationState.REVIEWED:
            reason = _("review is not complete")
        else:
            reason = ""
        if reason:
            result.skipped.append(SkippedProposal(row.registration_number, str(reason)))
            continue
        approve = row.fits
        try:
            decision = decision_propose(
                application=row.application,
                by=by,
                outcome=DecisionOutcome.APPROVED if approve else DecisionOutcome.REJECTED,
                granted_amount=row.requested_amount if approve else 0,
                justification=approve_justification if approve else reject_justification,
                feedback=feedback.get(row.application_id, ""),
                notify=False,
            )
        except ValidationError as error:
            reason = " ".join(error.messages)
            result.skipped.append(SkippedProposal(row.registration_number, reason))
        else:
            result.proposed.append(decision)
    if result.proposed:
        # One email to each decision maker for the whole batch, not one per proposal.
        ids = [decision.pk for decision in result.proposed]
        transaction.on_commit(
            lambda: tasks.send_proposals_from_ranking.enqueue(call_id=call.pk, decision_ids=ids)
        )
    return result
