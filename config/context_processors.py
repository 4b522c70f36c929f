import rules
from django.conf import settings


def site(request):
    user = getattr(request, "user", None)
    return {
        "AGENCY_NAME": settings.AGENCY_NAME,
        # Whether to show the agency's case-handling menu entry.
        "perms_staff": bool(user and rules.has_perm("applications.list_applications", user)),
    }
