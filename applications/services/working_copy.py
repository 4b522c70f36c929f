"""The working copy: an application as it is written, its budget and its attachments."""

import hashlib

import rules
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.selectors.application_form import form_definition
from applications.selectors.applications import attachments_total_size
from grants.models import Call

from ..enums import ScanStatus
from ..models import Application, Attachment, BudgetLine, Organisation, User
from ..validators import detect_content_type, safe_filename
from ._common import _enqueue_on_commit, _require
from .edit_conflicts import refuse_if_stale
from .scanning import attachment_scan_status_on_upload


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}".removesuffix(".0")


@transaction.atomic
def application_create(*, call, organisation: Organisation, by: User) -> Application:
    """Start a draft for an open call."""
    _require(by, "create_application", organisation)
    if not call.is_open():
        raise ValidationError(_("This call is not open for applications."))
    if organisation.provisional_kind not in call.eligible_kinds:
        raise ValidationError(_("Your kind of organisation may not apply to this call."))
    # The call's row lock, the one the form builder holds while it checks that no application
    # exists and changes the form (the form freezes with the first application): a draft is
    # never started against a form changing at the same moment. Held for this short write only.
    Call.objects.select_for_update().only("pk").get(pk=call.pk)
    return Application.objects.create(
        call=call,
        organisation=organisation,
        created_by=by,
        language=by.language,
        contact_name=by.full_name,
        contact_email=by.email,
        contact_phone=by.phone,
    )


def _lock_editable(application: Application, by: User) -> Application:
    # The application's row only: the call's row is read, not locked (see ``_lock``).
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call")
        .get(pk=application.pk)
    )
    if not rules.has_perm("applications.view_application", by, locked):
        raise PermissionDenied
    if not rules.has_perm("applications.change_application", by, locked):
        raise ValidationError(_("This application can no longer be changed."))
    return locked


EDITABLE_FIELDS = (
    "title",
    "summary",
    "hub",
    "period_start",
    "period_end",
    "requested_amount",
    "contact_name",
    "contact_email",
    "contact_phone",
    "language",
)


@transaction.atomic
def application_update(
    *,
    application: Application,
    by: User,
    data: dict,
    budget_lines: list[dict] | None = None,
    base_version: int | None = None,
    answers: dict | None = None,
) -> Application:
    """Save the working copy (a draft save or an autosave).

    ``data`` holds cleaned values of some of ``EDITABLE_FIELDS``: only those are written, the
    others stay as stored. ``budget_lines``, when given, replaces the budget as a whole, in
    order; ``None`` leaves it. ``answers`` holds answers to some of the call's questions
    (``{key: value}``, ``None`` clears one); the others stay as stored. ``base_version`` is
    the ``edit_version`` the form was read at: when another save came in between,
    ``StaleEdit`` is raised and nothing is written.
    The check and the write happen on the locked row, so of two saves from the same version
    exactly one wins. Every save counts ``edit_version`` up by one. A submitted application
    stays what was submitted until a new version is submitted.
    """
    locked = _lock_editable(application, by)
    refuse_if_stale(locked, base_version)
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in data.items():
        setattr(locked, name, value)
    if answers:
        keys = {q.key for q in form_definition(locked.call).input_questions}
        if set(answers) - keys:
            raise ValueError(f"not questions of this call: {sorted(set(answers) - keys)}")
        merged = {**(locked.answers or {}), **answers}
        locked.answers = {key: value for key, value in merged.items() if value is not None}
    locked.edit_version += 1
    locked.full_clean(exclude=["call", "organisation", "created_by", "state"])
    locked.save()
    if budget_lines is not None:
        locked.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            BudgetLine(application=locked, position=i, **line)
            for i, line in enumerate(budget_lines)
        )
    return locked


@transaction.atomic
def attachment_add(*, application: Application, by: User, upload, kind: str = "") -> Attachment:
    """Store an uploaded file under an unguessable key after checking type and size.
    ``kind``: the key of the call's attachment question the file answers ("" for any other).

    Side effects: the file in storage; with scanning on, the malware scan queued after commit
    (the attachment is pending until it has run); with scanning off, recorded as not scanned.
    """
    locked = _lock_editable(application, by)
    if kind and kind not in {q.key for q in form_definition(locked.call).attachment_questions}:
        raise ValidationError({"kind": _("This call does not ask for that kind of attachment.")})
    if upload.size > settings.ATTACHMENT_MAX_FILE_BYTES:
        raise ValidationError(
            _("The file “%(name)s” is larger than %(limit)s MB.")
            % {
                "name": safe_filename(upload.name),
                "limit": _megabytes(settings.ATTACHMENT_MAX_FILE_BYTES),
            }
        )
    total = attachments_total_size(locked)
    if total + upload.size > settings.ATTACHMENT_MAX_TOTAL_BYTES:
        raise ValidationError(
            _("The application's attachments may be at most %(limit)s MB in all.")
            % {"limit": _megabytes(settings.ATTACHMENT_MAX_TOTAL_BYTES)}
        )
    content_type = detect_content_type(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = safe_filename(upload.name)
    attachment = Attachment(
        application=locked,
        original_name=name,
        kind=kind,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    attachment.scan_status, attachment.scan_note = attachment_scan_status_on_upload()
    attachment.file.save(name, upload, save=False)
    attachment.save()
    if attachment.scan_status == ScanStatus.PENDING:
        _enqueue_on_commit("scan_attachment", attachment_id=attachment.pk)
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: Attachment, by: User) -> None:
    """Take a file out of the working copy. The file stays for any version that lists it."""
    _lock_editable(attachment.application, by)
    Attachment.objects.filter(pk=attachment.pk, removed_at__isnull=True).update(
        removed_at=timezone.now()
    )
