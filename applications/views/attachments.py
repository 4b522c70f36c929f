"""The applicant's files: upload and removal on the attachments part, and the download every
permitted reader uses (views/applicant.py has the rest of the working copy's pages)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..downloads import attachment_response
from ..forms.applicant import AttachmentForm
from ..rules import is_applicant
from ..selectors.applications import attachment_in_a_version, attachments_of, current_attachments
from ..selectors.task_list import ATTACHMENTS, form_part
from ..services import working_copy
from .applicant import (
    _get_application_for_user,
    _get_own_application,
    _messages_of,
    _refuse_if_not_editable,
    _render_part,
    part_url,
)


@login_required
@require_POST
def attachment_upload(request, pk):
    application = _get_own_application(request, pk)
    refused = _refuse_if_not_editable(request, application)
    if refused:
        return refused
    attachment_form = AttachmentForm(request.POST, request.FILES, call=application.call)
    if attachment_form.is_valid():
        try:
            attachment = working_copy.attachment_add(
                application=application,
                by=request.user,
                upload=attachment_form.cleaned_data["file"],
                kind=attachment_form.cleaned_data.get("kind") or "",
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    attachment_form.add_error(
                        field if field in attachment_form.fields else "file", errors
                    )
            else:
                attachment_form.add_error("file", error)
        else:
            messages.success(
                request,
                _("The file “%(name)s” has been added.") % {"name": attachment.original_name},
            )
            return redirect(part_url(application, ATTACHMENTS))
    attachments_part = form_part(application.call, ATTACHMENTS)
    return _render_part(request, application, attachments_part, attachment_form=attachment_form)


@login_required
@require_POST
def attachment_remove(request, pk, att_pk):
    application = _get_own_application(request, pk)
    attachment = get_object_or_404(current_attachments(application), pk=att_pk)
    try:
        working_copy.attachment_remove(attachment=attachment, by=request.user)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
        return redirect("applications:detail", pk=application.pk)
    messages.success(
        request, _("The file “%(name)s” has been removed.") % {"name": attachment.original_name}
    )
    return redirect(part_url(application, ATTACHMENTS))


@login_required
def attachment_download(request, pk, att_pk):
    """Stream a file through the storage API, only to those who may see it.

    Applicants get their working copy's files and any file a submitted version lists; agency
    staff only files that belong to a submitted version. Whoever asks, only a file the malware
    check found clean is handed out; otherwise a page says it is being checked, or refused.
    """
    application = _get_application_for_user(request, pk)
    attachment = get_object_or_404(attachments_of(application), pk=att_pk)
    in_a_version = attachment_in_a_version(attachment)
    if is_applicant(request.user, application):
        if attachment.removed_at is not None and not in_a_version:
            raise Http404
    elif not in_a_version:
        raise PermissionDenied
    return attachment_response(request, attachment)


urlpatterns = [
    path("applications/<int:pk>/attachments/", attachment_upload, name="attachment_upload"),
    path(
        "applications/<int:pk>/attachments/<int:att_pk>/",
        attachment_download,
        name="attachment_download",
    ),
    path(
        "applications/<int:pk>/attachments/<int:att_pk>/remove/",
        attachment_remove,
        name="attachment_remove",
    ),
]
