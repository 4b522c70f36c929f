"""The agency's pages about the service, which programme managers edit."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import SitePageSlug
from .call import _localised


class SitePage(models.Model):
    """One of the agency's institutional pages (accessibility statement, privacy notice, cookies,
    contact): a title and a Markdown body in Swedish and English, written by programme managers.

    Seeded with default texts by a data migration; the body is shown through
    ``config.markdown.render_markdown`` (the ``markdown`` filter), so whatever is written, the
    page never runs a script or loads from another host.
    """

    slug = models.SlugField(_("page"), max_length=40, unique=True, choices=SitePageSlug.choices)
    title_sv = models.CharField(_("title (Swedish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    body_sv = models.TextField(_("text (Swedish)"), help_text=_("Markdown."))
    body_en = models.TextField(_("text (English)"), blank=True, help_text=_("Markdown."))
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["slug"]
        verbose_name = _("site page")
        verbose_name_plural = _("site pages")

    def __str__(self) -> str:
        return self.title_sv

    @property
    def title(self) -> str:
        return _localised(self, "title")

    @property
    def body(self) -> str:
        return _localised(self, "body")
