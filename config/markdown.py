"""The one place Markdown written by agency staff becomes HTML: ``render_markdown``.

Call texts are written in Markdown (CommonMark, by markdown-it-py, with raw HTML switched off)
and the HTML is then cleaned by nh3 against an allow-list: headings, paragraphs, lists, links,
emphasis, quotes and code. Anything else (a ``<script>``, an ``onerror``, a ``javascript:``
link, an image that would load from another host) is removed, whoever wrote the text, so a
page that shows it never runs or loads anything it did not ship itself.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "br",
    "hr",
    "ul",
    "ol",
    "li",
    "a",
    "strong",
    "em",
    "blockquote",
    "code",
    "pre",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"https", "http", "mailto"}

# The page's own <h1> is the call's title, so a text's headings start one level below it.
_HEADING_SHIFT = {f"h{level}": f"h{min(level + 1, 6)}" for level in range(1, 7)}
# A page that is the text alone (the accessibility statement, say): "##" is a section of the
# page, an <h2> under the page's <h1>, and a "#" is one too, never a second <h1>.
_HEADING_FROM_TWO = {f"h{level}": f"h{max(level, 2)}" for level in range(1, 7)}

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False})


def _shift_headings(tokens, levels: dict[str, str]) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = levels[token.tag]


def render_markdown(text: str, *, whole_page: bool = False) -> SafeString:
    """The HTML of a Markdown text, cleaned to the allow-list; empty text gives empty HTML.

    Headings move one level down (a call text sits below the call's title and its sections),
    or, for ``whole_page`` (a text that is the page's whole content), start at <h2>."""
    if not text:
        return mark_safe("")  # noqa: S308 -- nothing to escape
    tokens = _parser.parse(text)
    _shift_headings(tokens, _HEADING_FROM_TWO if whole_page else _HEADING_SHIFT)
    html = _parser.renderer.render(tokens, _parser.options, {})
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 -- cleaned by nh3 to the allow-list above
