import uuid
from pathlib import PurePath

import rules
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from grants.models import Call, Hub

from ..enums import ApplicationState, Language, ScanStatus
from .people import Organisation

S = ApplicationState


def _perm(name: str):
    """A transition permission that asks the named ``rules`` permission about this object.

    ``rules.has_perm`` is used instead of ``user.has_perm`` so that a superuser gets no
    applicant's or decision maker's rights by accident.
    """

    def check(instance, user) -> bool:
        return rules.has_perm(f"applications.{name}", user, instance)

    check.__name__ = f"perm_{name}"
    return check


def before_deadline(application) -> bool:
    return timezone.now() < application.deadline


def deadline_passed(application) -> bool:
    return timezone.now() >= application.deadline


def completion_deadline_passed_if_returned(application) -> bool:
    """A returned application can be rejected as ineligible only once its completion deadline
    has passed without a new version (a submitted one at any time)."""
    if application.state != S.RETURNED:
        return True
    deadline = application.completion_deadline
    return deadline is None or timezone.now() >= deadline


def acceptance_open(application) -> bool:
    return application.accept_by is not None and timezone.localdate() <= application.accept_by


def acceptance_expired(application) -> bool:
    return application.accept_by is not None and timezone.localdate() > application.accept_by


def eligibility_checklist_passed(application) -> bool:
    # Not named ``eligibility_passed``: inside the class body that name is the property below,
    # and a property object in ``conditions`` makes every start_review fail with a TypeError.
    return application.eligibility_passed


SUBMITTED_ONLY = Q(registration_number__isnull=False)


class Application(ConcurrentTransitionMixin, models.Model):
    """One organisation's application to one call, from draft to closure.

    The fields here are the *working copy*. What was submitted is frozen in
    ``ApplicationVersion``; reviewers and decision makers only ever see a version.
    Transition methods only set fields on ``self``; the services in
    ``applications.services`` check rights, save, log and send.
    """

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="applications"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = FSMField(_("state"), choices=ApplicationState.choices, default=S.DRAFT, protected=True)
    language = models.CharField(
        _("language for letters and emails"),
        max_length=2,
        choices=Language.choices,
        default=Language.SWEDISH,
    )

    # The content, as the call asks for it.
    title = models.CharField(_("project title"), max_length=200, blank=True)
    summary = models.TextField(_("summary"), max_length=2000, blank=True)
    hub = models.ForeignKey(
        Hub, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("hub")
    )
    period_start = models.DateField(_("project start"), null=True, blank=True)
    period_end = models.DateField(_("project end"), null=True, blank=True)
    requested_amount = models.PositiveIntegerField(
        _("requested amount (kr)"), null=True, blank=True
    )
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    # The answers to the call's own questions (``grants.FormQuestion``), ``{key: value}`` with
    # JSON values: text, whole numbers, ISO dates, lists of choice values, yes/no as booleans.
    answers = models.JSONField(_("answers"), default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Counts the working copy's saves (manual and automatic). A form carries the count it was
    # read at; a save based on an older count is refused, so a second tab or a colleague never
    # silently writes over a newer save (applications.services.working_copy).
    edit_version = models.PositiveIntegerField(_("edit version"), default=0, editable=False)

    # Set by transitions.
    registration_number = models.CharField(
        _("registration number"), max_length=10, unique=True, null=True, blank=True
    )
    first_submitted_at = models.DateTimeField(_("first submitted"), null=True, blank=True)
    last_submitted_at = models.DateTimeField(_("last submitted"), null=True, blank=True)
    # The latest submitted version's title and requested amount, kept by the submit service
    # (``services.transitions.application_submit``) in the same transaction as the version, so
    # the agency's lists sort, filter and show them from the row and an index instead of
    # reading every version's JSON. ``tests/applications/test_submitted_summary.py`` holds them
    # equal to the latest version's content.
    submitted_title = models.CharField(_("submitted title"), max_length=200, blank=True)
    submitted_amount = models.PositiveIntegerField(
        _("submitted requested amount (kr)"), null=True, blank=True
    )
    completion_message = models.TextField(_("request for completion"), blank=True)
    completion_deadline = models.DateTimeField(_("completion deadline"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    accept_by = models.DateField(
        _("last day to accept the grant"),
        null=True,
        blank=True,
        help_text=_("Set when an approval is released to the applicant."),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.CheckConstraint(
                condition=Q(registration_number__isnull=True)
                | Q(registration_number__regex=r"^[0-9]{4}-[0-9]{5}$"),
                name="registration_number_format",
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="application_period_ordered",
            ),
        ]
        # The case list's sort orders, each served by an index on (column, id) that holds the
        # submitted applications only (the list's own condition), so the database reads a page,
        # and steps over the pages before it, in the index alone instead of sorting the call.
        indexes = [
            models.Index(fields=["call", "state"]),
            *(
                models.Index(fields=[field, "id"], name=name, condition=SUBMITTED_ONLY)
                for field, name in [
                    ("last_submitted_at", "application_submitted_idx"),
                    ("submitted_title", "application_title_idx"),
                    ("submitted_amount", "application_amount_idx"),
                    ("state", "application_state_idx"),
                ]
            ),
        ]

    def __str__(self) -> str:
        return self.registration_number or self.title or f"#{self.pk}"

    # -- derived -------------------------------------------------------------------------

    @property
    def deadline(self):
        """The instant after which this application cannot be submitted.

        A returned application has its own completion deadline; a late exception recorded by a
        programme manager replaces the call's closing time for this application alone.
        """
        if self.state == S.RETURNED and self.completion_deadline:
            return self.completion_deadline
        exception = self.current_deadline_exception
        return exception.new_deadline if exception else self.call.closes_at

    @property
    def current_deadline_exception(self):
        # Prefetched in selectors; falls back to a query on a single object.
        exceptions = list(self.deadline_exceptions.all())
        return max(exceptions, key=lambda e: e.granted_at) if exceptions else None

    @property
    def is_editable(self) -> bool:
        """Draft and returned applications can be edited; a submitted one until the deadline."""
        if self.state in (S.DRAFT, S.RETURNED):
            return True
        return self.state == S.SUBMITTED and timezone.now() < self.deadline

    @property
    def eligibility_passed(self) -> bool:
        check = getattr(self, "eligibility_check", None)
        return bool(check and check.passed)

    # -- transitions (fields on self only) -----------------------------------------------

    @transition(
        field=state,
        source=[S.DRAFT, S.RETURNED],
        target=S.SUBMITTED,
        conditions=[before_deadline],
        permission=_perm("submit_application"),
    )
    def submit(self, *, at, registration_number=None):
        if not self.registration_number:
            self.registration_number = registration_number
            self.first_submitted_at = at
        self.last_submitted_at = at
        self.completion_deadline = None

    @transition(
        field=state,
        source=S.SUBMITTED,
        target=S.SUBMITTED,
        conditions=[before_deadline],
        permission=_perm("submit_application"),
    )
    def submit_new_version(self, *, at):
        self.last_submitted_at = at

    @transition(
        field=state,
        source=S.SUBMITTED,
        target=S.RETURNED,
        permission=_perm("return_application"),
    )
    def return_for_completion(self, *, message, deadline):
        self.completion_message = message
        self.completion_deadline = deadline

    @transition(
        field=state,
        source=[S.DRAFT, S.SUBMITTED, S.RETURNED, S.IN_REVIEW],
        target=S.WITHDRAWN,
        permission=_perm("withdraw_application"),
    )
    def withdraw(self, *, reason):
        self.withdrawn_reason = reason

    @transition(
        field=state,
        source=[S.SUBMITTED, S.RETURNED],
        target=S.REJECTED,
        conditions=[completion_deadline_passed_if_returned],
        permission=_perm("decide_application"),
    )
    def reject_ineligible(self):
        pass

    @transition(
        field=state,
        source=S.SUBMITTED,
        target=S.IN_REVIEW,
        conditions=[deadline_passed, eligibility_checklist_passed],
        permission=_perm("start_review"),
    )
    def start_review(self):
        pass

    @transition(
        field=state,
        source=S.IN_REVIEW,
        target=S.REVIEWED,
        permission=_perm("complete_review"),
    )
    def complete_review(self):
        pass

    @transition(
        field=state,
        source=S.REVIEWED,
        target=S.APPROVED,
        permission=_perm("decide_application"),
    )
    def approve(self):
        pass

    @transition(
        field=state,
        source=S.REVIEWED,
        target=S.REJECTED,
        permission=_perm("decide_application"),
    )
    def reject(self):
        pass

    @transition(
        field=state,
        source=S.APPROVED,
        target=S.FOLLOW_UP,
        conditions=[acceptance_open],
        permission=_perm("accept_grant"),
    )
    def accept_grant(self):
        pass

    @transition(field=state, source=S.APPROVED, target=S.CLOSED, conditions=[acceptance_expired])
    def lapse(self, *, at):
        self.closed_at = at

    @transition(
        field=state,
        source=S.FOLLOW_UP,
        target=S.CLOSED,
        permission=_perm("close_application"),
    )
    def close(self, *, at):
        self.closed_at = at


class BudgetLine(models.Model):
    """One line of the working copy's budget, in whole kronor."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="budget_lines"
    )
    # A key of the call's budget categories (``grants.BudgetCategory``).
    category = models.CharField(_("category"), max_length=20)
    description = models.CharField(_("description"), max_length=300)
    amount = models.PositiveIntegerField(_("amount (kr)"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")

    def __str__(self) -> str:
        return f"{self.category}: {self.amount} kr"


def attachment_key(instance, filename: str) -> str:
    """An unguessable storage key; the applicant's file name is kept only as metadata."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{uuid.uuid4().hex}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A file attached to an application.

    Files are never deleted once uploaded: a removed attachment leaves the working copy
    (``removed_at``), but a submitted version that lists it keeps it.
    """

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_key, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    # The key of the call's attachment question this file answers; blank: any other file.
    kind = models.CharField(_("kind of attachment"), max_length=50, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # Set by the malware scan after upload (applications/services/scanning.py). Pending until a
    # scanner has answered; rows from before scanning existed start pending and are scanned by
    # `manage.py scan_attachments`. The note is the signature found, or why a file counts as
    # clean without a scan ("no scanner configured", the demo's setting).
    scan_status = models.CharField(
        _("malware check"), max_length=10, choices=ScanStatus.choices, default=ScanStatus.PENDING
    )
    scan_note = models.CharField(max_length=200, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def scan_label(self) -> str:
        """The malware check's status for the applicant's page; says so when never scanned."""
        if self.scan_status == ScanStatus.CLEAN and self.scan_note:
            return gettext(self.scan_note)
        return self.get_scan_status_display()


class ApplicationVersion(models.Model):
    """A frozen, submitted version of an application with the SHA-256 of its content.

    Every submitted version stays on record. Never updated after it is written, except once by
    the retention job, which redacts the personal fields and sets ``redacted_at``.
    """

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    content = models.JSONField()
    sha256 = models.CharField(max_length=64)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attachments = models.ManyToManyField(Attachment, related_name="versions", blank=True)
    # The working copy's ``edit_version`` this version was made from: a later save counts it
    # up, so "changes not yet submitted" is one comparison of two integers
    # (``selectors.applications.with_unsent_changes``). Empty for versions from before it.
    edit_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Set once by the retention job when the personal fields inside ``content`` were blanked;
    # ``sha256`` stays the hash of what was received, so the submission is still provable.
    redacted_at = models.DateTimeField(_("personal data redacted"), null=True, blank=True)

    class Meta:
        ordering = ["application", "-number"]
        verbose_name = _("submitted version")
        verbose_name_plural = _("submitted versions")
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="one_version_number")
        ]
        get_latest_by = "number"

    def __str__(self) -> str:
        return f"{self.application} v{self.number}"


class ApplicationTransition(models.Model):
    """The log of every state change: who, from, to, when, and why."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="transitions"
    )
    name = models.CharField(max_length=40)
    source = models.CharField(max_length=20, choices=ApplicationState.choices)
    target = models.CharField(max_length=20, choices=ApplicationState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the system made the change."),
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")

    def __str__(self) -> str:
        return f"{self.name}: {self.source} → {self.target}"


class DeadlineException(models.Model):
    """A late exception: a new deadline for one application, with the reason, on record."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="deadline_exceptions"
    )
    new_deadline = models.DateTimeField(_("new deadline"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("late exception")
        verbose_name_plural = _("late exceptions")

    def __str__(self) -> str:
        return f"{self.application}: {self.new_deadline:%Y-%m-%d %H:%M}"


class EligibilityCheck(models.Model):
    """The programme manager's eligibility checklist for one application."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="eligibility_check"
    )
    items = models.JSONField(default=dict, help_text=_("Checklist item → ticked"))
    comment = models.TextField(_("comment"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("eligibility check")
        verbose_name_plural = _("eligibility checks")

    def __str__(self) -> str:
        return f"{self.application}: {'passed' if self.passed else 'not passed'}"

    @property
    def passed(self) -> bool:
        """Every item the call's checklist asks now is ticked (items added since the check was
        recorded are not, so the check is made again; items taken off no longer count)."""
        return all(self.items.get(item.key) is True for item in self.application.call.checklist())


class RegistrationCounter(models.Model):
    """The last registration number (diarienummer) handed out in a year.

    Incremented inside the submitting transaction with a row lock, so numbers are unique and
    gap-free: a rolled-back submit rolls its number back too.
    """

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("registration counter")
        verbose_name_plural = _("registration counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
