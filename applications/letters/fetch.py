"""What a letter may load while WeasyPrint renders it: the app's own static files and ``data:``
URLs, nothing else.

WeasyPrint's own fetcher follows any URL in the HTML or CSS: ``http(s)`` (a letter would call out
to a third-party host, or to a service inside the network, from the worker), ``file:`` anywhere
on disk (``file:///etc/passwd`` as an image). Letters are made from data that applicants typed,
so a slip in escaping must not become a fetch. Every other URL is refused; WeasyPrint logs a
warning and renders the letter without that resource.
"""

import functools
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders


def static_roots() -> list[Path]:
    """The directories static files come from: ``STATIC_ROOT`` and every finder's folders."""
    roots = [Path(settings.STATIC_ROOT)]
    for finder in finders.get_finders():
        roots += [Path(root) for _prefix, root in getattr(finder, "locations", ())]
        roots += [Path(storage.location) for storage in getattr(finder, "storages", {}).values()]
    return [root.resolve() for root in roots]


def is_allowed_url(url: str) -> bool:
    """``data:`` URLs, and ``file:`` URLs of a file inside one of the static roots."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return True
    if scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parts.path)).resolve()  # resolves "..", and symbolic links out
    return path.is_file() and any(path.is_relative_to(root) for root in static_roots())


@functools.cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 -- WeasyPrint's import is heavy

    class StaticOnlyURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not is_allowed_url(url):
                raise ValueError(f"A letter may load only the site's static files: {url}")
            return super().fetch(url, headers)

    return StaticOnlyURLFetcher


def letter_url_fetcher():
    """A new fetcher for one rendering (WeasyPrint's fetcher holds per-request state)."""
    return _fetcher_class()(allowed_protocols={"data", "file"}, allow_redirects=False)
