"""The reference group: panels, conflicts of interest, assignments and reviews."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.enums import ReminderKind
from applications.models import Application
from grants.models import Call, Criterion

from .enums import ConflictGround, Recommendation, ReviewStatus


def _token() -> str:
    return secrets.token_urlsafe(32)


class PanelInvitation(models.Model):
    """A programme manager's invitation of a reviewer to a call's panel, by email."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="panel_invitations")
    email = models.EmailField(_("email address"))
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("panel invitation")
        verbose_name_plural = _("panel invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.call}"

    def is_usable(self, at=None) -> bool:
        return self.accepted_at is None and (at or timezone.now()) < self.expires_at


class PanelMember(models.Model):
    """A reviewer on one call's panel, with the employer their conflicts are checked against."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="panel_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_memberships"
    )
    employer_orgnr = models.CharField(
        _("employer's organisation number"),
        max_length=11,
        blank=True,
        help_text=_("Applications from this organisation are a conflict of interest."),
    )
    employer_name = models.CharField(_("employer"), max_length=200, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)
    # A member who leaves the panel keeps the seat on record (their submitted reviews stay and
    # count); they get no new assignments and lose the ones not yet reviewed.
    deactivated_at = models.DateTimeField(_("left the panel"), null=True, blank=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deactivation_reason = models.TextField(_("reason for leaving the panel"), blank=True)

    class Meta:
        ordering = ["call", "user__full_name"]
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        constraints = [
            models.UniqueConstraint(fields=["call", "user"], name="one_panel_seat_per_call")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.call})"

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None


class ConflictDeclaration(models.Model):
    """A reviewer's own declaration for one application: a conflict with its ground, or none.

    Made before the reviewer sees any content. Never edited by anyone else: a programme
    manager's change is a ``ConflictOverride`` on top.
    """

    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="declarations")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="conflict_declarations"
    )
    has_conflict = models.BooleanField(_("conflict of interest"))
    ground = models.CharField(
        _("ground"), max_length=20, choices=ConflictGround.choices, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("conflict declaration")
        verbose_name_plural = _("conflict declarations")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "application"], name="one_declaration_per_application"
            ),
            models.CheckConstraint(
                condition=Q(has_conflict=False, ground="") | (Q(has_conflict=True) & ~Q(ground="")),
                name="conflict_has_ground",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} / {self.application}: {self.has_conflict}"


class ConflictOverride(models.Model):
    """A programme manager adds or lifts a conflict, with the reason, on record.

    The latest override for a reviewer and an application decides, above the declaration and
    the automatic employer match.
    """

    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="overrides")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="conflict_overrides"
    )
    has_conflict = models.BooleanField(_("conflict of interest"))
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("conflict decision by programme manager")
        verbose_name_plural = _("conflict decisions by programme managers")

    def __str__(self) -> str:
        return f"{self.member} / {self.application}: {self.has_conflict}"


class Assignment(models.Model):
    """A reviewer is to review an application. Removed assignments stay, marked, on record.

    The services keep this true: an active assignment never has a conflict of interest (a
    conflict found later removes the assignment), so "active" is what every read checks.
    """

    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="assignments")
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="review_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when made by automatic assignment."),
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.TextField(blank=True)
    # Removed because the reviewer declined it (``removed_reason`` holds their reason).
    declined = models.BooleanField(default=False)

    class Meta:
        ordering = ["application", "member"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["member", "application"], name="one_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.member.user} → {self.application}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class Review(models.Model):
    """One reviewer's assessment of one application. Locked once submitted."""

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="review")
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    comment_for_applicant = models.TextField(_("comment for the applicant"), blank=True)
    internal_comment = models.TextField(_("internal comment"), blank=True)
    recommendation = models.CharField(
        _("recommendation"), max_length=20, choices=Recommendation.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Counts the draft's saves (0: none yet, so no row); a save from a page read at an older
    # count is refused (reviews.services.reviewing.review_save): two tabs of one reviewer.
    edit_version = models.PositiveIntegerField(_("edit version"), default=0, editable=False)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ReviewStatus.DRAFT, submitted_at__isnull=True)
                | Q(status=ReviewStatus.SUBMITTED, submitted_at__isnull=False),
                name="review_submitted_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment} ({self.status})"

    @property
    def is_submitted(self) -> bool:
        return self.status == ReviewStatus.SUBMITTED


class Score(models.Model):
    """A score on one criterion, a whole number on its scale ("no score yet" is no row)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    value = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="one_score_per_criterion")
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.value}"


class ConsensusComment(models.Model):
    """The programme manager's summary of the reviewers' comments for the applicant."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="consensus_comment"
    )
    text = models.TextField(_("consensus comment for the applicant"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("consensus comment")
        verbose_name_plural = _("consensus comments")

    def __str__(self) -> str:
        return f"{self.application}"


class ReviewReminder(models.Model):
    """A reminder email about a review, at most one of each kind per assignment: the unique
    constraint keeps two runs of the daily job (even at the same moment) from sending it twice."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "kind"], name="one_review_reminder_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment} {self.kind}"
