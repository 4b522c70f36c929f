"""Who holds which role, asked once per request and kept on the user object.

The two-factor gate (``two_factor.requires_two_factor``) and the permission predicates
(``applications.rules``) both read what ``load_roles`` keeps; it lives here, below both, so
neither imports the other to ask it.
"""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from ..models import Membership

# (role name, test, preload) for roles an app higher up the import line defines: ``reviews``
# adds the reviewer from its AppConfig.ready(), so this module never reaches into reviews' tables.
_TWO_FACTOR_ROLES: list[tuple[str, Callable, tuple[Callable, Callable] | None]] = []


def register_two_factor_role(
    name: str, test: Callable, *, preload: tuple[Callable, Callable] | None = None
) -> None:
    """Require the second factor of holders of a role defined outside ``applications``.

    ``preload`` is ``(holdings, remember)``: ``holdings(user_ref)`` a queryset of what makes a
    person hold the role, filtered on ``user_ref`` (an ``OuterRef`` to the user's id), and
    ``remember(user, answer)`` keeps the answer where ``test`` finds it. With it the role is
    asked in the same query as the person's groups, not in one of its own.
    """
    if name not in {known for known, _test, _preload in _TWO_FACTOR_ROLES}:
        _TWO_FACTOR_ROLES.append((name, test, preload))


def load_roles(user) -> None:
    """The person's group names, whether they belong to an organisation, and every preloaded
    role, in one query, kept on the user for the request: where the ``rules`` group predicates
    (``_group_names_cache``), ``belongs_to_an_organisation`` and each role's test look for them,
    so none of them asks the database again.

    Every request of someone who needs no second factor (an applicant) asks this; asking it in
    one query instead of one per role is most of what that request pays beyond its session.
    """
    preloads = [preload for _name, _test, preload in _TWO_FACTOR_ROLES if preload]
    keys = [f"_role_{index}" for index in range(len(preloads))]
    rows = list(
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            _member=Exists(Membership.objects.filter(user=OuterRef("pk"))),
            **{
                key: Exists(holdings(OuterRef("pk")))
                for key, (holdings, _remember) in zip(keys, preloads, strict=True)
            },
        )
        .values_list("groups__name", "_member", *keys)
    )
    # One row per group, or one with no name when there is none (the join is an outer one).
    user._group_names_cache = {row[0] for row in rows if row[0] is not None}
    if rows:
        # Whether the person belongs to an organisation: the menu asks it next
        # (``rules.belongs_to_an_organisation``), answered from here.
        if getattr(user, "_has_organisation_cache", None) is None:
            user._has_organisation_cache = rows[0][1]
        for position, (_holdings, remember) in enumerate(preloads, start=2):
            remember(user, rows[0][position])
