import rules
from django.conf import settings
from django.utils.functional import SimpleLazyObject

from applications.two_factor import is_reviewer


def site(request):
    user = getattr(request, "user", None)
    return {
        "AGENCY_NAME": settings.AGENCY_NAME,
        # Whether to show the agency's case-handling menu entry.
        "perms_staff": bool(user and rules.has_perm("applications.list_applications", user)),
        # Whether to show the reviewer's menu entry: evaluated (one query) only when used, and
        # not again when the two-factor middleware has asked already.
        "is_reviewer": SimpleLazyObject(
            lambda: bool(user and user.is_authenticated and is_reviewer(user))
        ),
    }
