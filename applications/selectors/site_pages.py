"""Reads of the agency's institutional pages (``grants.SitePage``), in the footer's order."""

from grants.enums import SitePageSlug
from grants.models import SitePage

ORDER = [slug.value for slug in SitePageSlug]


def site_pages() -> list[SitePage]:
    """Every page, in ``SitePageSlug``'s order (the footer's), with who changed it last."""
    pages = SitePage.objects.select_related("updated_by")
    return sorted(pages, key=lambda page: ORDER.index(page.slug))


def site_page_by_slug(slug: str) -> SitePage | None:
    return SitePage.objects.select_related("updated_by").filter(slug=slug).first()
