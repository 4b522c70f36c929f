"""What every review service shares: the permission check."""

import rules
from django.core.exceptions import PermissionDenied


def _require(user, perm: str, obj=None) -> None:
    if not rules.has_perm(f"reviews.{perm}", user, obj):
        raise PermissionDenied
