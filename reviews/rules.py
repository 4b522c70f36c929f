"""Who may do what in review, as named ``rules`` predicates and permissions."""

import rules
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from applications.models import Membership
from applications.rules import is_agency_staff, is_programme_manager

from .models import PanelMember


def _seats(user) -> dict:
    """The user's panel seats by call id, cached on the user for one request."""
    if not user.is_authenticated:
        return {}
    cache = getattr(user, "_panel_seat_cache", None)
    if cache is None:
        seats = user.panel_memberships.filter(deactivated_at__isnull=True)
        cache = {member.call_id: member for member in seats}
        user._panel_seat_cache = cache
    return cache


def is_reviewer(user) -> bool:
    """Whether the person has an active seat on any call's panel; asked once per request (the answer
    is kept on the user object, which lives for one request, as ``rules`` keeps groups).

    Registered in ``ReviewsConfig.ready`` as a role that must pass the second factor; the menu's
    "Reviewing" entry asks it too (config/context_processors.py), answered from the cache.
    """
    cached = getattr(user, "_is_reviewer_cache", None)
    if cached is None:
        # The same query answers whether the person also belongs to an applying organisation:
        # the menu asks that next (applications.rules.belongs_to_an_organisation), so a page
        # costs no more queries for showing "My applications" only to those who apply.
        row = (
            get_user_model()
            .objects.filter(pk=user.pk)
            .annotate(
                seat=Exists(
                    PanelMember.objects.filter(user=OuterRef("pk"), deactivated_at__isnull=True)
                ),
                member=Exists(Membership.objects.filter(user=OuterRef("pk"))),
            )
            .values_list("seat", "member")
            .first()
        )
        seat, member = row or (False, False)
        cached = user._is_reviewer_cache = seat
        if getattr(user, "_has_organisation_cache", None) is None:
            user._has_organisation_cache = member
    return cached


def active_seats(user_ref):
    """The active panel seats of the user ``user_ref`` points to: what makes a reviewer. The
    two-factor check asks it in the same query as the person's groups (``preload``)."""
    return PanelMember.objects.filter(user=user_ref, deactivated_at__isnull=True)


def remember_is_reviewer(user, answer: bool) -> None:
    """Keep ``is_reviewer``'s answer on the user for the request (asked elsewhere already)."""
    user._is_reviewer_cache = bool(answer)


@rules.predicate
def is_panel_member(user, call) -> bool:
    """A member of the call's reference group."""
    return call is not None and call.pk in _seats(user)


@rules.predicate
def is_assigned_reviewer(user, application) -> bool:
    """Has an active assignment for the application (services keep those conflict-free)."""
    member = application is not None and _seats(user).get(application.call_id)
    if not member:
        return False
    return member.assignments.filter(application=application, removed_at__isnull=True).exists()


rules.add_perm("reviews.manage_panel", is_programme_manager)
rules.add_perm("reviews.view_ranking", is_agency_staff)
rules.add_perm("reviews.declare_conflicts", is_panel_member)
rules.add_perm("reviews.review_application", is_assigned_reviewer)
