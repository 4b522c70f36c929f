"""Reads for review: scope, conflicts, a reviewer's work, and the ranking."""

import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.utils.translation import gettext as _

from applications.enums import ApplicationState
from applications.models import Application, ApplicationVersion, Organisation
from applications.selectors import call_committed_amount
from grants.enums import Aggregation, ScoreVisibility
from grants.models import Call, Criterion

from .enums import ReviewStatus
from .models import (
    Assignment,
    ConflictDeclaration,
    ConflictOverride,
    PanelMember,
    Review,
    Score,
)

S = ApplicationState

# Applications a panel declares conflicts for: received and not withdrawn or decided.
DECLARATION_STATES = [S.SUBMITTED, S.RETURNED, S.IN_REVIEW]
# Applications that can be assigned and reviewed.
REVIEW_STATES = [S.IN_REVIEW]
# Applications shown in the ranking: review started, whatever happened since.
RANKING_STATES = [S.IN_REVIEW, S.REVIEWED, S.APPROVED, S.REJECTED, S.FOLLOW_UP, S.CLOSED]


def panel_member_for(user, call: Call) -> PanelMember | None:
    if not user.is_authenticated:
        return None
    return PanelMember.objects.filter(user=user, call=call).select_related("call", "user").first()


def with_latest_version(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate ``latest_version_id``: the version reviewers and the ranking look at."""
    latest = ApplicationVersion.objects.filter(application=OuterRef("pk")).order_by("-number")
    return queryset.annotate(latest_version_id=Subquery(latest.values("pk")[:1]))


def latest_versions(applications) -> dict[int, ApplicationVersion]:
    """application id → its latest submitted version, in one query."""
    ids = [a.latest_version_id for a in applications if a.latest_version_id]
    versions = ApplicationVersion.objects.filter(pk__in=ids)
    return {v.application_id: v for v in versions}


def declaration_scope(call: Call) -> QuerySet[Application]:
    """The applications a panel member declares conflicts for (names and titles only)."""
    return with_latest_version(
        call.applications.filter(
            state__in=DECLARATION_STATES, registration_number__isnull=False
        ).select_related("organisation")
    ).order_by("registration_number")


def conflict_pairs(call: Call) -> set[tuple[int, int]]:
    """Every (panel member id, application id) of the call with a conflict of interest.

    A conflict is declared by the reviewer, or found because the applicant's organisation
    number is the reviewer's employer's; a programme manager's latest override decides over
    both. Computed for the whole call in three queries.
    """
    members = list(PanelMember.objects.filter(call=call).values_list("pk", "employer_orgnr"))
    applications = list(
        call.applications.exclude(registration_number__isnull=True).values_list(
            "pk", "organisation__orgnr"
        )
    )
    pairs = {
        (member_id, application_id)
        for member_id, employer in members
        if employer
        for application_id, orgnr in applications
        if orgnr == employer
    }
    pairs |= set(
        ConflictDeclaration.objects.filter(member__call=call, has_conflict=True).values_list(
            "member_id", "application_id"
        )
    )
    decided: dict[tuple[int, int], bool] = {}
    overrides = ConflictOverride.objects.filter(member__call=call).order_by("decided_at", "pk")
    for member_id, application_id, has_conflict in overrides.values_list(
        "member_id", "application_id", "has_conflict"
    ):
        decided[(member_id, application_id)] = has_conflict  # the latest wins
    for pair, has_conflict in decided.items():
        if has_conflict:
            pairs.add(pair)
        else:
            pairs.discard(pair)
    return pairs


def has_conflict(member: PanelMember, application: Application) -> bool:
    latest = (
        ConflictOverride.objects.filter(member=member, application=application)
        .order_by("-decided_at", "-pk")
        .values_list("has_conflict", flat=True)
        .first()
    )
    if latest is not None:
        return latest
    if member.employer_orgnr and member.employer_orgnr == application.organisation.orgnr:
        return True
    return ConflictDeclaration.objects.filter(
        member=member, application=application, has_conflict=True
    ).exists()


def declared_pairs(call: Call) -> set[tuple[int, int]]:
    """(member id, application id) for which the reviewer has declared (conflict or none)."""
    return set(
        ConflictDeclaration.objects.filter(member__call=call).values_list(
            "member_id", "application_id"
        )
    )


def assignments_for_reviewer(user) -> QuerySet[Assignment]:
    """A reviewer's active assignments on applications in review, with their reviews."""
    return (
        Assignment.objects.filter(
            member__user=user,
            removed_at__isnull=True,
            application__state__in=RANKING_STATES,
        )
        .select_related("application__organisation", "application__call", "member", "review")
        .order_by("application__call__closes_at", "application__registration_number")
    )


def assignment_for_reviewer(user, application_id: int) -> Assignment | None:
    return assignments_for_reviewer(user).filter(application_id=application_id).first()


def other_reviews_visible(assignment: Assignment) -> bool:
    """Whether the call's policy lets this reviewer see the other reviewers' scores now."""
    policy = assignment.application.call.score_visibility
    if policy == ScoreVisibility.ALWAYS:
        return True
    if policy == ScoreVisibility.NEVER:
        return False
    review = getattr(assignment, "review", None)
    return bool(review and review.is_submitted)


def other_submitted_reviews(assignment: Assignment) -> QuerySet[Review]:
    """The other active reviewers' submitted reviews of the same application."""
    return (
        Review.objects.filter(
            assignment__application_id=assignment.application_id,
            assignment__removed_at__isnull=True,
            status=ReviewStatus.SUBMITTED,
        )
        .exclude(assignment=assignment)
        .select_related("assignment__member__user")
        .prefetch_related("scores__criterion")
    )


# -- the ranking ------------------------------------------------------------------------------

TWO_PLACES = Decimal("0.01")


def weighted_score(scores: dict[int, int], criteria: list[Criterion]) -> Decimal | None:
    """Σ weight × score / Σ weight over the call's criteria; None unless every one is scored."""
    if not criteria or any(c.pk not in scores for c in criteria):
        return None
    total_weight = sum(c.weight for c in criteria)
    return sum(c.weight * scores[c.pk] for c in criteria) / total_weight


@dataclass
class RankingRow:
    application_id: int
    registration_number: str
    organisation_name: str
    title: str
    requested_amount: int
    review_scores: list[Decimal] = field(default_factory=list)  # weighted, one per review
    assigned: int = 0
    aggregate: Decimal | None = None
    spread: Decimal | None = None
    disagreement: bool = False
    criterion_means: dict[int, Decimal] = field(default_factory=dict)
    threshold_failures: list[str] = field(default_factory=list)
    rank: int | None = None
    tied: bool = False
    fits: bool = False  # above the funding line: fundable and within the remaining budget
    remaining_after: int | None = None
    # "approved" or "rejected" once a decision is confirmed: the row no longer takes part in
    # the walk (an approval's money is already in ``Ranking.committed``).
    decided: str | None = None
    # What ``application`` is made from: the values of RANKING_FIELDS, then the organisation's.
    source: tuple = field(default=(), repr=False, compare=False)

    @property
    def fundable(self) -> bool:
        return self.aggregate is not None and not self.threshold_failures

    @cached_property
    def application(self) -> Application:
        """The application with its organisation, made on first use from the values read with
        the ranking: no query, and no cost for a page that shows only the row's own fields
        (making 2,000 model instances was most of the ranking's time). Fields beyond
        ``RANKING_FIELDS`` load on access, a query each."""
        application_values, organisation_values = self.source
        application = _from_values(Application, RANKING_FIELDS, application_values)
        application.organisation = _from_values(
            Organisation, RANKING_ORGANISATION_FIELDS, organisation_values
        )
        return application


def _from_values(model, names: list[str], values) -> object:
    """A model instance as the database would give it, from some of its fields' values (the
    others deferred). ``Model.from_db`` wants them in the model's field order."""
    given = dict(zip(names, values, strict=True))
    ordered = [f.attname for f in model._meta.concrete_fields if f.attname in given]
    return model.from_db(model.objects.db, ordered, [given[name] for name in ordered])


@dataclass
class Ranking:
    call: Call
    criteria: list[Criterion]
    rows: list[RankingRow]
    budget: int
    committed: int

    @property
    def remaining(self) -> int:
        return self.budget - self.committed


def _latest_summaries(call: Call) -> dict[int, tuple[str | None, int | str | None]]:
    """application id → (title, requested amount) of its latest version, in one query.

    Reads the two keys in the database rather than loading whole versions: decoding every
    version's JSON was the ranking's largest cost at 2,000 applications.
    """
    rows = (
        ApplicationVersion.objects.filter(
            application__call=call, application__state__in=RANKING_STATES
        )
        .order_by("application_id", "number")
        .values_list("application_id", KT("content__title"), KT("content__requested_amount"))
    )
    # In version order, so the latest one's values are the ones left.
    return {application_id: (title, amount) for application_id, title, amount in rows}


# What a ranking row's application is made of (attribute names, for ``Model.from_db``).
RANKING_FIELDS = [
    "id",
    "call_id",
    "organisation_id",
    "registration_number",
    "title",
    "state",
    "requested_amount",
]
RANKING_ORGANISATION_FIELDS = ["id", "name", "orgnr"]
STATE_AT = RANKING_FIELDS.index("state")
# States after a confirmed approval (a lapsed grant is closed too; its money stays committed
# until follow-up says otherwise).
DECIDED_APPROVED = [S.APPROVED, S.FOLLOW_UP, S.CLOSED]


def ranking_for(call: Call, *, committed: int | None = None) -> Ranking:
    """The call's applications ranked by their aggregated weighted score, with the funding line.

    Per review the weighted score of its criteria; per application the mean or median of its
    reviews (the call's setting), the spread between reviewers (flagged when at least the
    call's ``disagreement_spread``), criterion means below their thresholds and a total below
    the call's threshold (either makes it unfundable). Walking down the ranking, an application
    *fits* when it is fundable and its requested amount fits in what remains of the budget
    after ``committed`` and the applications above it that fit; one that does not fit is passed
    over and the walk goes on. Ties keep registration-number order and are flagged.
    Only submitted reviews of active assignments count. A fixed number of queries.

    Decided applications keep their place but leave the walk: an approved one fits and its
    granted amount is part of ``committed`` (by default what the call's confirmed decisions
    grant), a rejected one does not fit.

    Rows carry the application's number and organisation name as plain values; the
    application itself is made only when ``row.application`` is read (see ``RankingRow``).
    """
    criteria = list(call.criteria.order_by("position", "pk"))
    applications = list(
        call.applications.filter(state__in=RANKING_STATES)
        .order_by("registration_number")
        .values_list(*RANKING_FIELDS, "organisation__name", "organisation__orgnr")
    )
    summaries = _latest_summaries(call)
    scores_by_review: dict[int, dict[int, int]] = {}
    review_application: dict[int, int] = {}
    for review_id, application_id, criterion_id, value in Score.objects.filter(
        review__status=ReviewStatus.SUBMITTED,
        review__assignment__removed_at__isnull=True,
        review__assignment__application__call=call,
    ).values_list("review_id", "review__assignment__application_id", "criterion_id", "value"):
        scores_by_review.setdefault(review_id, {})[criterion_id] = value
        review_application[review_id] = application_id
    assigned: dict[int, int] = {}
    for application_id in Assignment.objects.filter(
        application__call=call, removed_at__isnull=True
    ).values_list("application_id", flat=True):
        assigned[application_id] = assigned.get(application_id, 0) + 1

    per_application: dict[int, list[dict[int, int]]] = {}
    for review_id, scores in sorted(scores_by_review.items()):
        per_application.setdefault(review_application[review_id], []).append(scores)

    # Weights in hundredths (they have two decimal places): integer sums and one Decimal
    # division per review give exactly weighted_score's value, at a fraction of its cost.
    weights = [(c.pk, int(c.weight * 100)) for c in criteria]
    total_weight = sum(weight for _pk, weight in weights)

    def weighted(scores: dict[int, int]) -> Decimal | None:
        if not weights or any(pk not in scores for pk, _weight in weights):
            return None
        return Decimal(sum(weight * scores[pk] for pk, weight in weights)) / total_weight

    thresholds = [(c.pk, c.threshold, c.name) for c in criteria]
    total_score = str(_("Total score"))
    rows = []
    fields = len(RANKING_FIELDS)
    for values in applications:
        application_id, registration_number, working_title = values[0], values[3], values[4]
        organisation_name, organisation_orgnr = values[fields:]
        title, amount = summaries.get(application_id, (None, None))
        row = RankingRow(
            application_id=application_id,
            registration_number=registration_number,
            organisation_name=organisation_name,
            title=working_title if title is None else title,
            requested_amount=int(amount) if amount else 0,
            assigned=assigned.get(application_id, 0),
            source=(values[:fields], (values[2], organisation_name, organisation_orgnr)),
        )
        reviews = per_application.get(application_id, [])
        row.review_scores = [s for s in (weighted(r) for r in reviews) if s is not None]
        if row.review_scores:
            if call.aggregation == Aggregation.MEDIAN:
                row.aggregate = statistics.median(row.review_scores)
            else:
                row.aggregate = sum(row.review_scores) / len(row.review_scores)
            row.spread = max(row.review_scores) - min(row.review_scores)
            row.disagreement = len(row.review_scores) > 1 and row.spread >= call.disagreement_spread
            for pk, threshold, name in thresholds:
                values = [r[pk] for r in reviews if pk in r]
                mean = Decimal(sum(values)) / len(values)
                row.criterion_means[pk] = mean
                if threshold is not None and mean < threshold:
                    row.threshold_failures.append(name)
            if call.total_threshold is not None and row.aggregate < call.total_threshold:
                row.threshold_failures.append(total_score)
        rows.append(row)

    # Best first; unscored last; equal scores keep registration-number order (stable sort).
    rows.sort(key=lambda r: (r.aggregate is None, -(r.aggregate or 0)))
    if committed is None:
        committed = call_committed_amount(call)
    remaining = call.budget - committed
    for position, row in enumerate(rows, start=1):
        if row.aggregate is None:
            continue
        row.rank = position
        neighbours = rows[max(position - 2, 0) : position + 1]
        row.tied = sum(1 for other in neighbours if other.aggregate == row.aggregate) > 1
        state = row.source[0][STATE_AT]
        if state in DECIDED_APPROVED:
            row.decided, row.fits = "approved", True
        elif state == S.REJECTED:
            row.decided = "rejected"
        elif row.fundable and row.requested_amount <= remaining:
            row.fits = True
            remaining -= row.requested_amount
        row.remaining_after = remaining
    return Ranking(call=call, criteria=criteria, rows=rows, budget=call.budget, committed=committed)


def round_score(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(TWO_PLACES)


def panel_overview(call: Call) -> QuerySet[PanelMember]:
    return PanelMember.objects.filter(call=call).select_related("user").order_by("user__full_name")


def applications_for_assignment(call: Call) -> QuerySet[Application]:
    return call.applications.filter(state__in=REVIEW_STATES).select_related("organisation")


def active_assignments(call: Call) -> QuerySet[Assignment]:
    return Assignment.objects.filter(application__call=call, removed_at__isnull=True)


def latest_titles(application_ids) -> dict[int, str]:
    """application id → the title in its latest submitted version (never the working copy).

    One query, reading only the title out of each version's content.
    """
    titles: dict[int, str] = {}
    rows = (
        ApplicationVersion.objects.filter(application_id__in=list(application_ids))
        .order_by("application_id", "number")
        .values_list("application_id", "content__title")
    )
    for application_id, title in rows:
        titles[application_id] = title or ""  # later versions overwrite earlier ones
    return titles


def declaration_progress(members) -> dict[int, tuple[int, int]]:
    """panel member id → (declared, in scope) for the declaration scope of each one's call.

    Two queries whatever the number of seats or applications.
    """
    members = list(members)
    in_scope = dict(
        Application.objects.filter(
            call_id__in={m.call_id for m in members},
            state__in=DECLARATION_STATES,
            registration_number__isnull=False,
        )
        .values("call_id")
        .annotate(n=Count("pk"))
        .values_list("call_id", "n")
    )
    declared = dict(
        ConflictDeclaration.objects.filter(
            member__in=members,
            application__state__in=DECLARATION_STATES,
            application__registration_number__isnull=False,
        )
        .values("member_id")
        .annotate(n=Count("pk"))
        .values_list("member_id", "n")
    )
    return {m.pk: (declared.get(m.pk, 0), in_scope.get(m.call_id, 0)) for m in members}


def criteria_counts(call_ids) -> dict[int, int]:
    """call id → its number of criteria, in one query."""
    return dict(
        Criterion.objects.filter(call_id__in=list(call_ids))
        .values("call_id")
        .annotate(n=Count("pk"))
        .values_list("call_id", "n")
    )


def criteria_locked(call: Call) -> bool:
    """Whether a review of the call has begun: any score, draft or submitted, on its criteria.

    From then on the criteria's weights, scales and thresholds stay as the reviewers found them.
    """
    return Score.objects.filter(criterion__call=call).exists()


# -- decisions ---------------------------------------------------------------------------------


def feedback_for_applicants(*, call: Call | None = None, application_ids=None) -> dict[int, str]:
    """application id → the text for the applicant a decision copies in: the consensus comment
    when written, else the submitted reviewers' comments for the applicant, one paragraph each
    (by reviewer name, as the reviews page shows them). Two queries, for a call or some ids."""
    from .models import ConsensusComment

    if call is not None:
        consensus_scope = Q(application__call=call)
        review_scope = Q(assignment__application__call=call)
    else:
        ids = list(application_ids)
        consensus_scope = Q(application_id__in=ids)
        review_scope = Q(assignment__application_id__in=ids)
    consensus = dict(
        ConsensusComment.objects.filter(consensus_scope).values_list("application_id", "text")
    )
    comments: dict[int, list[str]] = {}
    for application_id, text in (
        Review.objects.filter(
            review_scope, status=ReviewStatus.SUBMITTED, assignment__removed_at__isnull=True
        )
        .exclude(comment_for_applicant="")
        .order_by("assignment__application_id", "assignment__member__user__full_name", "pk")
        .values_list("assignment__application_id", "comment_for_applicant")
    ):
        comments.setdefault(application_id, []).append(text)
    feedback = {pk: "\n\n".join(texts) for pk, texts in comments.items()}
    feedback.update({pk: text for pk, text in consensus.items() if text.strip()})
    return feedback


def feedback_for_applicant(application: Application) -> str:
    return feedback_for_applicants(application_ids=[application.pk]).get(application.pk, "")


# -- personal data (handed to applications.personal_data in ReviewsConfig.ready) -------------


def reviewer_personal_data_for(user) -> dict:
    """A reviewer's part of "My data": panel seats and invitations, conflict declarations and
    the programme managers' decisions on them, assignments and reviews with their scores.

    Applications appear by registration number and organisation only; other reviewers never
    appear. Seven queries whatever the number of rows.
    """
    from applications.selectors import choice_label

    from .enums import ConflictGround, Recommendation
    from .models import PanelInvitation

    email = user.email.lower()
    return {
        "panel_seats": [
            {
                "call": m.call.title,
                "employer": m.employer_name,
                "employer_orgnr": m.employer_orgnr,
                "joined_at": m.joined_at,
            }
            for m in PanelMember.objects.filter(user=user)
            .select_related("call")
            .order_by("joined_at", "pk")
        ],
        "panel_invitations": [
            {
                "call": i.call.title,
                "email": i.email,
                "invited_at": i.created_at,
                "expires_at": i.expires_at,
                "accepted_at": i.accepted_at,
            }
            for i in PanelInvitation.objects.filter(Q(email__iexact=email) | Q(accepted_by=user))
            .select_related("call")
            .order_by("created_at", "pk")
        ],
        "conflict_declarations": [
            {
                "application": str(d.application),
                "organisation": d.application.organisation.name,
                "conflict": d.has_conflict,
                "ground": d.ground,
                "ground_label": choice_label(ConflictGround, d.ground) if d.ground else "",
                "comment": d.comment,
                "declared_at": d.declared_at,
            }
            for d in ConflictDeclaration.objects.filter(member__user=user)
            .select_related("application__organisation")
            .order_by("declared_at", "pk")
        ],
        "conflict_decisions": [
            {
                "application": str(o.application),
                "conflict": o.has_conflict,
                "reason": o.reason,
                "decided_at": o.decided_at,
            }
            for o in ConflictOverride.objects.filter(member__user=user)
            .select_related("application")
            .order_by("decided_at", "pk")
        ],
        "assignments": [
            {
                "application": str(a.application),
                "assigned_at": a.assigned_at,
                "removed_at": a.removed_at,
                "removed_reason": a.removed_reason,
            }
            for a in Assignment.objects.filter(member__user=user)
            .select_related("application")
            .order_by("assigned_at", "pk")
        ],
        "reviews": [
            {
                "application": str(r.assignment.application),
                "status": r.status,
                "status_label": choice_label(ReviewStatus, r.status),
                "recommendation": r.recommendation,
                "recommendation_label": choice_label(Recommendation, r.recommendation)
                if r.recommendation
                else "",
                "comment_for_applicant": r.comment_for_applicant,
                "internal_comment": r.internal_comment,
                "scores": [
                    {"criterion": s.criterion.name, "score": s.value}
                    for s in sorted(r.scores.all(), key=lambda s: (s.criterion.position, s.pk))
                ],
                "created_at": r.created_at,
                "submitted_at": r.submitted_at,
            }
            for r in Review.objects.filter(assignment__member__user=user)
            .select_related("assignment__application")
            .prefetch_related("scores__criterion")
            .order_by("created_at", "pk")
        ],
    }


def reviewer_cases() -> dict[int, set[int]]:
    """user id → the cases a person is tied to as a reviewer: every submitted application of
    the calls whose panel they sit on, and any they declared for or were assigned."""
    ties: dict[int, set[int]] = {}
    pairs = [
        *Application.objects.filter(registration_number__isnull=False).values_list(
            "call__panel_members__user_id", "pk"
        ),
        *ConflictDeclaration.objects.values_list("member__user_id", "application_id"),
        *Assignment.objects.values_list("member__user_id", "application_id"),
    ]
    for user_id, application_id in pairs:
        if user_id is not None:
            ties.setdefault(user_id, set()).add(application_id)
    return ties


def reviewers_still_needed(now) -> set[int]:
    """People on the panel of a call not yet finished: it has not closed, or one of its
    submitted applications is still open."""
    from applications.selectors import ENDED_STATES

    open_case = Application.objects.filter(
        call=OuterRef("call"), registration_number__isnull=False
    ).exclude(state__in=ENDED_STATES)
    return set(
        PanelMember.objects.filter(Q(call__closes_at__gt=now) | Exists(open_case)).values_list(
            "user_id", flat=True
        )
    )
