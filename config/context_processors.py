import rules
from django.conf import settings
from django.utils.functional import SimpleLazyObject

from applications.login_security.two_factor import requires_two_factor
from reviews.rules import is_reviewer

from .middleware import session_seconds_left


def _session_timeout(request) -> dict:
    """For the session warning (templates/_session_timeout.html): how long this session has."""
    return {
        "SESSION_SECONDS_LEFT": session_seconds_left(request),
        "SESSION_WARNING_BEFORE": settings.SESSION_WARNING_BEFORE,
    }


def site(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and _waiting_for_second_factor(user):
        # Before the second factor the person is not yet who they say: no staff menu.
        return {
            "AGENCY_NAME": settings.AGENCY_NAME,
            "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
            "perms_staff": False,
            "is_reviewer": False,
            "can_edit_site_pages": False,
            **_session_timeout(request),
        }
    return {
        **_session_timeout(request),
        "AGENCY_NAME": settings.AGENCY_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        # Whether to show the agency's case-handling menu entry.
        "perms_staff": bool(user and rules.has_perm("applications.list_applications", user)),
        # The footer's link to the editor of the pages about the service (the group is read
        # once, for both: rules keeps the user's group names).
        "can_edit_site_pages": bool(
            user and rules.has_perm("applications.manage_site_pages", user)
        ),
        # Whether to show the reviewer's menu entry: evaluated (one query) only when used, and
        # not again when the two-factor middleware has asked already.
        "is_reviewer": SimpleLazyObject(
            lambda: bool(user and user.is_authenticated and is_reviewer(user))
        ),
    }


def _waiting_for_second_factor(user) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return is_verified is not None and not is_verified() and requires_two_factor(user)
