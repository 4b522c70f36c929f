import pytest

from tests import factories


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL the audit log refuses TRUNCATE (migration 0007_audit_entry), and Django's
    flush after each transactional test truncates every table: the test database lets it."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ALTER TABLE applications_auditentry DISABLE TRIGGER audit_entry_no_truncate"
                )


@pytest.fixture
def call():
    return factories.CallFactory()


@pytest.fixture
def application(call):
    return factories.ApplicationFactory(call=call)


@pytest.fixture
def applicant(application):
    """An administrator and signatory of the application's organisation."""
    return factories.applicant_for(application, is_admin=True, is_signatory=True)


@pytest.fixture
def other_applicant():
    """A member of another organisation."""
    return factories.MembershipFactory().user


@pytest.fixture
def programme_manager():
    return factories.programme_manager()


@pytest.fixture
def decision_maker():
    return factories.decision_maker()


# -- local S3 (see tests/s3.py) ---------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 over HTTP on a free port of 127.0.0.1, for the whole session."""
    from tests.s3 import start_local_s3

    local = start_local_s3()
    yield local
    local.server.stop()


@pytest.fixture
def s3_storage(s3_server, settings):
    """The default storage switched to S3 as production configures it, on a fresh bucket.

    Returns the bucket's name; ``s3_server.client()`` reads the bucket directly.
    """
    import uuid

    from tests.s3 import production_storages

    bucket = f"samverket-{uuid.uuid4().hex[:12]}"
    s3_server.create_bucket(bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": production_storages(bucket=bucket, endpoint_url=s3_server.endpoint_url)[
            "default"
        ],
    }
    return bucket
