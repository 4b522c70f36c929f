"""Files handed to a person who may see them: attachments and letters, never cached."""

from django.http import FileResponse
from django.shortcuts import render

from .enums import ScanStatus


def stored_file_response(field_file, *, filename: str, content_type: str) -> FileResponse:
    """Stream a stored file (local or S3, through the storage API) as a download.

    Only for views that have already checked the person's right to the file: the response is
    private and never stored by a browser or proxy.
    """
    response = FileResponse(
        field_file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def attachment_response(request, attachment):
    """An attachment for a view that has checked the person's right to it: the file when the
    malware check has found it clean, otherwise a page saying it is being checked or refused
    (409: the file exists but cannot be had in its present state)."""
    if attachment.scan_status == ScanStatus.CLEAN:
        return stored_file_response(
            attachment.file, filename=attachment.original_name, content_type=attachment.content_type
        )
    response = render(
        request,
        "applications/attachment_unavailable.html",
        {"attachment": attachment, "refused": attachment.scan_status == ScanStatus.REFUSED},
        status=409,
    )
    response["Cache-Control"] = "private, no-store"
    return response
