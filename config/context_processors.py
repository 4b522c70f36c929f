import rules
from django.conf import settings
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from applications.login_security.two_factor import requires_two_factor
from applications.rules import belongs_to_an_organisation
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
            "nav_links": SimpleLazyObject(lambda: _nav_links(request, None)),
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
        # The main menu: only the pages this person may open (config/context_processors.py).
        "nav_links": SimpleLazyObject(lambda: _nav_links(request, user)),
    }


def _waiting_for_second_factor(user) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return is_verified is not None and not is_verified() and requires_two_factor(user)


# The menu's entries: URL name, label, the permission that opens the page (None: anyone logged
# in), and the path prefixes of the pages that belong to its section besides its own address.
# Every permission is the one the page's view asks, so no entry leads to a 403.
_STAFF_ENTRIES = (
    (
        "applications:call_list",
        _("Calls"),
        "applications.list_applications",
        ("/manage/calls/", "/review/manage/"),
    ),
    (
        "applications:manage_list",
        _("Case handling"),
        "applications.list_applications",
        (
            "/manage/applications/",
            "/review/manage/applications/",
            "/manage/late-exceptions/",
            "/manage/organisations/",
            "/manage/audit/",
        ),
    ),
    (
        "applications:decisions",
        _("Decisions"),
        "applications.list_applications",
        ("/manage/decisions/",),
    ),
    (
        "applications:follow_up_overview",
        _("Follow-up"),
        "applications.view_follow_up_overview",
        ("/manage/follow-up/",),
    ),
)


def shows_my_applications(user) -> bool:
    """ "My applications" is for those who apply: members of an organisation, and anyone with
    no other role (a new account, invited to register its organisation there). Agency staff and
    reviewers (and the site's administrators) who belong to no organisation are not invited to
    register one."""
    # Asked first: its one query also answers whether the person belongs to an organisation.
    reviewer = is_reviewer(user)
    if belongs_to_an_organisation(user):
        return True
    return not (reviewer or user.is_staff or rules.has_perm("applications.list_applications", user))


def nav_entries(user) -> list[tuple[str, str, tuple[str, ...]]]:
    """The menu's entries for ``user`` (None: not logged in, or before the second factor), in
    order: (URL name, label, the path prefixes of its section)."""
    entries = [("grants:call_list", _("Open calls"), ("/calls/",))]
    if user is None or not user.is_authenticated:
        return entries
    entries.append(("applications:start_page", _("Start page"), ()))
    if shows_my_applications(user):
        entries.append(
            ("applications:dashboard", _("My applications"), ("/applications/", "/organisations/"))
        )
    if is_reviewer(user):
        entries.append(("reviews:dashboard", _("Reviewing"), ()))
    entries.extend(
        (name, label, prefixes)
        for name, label, perm, prefixes in _STAFF_ENTRIES
        if rules.has_perm(perm, user)
    )
    entries.append(("applications:profile", _("Your details"), ("/account/",)))
    return entries


def _nav_links(request, user) -> list[dict]:
    """The menu's links, the one of the current section marked ``current`` (the longest address
    or section prefix that the page's path starts with; the front page only by itself)."""
    path = request.path
    links = []
    best, best_length = None, 0
    for name, label, prefixes in nav_entries(user):
        url = reverse(name)
        link = {"url": url, "label": label, "current": False}
        links.append(link)
        for prefix in (url, *prefixes):
            matches = path == prefix if prefix == "/" else path.startswith(prefix)
            if matches and len(prefix) > best_length:
                best, best_length = link, len(prefix)
    if best is not None:
        best["current"] = True
    return links
