"""A letter loads only the site's static files and ``data:`` URLs while it renders: an external
URL in its HTML or CSS is never fetched (a local HTTP server counts the requests), nor is a file
outside the static folders."""

import io
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from applications.letters.fetch import is_allowed_url
from applications.letters.render import pdf_from_html

SITE_CSS = Path(settings.BASE_DIR) / "config" / "static" / "samverket" / "css" / "site.css"
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def http_server():
    """A server on localhost that records every path asked of it."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red; }")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def _attachment():
    from weasyprint import Attachment

    return Attachment(string="{}", name="decision.json", relationship="Data")


def test_a_letter_with_external_urls_renders_without_fetching_them(http_server):
    base, seen = http_server
    html = f"""<!doctype html><html lang="en"><head><title>Letter</title>
      <link rel="stylesheet" href="{base}/linked.css">
      <style>@import url("{base}/imported.css");
             body {{ background: url("{base}/background.png"); }}</style></head>
      <body><p>Decision</p><img src="{base}/image.png" alt="">
      <img src="file:///etc/hostname" alt=""><img src="{PIXEL}" alt="pixel"></body></html>"""
    # The server answers: a fetch that happened would be seen.
    urllib.request.urlopen(f"{base}/control").read()  # noqa: S310 -- our own local server
    assert seen == ["/control"]

    pdf = pdf_from_html(html, language="en", attachment=_attachment())

    assert seen == ["/control"]
    assert "Decision" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_only_data_urls_and_files_in_the_static_folders_are_allowed(tmp_path):
    outside = tmp_path / "secret.css"
    outside.write_text("body {}")

    assert is_allowed_url(PIXEL)
    assert is_allowed_url(SITE_CSS.as_uri())
    assert not is_allowed_url(outside.as_uri())
    assert not is_allowed_url("file:///etc/passwd")
    assert not is_allowed_url(
        SITE_CSS.as_uri().replace("/css/site.css", "/css/../../../settings.py")
    )
    assert not is_allowed_url("file://evil.example" + str(SITE_CSS))
    assert not is_allowed_url("http://127.0.0.1/static/samverket/css/site.css")
    assert not is_allowed_url("https://example.com/logo.png")
    assert not is_allowed_url("ftp://example.com/logo.png")
