"""Settings for Samverket Grants, read only from the environment.

Every setting has an embedded default that runs anywhere (SQLite, local files, console email,
the database task queue). Production sets the environment instead; see docs/deploy.md.
"""

import datetime as dt
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import log

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Without debug this is production: an unsafe key refuses to start (whoever knows the key can
# forge sessions, password-reset links and every signed value). A missing one lets commands that
# sign nothing run (makemigrations, migrate, collectstatic), while the web server refuses to start
# (config/wsgi.py), `check --deploy` reports it, and Django refuses any use of the empty key.
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="insecure-dev-key-change-me-" + "x" * 32 if DEBUG else ""
)
KEY_ADVICE = (
    "With DJANGO_DEBUG off (production) it must be 50 or more random characters, e.g. from "
    "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`; "
    "for development on your own machine, set DJANGO_DEBUG=true instead."
)
if not DEBUG and SECRET_KEY:
    _key_problem = ""
    if SECRET_KEY.startswith(("django-insecure", "insecure-dev-key")):
        _key_problem = "is a development key"
    elif len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        _key_problem = "is too weak (fewer than 50 characters, or fewer than 5 different ones)"
    if _key_problem:
        raise ImproperlyConfigured(f"DJANGO_SECRET_KEY {_key_problem}. {KEY_ADVICE}")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's widget templates, for FORM_RENDERER (TemplatesSetting reads them from TEMPLATES).
    "django.forms",
    "rules.apps.AutodiscoverRulesConfig",
    "django_fsm",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "config",
    "grants",
    "applications",
    "reviews",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.PrivateCacheMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the two-factor check: a session past its limits is logged out, not asked for a code.
    "config.middleware.SessionLimitsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "applications.middleware.LanguageMiddleware",
    "applications.login_security.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

# Every form renders through templates/forms/ (config/forms.py).
FORM_RENDERER = "config.forms.FormRenderer"

ROOT_URLCONF = "config.urls"
# A refused form (a stale page, cookies off) gets the site's own page, in the person's language.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and the task worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "applications.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    # OpenID Connect (applications/login_security/oidc.py): each answers only the callback of
    # its own provider, and only when that provider is configured below.
    "applications.login_security.oidc.EidBackend",
    "applications.login_security.oidc.StaffSsoBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "grants:call_list"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Two-factor authentication (django-otp): required for agency staff, reviewers and admins, see
# applications/login_security/two_factor.py. The issuer is the name authenticator apps show
# beside the code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Samverket Grants")

# The client's address, behind a proxy too (config/client_address.py): the lock-out and the rate
# limits count by it. CLIENT_ADDRESS_HEADER (the proxy's header, as Django's META names it) is
# read only when the connection comes from one of TRUSTED_PROXIES (addresses or networks, e.g.
# "127.0.0.1,10.0.0.0/8"); with none trusted, the default, the address is REMOTE_ADDR and a
# header a client sends is ignored. See docs/deploy.md, "Behind the proxy".
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
CLIENT_ADDRESS_HEADER = env.str("CLIENT_ADDRESS_HEADER", default="HTTP_X_FORWARDED_FOR")


def _oidc_provider(prefix: str) -> dict | None:
    """One OpenID Connect provider from ``<prefix>_*`` variables; None without a client id.

    The keys are mozilla-django-oidc's setting names (each provider's backend and views read
    their own dict), plus ``ISSUER`` (the ``iss`` every id_token must carry).
    """
    client_id = env.str(f"{prefix}_CLIENT_ID", default="")
    if not client_id:
        return None
    return {
        "ISSUER": env.str(f"{prefix}_ISSUER"),
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": env.str(f"{prefix}_CLIENT_SECRET"),
        "OIDC_OP_AUTHORIZATION_ENDPOINT": env.str(f"{prefix}_AUTHORIZATION_ENDPOINT"),
        "OIDC_OP_TOKEN_ENDPOINT": env.str(f"{prefix}_TOKEN_ENDPOINT"),
        "OIDC_OP_USER_ENDPOINT": env.str(f"{prefix}_USERINFO_ENDPOINT"),
        "OIDC_OP_JWKS_ENDPOINT": env.str(f"{prefix}_JWKS_ENDPOINT"),
        "OIDC_RP_SCOPES": env.str(f"{prefix}_SCOPES", default="openid profile email"),
        "OIDC_RP_SIGN_ALGO": env.str(f"{prefix}_SIGN_ALGO", default="RS256"),
    }


# OpenID Connect logins, both optional (docs/deploy.md): the e-ID broker for applicants
# (OIDC_EID_*) and the agency's own provider for staff and reviewers (OIDC_STAFF_*).
OIDC_PROVIDERS = {
    name: provider
    for name, provider in (
        ("eid", _oidc_provider("OIDC_EID")),
        ("staff", _oidc_provider("OIDC_STAFF")),
    )
    if provider
}
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT_SECONDS", default=10)
# The e-ID login's `acr` values that count as a strong login (signing a grant acceptance).
OIDC_EID_STRONG_ACR = env.list(
    "OIDC_EID_STRONG_ACR",
    default=["http://id.elegnamnden.se/loa/1.0/loa3", "http://id.elegnamnden.se/loa/1.0/loa4"],
)
# The claim holding the personal identity number, when the agency may match people by it
# (e.g. https://id.oidc.se/claim/personalIdentityNumber). Only a keyed hash is stored.
OIDC_EID_PERSONAL_NUMBER_CLAIM = env.str("OIDC_EID_PERSONAL_NUMBER_CLAIM", default="")
OIDC_PERSONAL_NUMBER_HASH_KEY = env.str("OIDC_PERSONAL_NUMBER_HASH_KEY", default="")
# Agency SSO: the claim listing the person's groups there, and which of them give which role
# here ("agency-pm=programme_managers,agency-dm=decision_makers").
OIDC_STAFF_GROUPS_CLAIM = env.str("OIDC_STAFF_GROUPS_CLAIM", default="groups")
OIDC_STAFF_GROUP_MAP = env.dict("OIDC_STAFF_GROUP_MAP", default={})
# An SSO login that asserts one of these `amr` or `acr` values has passed a second factor
# there, and is not asked for the TOTP code here.
OIDC_STAFF_MFA_AMR = env.list("OIDC_STAFF_MFA_AMR", default=["mfa", "otp", "hwk"])
OIDC_STAFF_MFA_ACR = env.list("OIDC_STAFF_MFA_ACR", default=[])
# Applicants may log in with email and password (False: only with e-ID; staff keep passwords,
# with TOTP).
PASSWORD_LOGIN_FOR_APPLICANTS = env.bool("PASSWORD_LOGIN_FOR_APPLICANTS", default=True)
# Accepting a grant needs a strong login (e-ID at a strong acr). On by default when an e-ID
# provider is configured; without one nobody could accept.
SIGNING_REQUIRES_STRONG_LOGIN = env.bool(
    "SIGNING_REQUIRES_STRONG_LOGIN", default="eid" in OIDC_PROVIDERS
)

# Lock-out after repeated failed logins (django-axes), counted in the database so every web
# process sees the same count. A username is locked after AXES_FAILURE_LIMIT failures from the
# same address (AXES_LOCKOUT_PARAMETERS: combinations joined by "+", alternatives by ","), for
# AXES_COOLOFF_MINUTES from the last failure; a success resets the count, and so does setting a
# new password through the reset link. Locking by username alone would let anyone lock anyone
# out by typing wrong passwords for them; by username and address, an attacker locks only
# their own address out (docs/deploy.md, "Lock-out and rate limits").
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [
    combination.split("+")
    for combination in env.list("AXES_LOCKOUT_PARAMETERS", default=["username+ip_address"])
]
AXES_RESET_ON_SUCCESS = True
# A failure while locked out does not restart the 30 minutes: the lock ends when it said.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "applications.login_security.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "config.client_address.client_address"

# Rate limits (django-ratelimit, config/ratelimits.py): "count/period" with the period s, m, h
# or d, per client address (per person for autosave). When one is reached the person gets a
# page (429) saying when to try again. The counts live in the cache below, which must be shared
# by every web process in production (CACHE_URL, e.g. redis://127.0.0.1:6379/1): with the
# default local-memory cache each process counts on its own (`check --deploy` says so).
RATELIMITS = {
    "signup": env.str("RATELIMIT_SIGNUP", default="10/h"),
    "password_reset": env.str("RATELIMIT_PASSWORD_RESET", default="5/h"),
    "invitation_send": env.str("RATELIMIT_INVITATION_SEND", default="30/h"),
    "invitation_accept": env.str("RATELIMIT_INVITATION_ACCEPT", default="20/h"),
    "autosave": env.str("RATELIMIT_AUTOSAVE", default="60/m"),
    "session_keep_alive": env.str("RATELIMIT_SESSION_KEEP_ALIVE", default="30/h"),
}
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_USE_CACHE = "default"
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://samverket")}
AXES_WHITELIST_CALLABLE = "applications.login_security.lockout.axes_whitelisted"

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "samverket_language"

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
# A directory of the agency's own static files (its logo, AGENCY_LOGO), outside the checkout:
# collectstatic gathers it with the site's own (docs/deploy.md).
STATICFILES_DIRS = [path for path in [env.str("AGENCY_STATIC_DIR", default="")] if path]
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media-not-served/"

# Files (attachments, letters) go through the storage API. Local files by default; S3 when a
# bucket is named. Nothing is ever served from a public bucket or from MEDIA_URL: downloads go
# through views that check permission.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=60),
            "file_overwrite": False,
        },
    }
else:
    default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
STORAGES = {
    "default": default_storage,
    # In production WhiteNoise serves compressed files whose names carry their hash (after
    # `collectstatic`), so they can be cached for ever; development serves them as they are.
    "staticfiles": {
        "BACKEND": env.str(
            "DJANGO_STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Samverket Grants <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# The Redis queue, when the database queue is outgrown: TASKS_BACKEND=django_tasks_rq.RQBackend
# and REDIS_URL (a database number may end the URL). Workers run
# `manage.py rqworker --job-class django_tasks_rq.Job --with-scheduler default`; the scheduler
# is what runs deferred tasks (a letter's retry) when their time comes. See docs/deploy.md.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
RQ_QUEUES = {name: {"URL": REDIS_URL} for name in TASKS["default"]["QUEUES"]}
if TASKS["default"]["BACKEND"].startswith("django_tasks_rq."):
    INSTALLED_APPS.append("django_rq")

# An export of more rows than this runs as a background job that writes the file to storage;
# its page offers the download to the one who started it (applications/export_jobs.py).
EXPORT_IN_BACKGROUND_ABOVE = env.int("EXPORT_IN_BACKGROUND_ABOVE", default=2000)
# A background job still queued or running after this many hours lost its worker: the next
# start of the same work marks it failed and starts anew (applications/services/jobs.py).
JOB_STALE_AFTER_HOURS = env.int("JOB_STALE_AFTER_HOURS", default=6)

# A logged-in session ends after SESSION_IDLE_TIMEOUT seconds without a request, after
# SESSION_MAX_AGE seconds however active, and when the browser closes (config/middleware.py).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT", default=60 * 60)
SESSION_MAX_AGE = env.int("SESSION_MAX_AGE", default=12 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
# How long before the idle timeout a logged-in page warns, with a button to stay logged in
# (WCAG 2.2.1; config/static/samverket/js/session.js).
SESSION_WARNING_BEFORE = env.int("SESSION_WARNING_BEFORE", default=5 * 60)

# HTTPS and headers: secure by default without debug (`manage.py check --deploy` is clean);
# each can be turned off from the environment, e.g. plain HTTP on loopback in a test.
# The proxy terminates TLS and says so in X-Forwarded-Proto; only it may reach gunicorn.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer asks /health/ over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from this site only;
# no inline script, style or event handler anywhere (they belong in config/static/samverket/).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Limits for attachments: per file and for one application's working copy, in bytes.
ATTACHMENT_MAX_FILE_BYTES = env.int("ATTACHMENT_MAX_FILE_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_TOTAL_BYTES = env.int("ATTACHMENT_MAX_TOTAL_BYTES", default=30 * 1024 * 1024)
# Office files are zip archives: one is refused, from its table of contents alone (nothing is
# unpacked), when its parts would unpack to more than this in all, when it holds more parts than
# this, or when one large part is packed more tightly than this ratio (a "zip bomb").
ATTACHMENT_ZIP_MAX_UNPACKED_BYTES = env.int(
    "ATTACHMENT_ZIP_MAX_UNPACKED_BYTES", default=100 * 1024 * 1024
)
ATTACHMENT_ZIP_MAX_MEMBERS = env.int("ATTACHMENT_ZIP_MAX_MEMBERS", default=2000)
ATTACHMENT_ZIP_MAX_RATIO = env.int("ATTACHMENT_ZIP_MAX_RATIO", default=100)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Malware scanning of attachments by ClamAV's daemon (clamd), after upload, by a task. On by
# default without debug (production): a file is "pending" until clamd has called it clean, and
# only a clean file is handed out; clamd down means pending, never clean. With debug (the demo)
# it is off by default and a file is recorded as clean with the note "no scanner configured".
# clamd is reached on CLAMD_SOCKET (a unix socket), or on CLAMD_HOST:CLAMD_PORT when a host is
# set; neither set means Debian's socket. See docs/deploy.md.
CLAMAV_ENABLED = env.bool("CLAMAV_ENABLED", default=not DEBUG)
CLAMD_SOCKET = env.str("CLAMD_SOCKET", default="/var/run/clamav/clamd.ctl")
CLAMD_HOST = env.str("CLAMD_HOST", default="")
CLAMD_PORT = env.int("CLAMD_PORT", default=3310)
CLAMD_TIMEOUT = env.float("CLAMD_TIMEOUT", default=60.0)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

AGENCY_NAME = env.str("AGENCY_NAME", default="Innovationsmyndigheten (demo)")
# The agency's logo in the page header: a path under the static files (docs/deploy.md). The
# default is a neutral emblem beside the agency's name; a logo that spells the name itself sets
# AGENCY_LOGO_HAS_NAME, and the name is then the image's text alternative instead.
AGENCY_LOGO = env.str("AGENCY_LOGO", default="samverket/img/agency-logo.svg")
AGENCY_LOGO_HAS_NAME = env.bool("AGENCY_LOGO_HAS_NAME", default=False)
# The agency's postal address and its general terms for grants, stated in every decision letter
# (an empty address or link is left out of the letter).
AGENCY_ADDRESS = env.str("AGENCY_ADDRESS", default="Box 100, 101 23 Stockholm (demo)")
AGENCY_TERMS_URL = env.str("AGENCY_TERMS_URL", default="https://bidrag.example.se/allmanna-villkor")
# Applicants are reminded this many days before a returned application's completion deadline
# and before the last day to accept a grant (once per deadline, by send_follow_up_reminders).
COMPLETION_REMINDER_DAYS_BEFORE = env.int("COMPLETION_REMINDER_DAYS_BEFORE", default=3)
ACCEPTANCE_REMINDER_DAYS_BEFORE = env.int("ACCEPTANCE_REMINDER_DAYS_BEFORE", default=7)
# Where people write when something went wrong (the error pages name it; empty: not shown).
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="")
# Where grantees pay back money not spent (shown with each repayment claim).
AGENCY_BANKGIRO = env.str("AGENCY_BANKGIRO", default="123-4567 (demo)")

# Logs go to stderr, one JSON object per line (plain text with debug), each with the request's
# id (config/log.py); the site logs one line per request (config/middleware.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.log.RequestIdFilter"}},
    "formatters": log.formatters(),
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every rendering step at INFO; keep its warnings and errors only.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes logs every login at INFO (with the person masked); its warnings (failed
        # logins, lock-outs) stay, and applications.security names each lock-out.
        "axes": {"level": "WARNING"},
    },
}

# Absolute address of the site, for links in emails.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
