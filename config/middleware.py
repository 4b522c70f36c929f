"""Site-wide middleware: the request id with its log line, the session's time limits, and
no caching of private pages."""

import logging
import re
import time
import uuid

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib.auth import logout

from .log import request_id_var

logger = logging.getLogger("samverket.request")

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept when it looks like one (a UUID, a hex or base64url token, dots and colons
# as some proxies use); anything else is replaced, so a client cannot put arbitrary text, line
# breaks or a megabyte into every log line.
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)  # absent when a middleware above answered first
    return user.pk if user is not None and user.is_authenticated else None


class RequestIdMiddleware:
    """Gives each request an id, puts it on every log record and in the response's header,
    and logs one line per request: method, path, status, duration, user id.

    First in MIDDLEWARE, so that everything below (redirects to HTTPS included) has the id.
    The path is logged without its query string, which may hold what a person searched for.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if WELL_FORMED_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Cleared when the response is closed (forget_request_id), not here: Django logs a
        # 4xx or 5xx response ("django.request") after the middleware has returned.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": _user_id(request),
            },
        )
        return response


def forget_request_id(sender, **kwargs):
    """``request_finished`` receiver: lines logged after a request has ended have no id."""
    request_id_var.set("-")


# Session keys: when the person logged in, and when we last noted them active (epoch seconds).
SESSION_STARTED_KEY = "_samverket_started"
SESSION_SEEN_KEY = "_samverket_seen"
# How often an active session is saved to move its expiry on: often enough for an idle timeout
# of minutes, rare enough that a busy page does not write the session on every request.
SESSION_ACTIVITY_RESOLUTION = 60


def note_session_start(sender, request, user, **kwargs):
    """``user_logged_in`` receiver: the session's clock starts at login (saved with the login)."""
    now = int(time.time())
    request.session[SESSION_STARTED_KEY] = now
    request.session[SESSION_SEEN_KEY] = now


def session_seconds_left(request) -> int | None:
    """Seconds until a logged-in session ends if nothing more happens: at the idle timeout or
    at the session's longest life, whichever comes first; None for an anonymous visitor.

    Counted from when the session was last noted active (the save that moved its expiry on),
    so it errs early: a session saved since for another reason lasts a little longer.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    session = request.session
    now = int(time.time())
    idle_ends = session.get(SESSION_SEEN_KEY, now) + settings.SESSION_COOKIE_AGE
    life_ends = session.get(SESSION_STARTED_KEY, now) + settings.SESSION_MAX_AGE
    return max(min(idle_ends, life_ends) - now, 0)


def session_keep_active(request) -> None:
    """Note the session active now, so it is saved with the response and its idle timeout starts
    again (the keep-alive button of session.js)."""
    request.session[SESSION_SEEN_KEY] = int(time.time())


class SessionLimitsMiddleware:
    """Ends a logged-in session after ``SESSION_COOKIE_AGE`` seconds without a request (idle),
    and after ``SESSION_MAX_AGE`` seconds in all, however active.

    Django's database session expires ``SESSION_COOKIE_AGE`` seconds after it was last saved.
    ``SESSION_SAVE_EVERY_REQUEST`` would make that an idle timeout at the price of a database
    write on every request; this saves the session at most once a minute instead, so the idle
    timeout is exact to a minute. Runs right after AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            now = int(time.time())
            started = session.get(SESSION_STARTED_KEY)
            if started is None:  # a session from before these limits
                session[SESSION_STARTED_KEY] = session[SESSION_SEEN_KEY] = now
            elif now - started >= settings.SESSION_MAX_AGE:
                logout(request)  # the page asks for a login again, with ?next= back here
            elif now - session.get(SESSION_SEEN_KEY, 0) >= SESSION_ACTIVITY_RESOLUTION:
                session[SESSION_SEEN_KEY] = now
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (the policy is ``CONTENT_SECURITY_POLICY`` in settings), leaving
    PDFs alone: Chromium shows an inline PDF (a letter's preview) in a viewer that a page's
    policy (``object-src 'none'``) would block, and a PDF runs no script of ours."""

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith("application/pdf"):
            return response
        return super().process_response(request, response)


# Pages that show a person's or a case's data, whoever asks: an anonymous visitor gets a login
# page or a refusal here, and that must not be cached either (a shared proxy would hand it on).
PRIVATE_PATH_PREFIXES = (
    "/applications/",
    "/account/",
    "/manage/",
    "/review/",
    "/organisations/",
    "/invitations/",
    "/admin/",
)
PRIVATE_CACHE_CONTROL = "private, no-store"


class PrivateCacheMiddleware:
    """``Cache-Control: private, no-store`` on every response to a logged-in user and on every
    response under the private prefixes, so that neither a shared proxy nor the browser's
    history keeps a case, a person's data or an export.

    A view that set its own ``Cache-Control`` keeps it: the public register's JSON and CSV are
    meant to be cached for five minutes, a letter's download says ``no-store`` itself. High in
    MIDDLEWARE, so that the responses of the middleware below it (the two-factor redirect, the
    lock-out page) get the header too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)  # absent when a middleware above answered first
        if (user is not None and user.is_authenticated) or request.path.startswith(
            PRIVATE_PATH_PREFIXES
        ):
            response["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response
