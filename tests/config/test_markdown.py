"""The one Markdown renderer (config/markdown.py): headings, lists and links work; script,
event handlers and javascript: links never get through."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.template import Context, Template

from config.markdown import render_markdown


def elements(html: str) -> list[tuple[str, dict]]:
    """Every element of the HTML with its attributes, as a browser would parse them (text that
    merely looks like markup, escaped, is not an element)."""
    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Parser().feed(html)
    return found


def test_headings_lists_and_links_are_kept():
    html = render_markdown(
        "## Vem får söka\n\n- kommuner\n- regioner\n\n[Läs mer](https://example.se/a)"
    )
    assert "<h3>Vem får söka</h3>" in html  # one level below the page's own <h1>
    assert "<ul>\n<li>kommuner</li>\n<li>regioner</li>\n</ul>" in html
    assert '<a href="https://example.se/a" rel="noopener noreferrer">Läs mer</a>' in html


def test_a_script_tag_is_removed():
    html = render_markdown("Hej <script>alert(1)</script>\n\n<script>alert(2)</script>")
    assert [tag for tag, _attrs in elements(html)] == ["p", "p"]


def test_an_onerror_attribute_never_becomes_one():
    html = render_markdown('<img src="x" onerror="alert(1)">\n\n![bild](x" onerror="alert(1))')
    assert all(tag == "p" and not attrs for tag, attrs in elements(html))


@pytest.mark.parametrize(
    "text",
    [
        "[klicka](javascript:alert(1))",
        "[klicka](JaVaScRiPt:alert(1))",
        "[klicka](java&#x09;script:alert(1))",
        '<a href="javascript:alert(1)">klicka</a>',
        "[klicka](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
    ],
)
def test_javascript_and_data_links_are_removed(text):
    html = render_markdown(text)
    hrefs = [attrs.get("href", "") for tag, attrs in elements(html) if tag == "a"]
    # A relative address (no scheme: "java%09script:…" is a path) cannot run anything.
    assert all(urlsplit(href).scheme in ("", "https", "http", "mailto") for href in hrefs), hrefs


def test_raw_html_is_shown_as_text_not_markup():
    html = render_markdown('<div style="color:red">x</div>')
    assert elements(html) == [("p", {})]


def test_empty_text_is_empty():
    assert render_markdown("") == ""


def test_the_template_filter_renders_markdown():
    html = Template("{% load samverket %}{{ text|markdown }}").render(
        Context({"text": "**fet** <script>x</script>"})
    )
    assert "<strong>fet</strong>" in html
    assert "<script>" not in html
