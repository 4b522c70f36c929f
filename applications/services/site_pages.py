"""Writes: the texts of the agency's institutional pages, as programme managers change them.

The pages themselves are a fixed set (``grants.enums.SitePageSlug``, seeded by a data
migration): only their titles and texts change here, never which pages exist.
"""

from django.db import transaction
from django.utils import timezone

from grants.models import SitePage

from ..audit import audit_record
from ..models import User
from ._common import _require

FIELDS = ("title_sv", "title_en", "body_sv", "body_en")


@transaction.atomic
def site_page_update(*, page: SitePage, by: User, values: dict) -> list[str]:
    """Change a page's titles and texts; returns the names of the fields that changed.

    Allowed to programme managers (``applications.manage_site_pages``). Side effects, only when
    something changed: the page with ``updated_at`` and ``updated_by``, and one audit entry
    (``site_page.change``) naming the changed fields (never their text: the log holds no free
    text).
    """
    _require(by, "manage_site_pages", page)
    locked = SitePage.objects.select_for_update().get(pk=page.pk)
    changed = [name for name in FIELDS if name in values and getattr(locked, name) != values[name]]
    if not changed:
        return []
    for name in changed:
        setattr(locked, name, values[name])
    locked.updated_at = timezone.now()
    locked.updated_by = by
    locked.save()
    audit_record(
        action="site_page.change",
        actor=by,
        target=locked,
        data={"page": locked.slug, "texts_changed": changed},
    )
    return changed
