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


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(monkeypatch):
    """``client.force_login(user)`` also passes the second factor for those who need it.

    Staff, reviewers and admins must pass two-factor authentication
    (applications/login_security/two_factor.py) before any page; tests that are not about it
    should not each do the dance. This wraps the test client's ``force_login`` (Django's, not
    our code): for a person whose role requires the second factor at that moment, it reuses or
    makes a confirmed TOTP device and marks the session verified exactly as ``django_otp.login``
    does. Tests of two-factor itself log in through the real pages
    (tests/applications/login_security/test_two_factor.py).
    """
    from django.test.client import ClientMixin

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from applications.login_security.two_factor import requires_two_factor
        from applications.models import User

        # A fresh copy: the check caches group names on the user it is given.
        if not requires_two_factor(User.objects.get(pk=user.pk)):
            return
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture(autouse=True)
def _no_language_leaks_between_tests():
    """Each test starts in the site's default language (Swedish), whatever the test before it
    activated, so a test's outcome does not depend on the order tests run in."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_rate_limit_counts_between_tests():
    """The rate limits (config/ratelimits.py) count in the cache: each test starts with none, so
    a test that signs up or autosaves is not refused for what the tests before it did."""
    from django.core.cache import cache

    cache.clear()


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


# -- ClamAV's daemon (see tests/clamav.py) ------------------------------------------------------


@pytest.fixture
def clamd(settings):
    """Malware scanning on, against the test clamd of .ci/ensure-services.sh."""
    from tests.clamav import require_clamd

    settings.CLAMAV_ENABLED = True
    settings.CLAMD_SOCKET = require_clamd()
    settings.CLAMD_HOST = ""
    settings.CLAMD_TIMEOUT = 10.0
    return settings.CLAMD_SOCKET


@pytest.fixture(scope="session")
def oidc_provider():
    """The test OpenID Connect provider (tests/oidc_provider.py), for the Django test client."""
    from tests.oidc_provider import start_provider

    provider = start_provider(
        [
            "http://testserver/account/e-id/callback/",
            "http://testserver/account/sso/callback/",
        ]
    )
    yield provider
    provider.stop()


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    """Both providers configured against the test provider, e-ID strong login for signing."""
    from tests.oidc_provider import GROUP_MAP, PERSONAL_NUMBER_CLAIM

    settings.OIDC_PROVIDERS = {
        "eid": oidc_provider.settings_for("eid"),
        "staff": oidc_provider.settings_for("staff"),
    }
    settings.OIDC_EID_PERSONAL_NUMBER_CLAIM = PERSONAL_NUMBER_CLAIM
    settings.OIDC_STAFF_GROUP_MAP = GROUP_MAP
    settings.SIGNING_REQUIRES_STRONG_LOGIN = True
    return settings
