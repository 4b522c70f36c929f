"""The agency's institutional pages: the accessibility statement, the privacy notice, cookies and
contact. Public at ``/about/<page>/`` in both languages, linked from every page's footer;
programme managers change their texts at ``/manage/pages/``.

The cookie page lists the cookies from the settings themselves below the agency's text, so the
list cannot drift from what the site sets; the privacy page always links "My data" below its
text, whatever the text says.
"""

import rules
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grants.enums import SitePageSlug

from ..forms.site_pages import SitePageForm
from ..selectors.site_pages import site_page_by_slug, site_pages
from ..services.site_pages import FIELDS, site_page_update

MANAGE = "applications.manage_site_pages"


def _cookies() -> list[dict]:
    """The cookies the site sets, all strictly necessary: (name, purpose, how long it lasts)."""
    idle_minutes = settings.SESSION_COOKIE_AGE // 60
    return [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "purpose": _("Keeps you logged in. Only set when you log in."),
            "lasts": ngettext(
                "Until you log out or close the browser, or after %(minutes)d minute "
                "without activity.",
                "Until you log out or close the browser, or after %(minutes)d minutes "
                "without activity.",
                idle_minutes,
            )
            % {"minutes": idle_minutes},
        },
        {
            "name": settings.CSRF_COOKIE_NAME,
            "purpose": _(
                "Protects the forms against requests forged by other sites (cross-site "
                "request forgery). Holds no information about you."
            ),
            "lasts": _("One year."),
        },
        {
            "name": settings.LANGUAGE_COOKIE_NAME,
            "purpose": _("Remembers the language you chose (Swedish or English)."),
            "lasts": _("Until you close the browser."),
        },
    ]


def _get_page(slug: str):
    page = site_page_by_slug(slug) if slug in SitePageSlug.values else None
    if page is None:
        raise Http404
    return page


def site_page(request, slug):
    """A page, for anyone, in the reader's language (Swedish when it has no English text)."""
    page = _get_page(slug)
    return render(
        request,
        "applications/site_pages/page.html",
        {
            "page": page,
            "cookies": _cookies() if slug == SitePageSlug.COOKIES else None,
            "is_privacy": slug == SitePageSlug.PRIVACY,
        },
    )


def _require_manager(user) -> None:
    if not rules.has_perm(MANAGE, user):
        raise PermissionDenied


@login_required
def site_pages_manage(request):
    _require_manager(request.user)
    return render(request, "applications/site_pages/manage.html", {"pages": site_pages()})


@login_required
def site_page_edit(request, slug):
    _require_manager(request.user)
    page = _get_page(slug)
    if request.method == "POST":
        form = SitePageForm(request.POST)
        if form.is_valid():
            changed = site_page_update(page=page, by=request.user, values=form.cleaned_data)
            if changed:
                messages.success(
                    request, _("“%(page)s” has been saved.") % {"page": page.get_slug_display()}
                )
            else:
                messages.info(request, _("Nothing had changed, so nothing was saved."))
            return redirect("applications:site_pages_manage")
        status = 400
    else:
        form = SitePageForm(initial={name: getattr(page, name) for name in FIELDS})
        status = 200
    return render(
        request, "applications/site_pages/edit.html", {"page": page, "form": form}, status=status
    )


urlpatterns = [
    path("about/<slug:slug>/", site_page, name="site_page"),
    path("manage/pages/", site_pages_manage, name="site_pages_manage"),
    path("manage/pages/<slug:slug>/", site_page_edit, name="site_page_edit"),
]
