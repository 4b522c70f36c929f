"""Files handed to a person who may see them: attachments and letters, never cached."""

from django.http import FileResponse


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
