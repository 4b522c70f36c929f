"""Attachments on S3, as production stores them, against a local S3 server over HTTP.

The storage options come from config/settings.py itself (see tests/s3.py); the fixtures
``s3_server`` and ``s3_storage`` are in tests/conftest.py.
"""

import hashlib
import re
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from storages.backends.s3 import S3Storage

from applications.models import Attachment
from applications.services.working_copy import attachment_add

pytestmark = [pytest.mark.django_db, pytest.mark.s3]

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _upload(name: str = "Budget för Östersund.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _status_of_plain_get(url: str) -> int:
    """The HTTP status of a GET without credentials or signature."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (local http)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_attachment_field_uses_the_lazy_default_storage_so_settings_overrides_reach_it(
    s3_storage,
):
    # The field holds the lazy default_storage, which Django resets when STORAGES changes;
    # that is why overriding the setting is enough and no field needs patching.
    assert Attachment._meta.get_field("file").storage is default_storage
    assert default_storage.bucket_name == s3_storage
    assert type(default_storage._wrapped) is S3Storage


def test_attachment_lands_in_the_bucket_under_an_unguessable_key(
    s3_storage, s3_server, application, applicant
):
    attachment = attachment_add(application=application, by=applicant, upload=_upload())

    assert re.fullmatch(r"attachments/[0-9a-f]{32}/[0-9a-f]{32}\.pdf", attachment.file.name)
    assert "Budget" not in attachment.file.name
    assert attachment.original_name == "Budget för Östersund.pdf"
    listed = s3_server.client().list_objects_v2(Bucket=s3_storage)["Contents"]
    assert [item["Key"] for item in listed] == [attachment.file.name]


def test_attachment_reads_back_byte_equal_with_matching_sha256(
    s3_storage, s3_server, application, applicant
):
    content = PDF + b"%" + bytes(range(256)) * 40  # binary bytes survive the round trip
    attachment = attachment_add(
        application=application, by=applicant, upload=_upload(content=content)
    )

    stored = Attachment.objects.get(pk=attachment.pk)
    with stored.file.open("rb") as handle:
        read_back = handle.read()
    assert read_back == content
    assert stored.size == len(content)
    assert hashlib.sha256(read_back).hexdigest() == stored.sha256
    in_bucket = s3_server.client().get_object(Bucket=s3_storage, Key=stored.file.name)
    assert hashlib.sha256(in_bucket["Body"].read()).hexdigest() == stored.sha256


def test_stored_attachment_is_not_public(s3_storage, s3_server, application, applicant):
    attachment = attachment_add(application=application, by=applicant, upload=_upload())
    plain_url = f"{s3_server.endpoint_url}/{s3_storage}/{attachment.file.name}"

    assert _status_of_plain_get(plain_url) == 403
    grants = s3_server.client().get_object_acl(Bucket=s3_storage, Key=attachment.file.name)
    grantees = [grant["Grantee"].get("URI", "") for grant in grants["Grants"]]
    assert not any(uri.endswith(("/AllUsers", "/AuthenticatedUsers")) for uri in grantees)


def test_local_s3_server_does_serve_a_public_object_so_the_403_above_means_something(
    s3_storage, s3_server
):
    s3_server.client().put_object(
        Bucket=s3_storage, Key="public/probe.txt", Body=b"open", ACL="public-read"
    )
    assert _status_of_plain_get(f"{s3_server.endpoint_url}/{s3_storage}/public/probe.txt") == 200


def test_presigned_url_expires_within_a_minute(s3_storage, application, applicant):
    # moto does not verify signatures, so only the expiry requested is checked here; the view
    # that hands out links is where a refused, expired link is tested.
    attachment = attachment_add(application=application, by=applicant, upload=_upload())

    url = attachment.file.url
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == f"/{s3_storage}/{attachment.file.name}"
    assert query["X-Amz-Expires"] == ["60"]
    assert "X-Amz-Signature" in query
