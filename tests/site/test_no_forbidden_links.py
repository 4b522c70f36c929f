"""No link to a page the person may not open: from each role's landing page, every page the
site links to (two clicks deep) opens for them, none answers 403."""

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.world import build_world

pytestmark = pytest.mark.django_db

HREF = re.compile(r'<a [^>]*href="(/[^"]*)"')
# Files and the Django admin are not pages of the service; logging out ends the walk.
SKIP = re.compile(r"\.(pdf|csv|json|xlsx)$|/attachments/|^/admin/|/download/")


def walk(client, start: str, depth: int = 2) -> dict[str, int]:
    """address → status of every page linked from ``start``, ``depth`` clicks deep."""
    seen: dict[str, int] = {}
    queue = deque([(start, 0)])
    while queue:
        url, level = queue.popleft()
        if url in seen:
            continue
        response = client.get(url, follow=True)
        seen[url] = (
            response.redirect_chain[0][1] if response.redirect_chain else response.status_code
        )
        if response.status_code != 200 or level == depth:
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(response.content.decode()):
            link = urldefrag(href.replace("&amp;", "&"))[0]
            if SKIP.search(urlsplit(link).path) or link in seen:
                continue
            queue.append((link, level + 1))
    return seen


@pytest.mark.parametrize("role", ["applicant", "reviewer", "programme_manager", "decision_maker"])
def test_no_page_a_role_reaches_links_to_a_page_it_may_not_open(role):
    world = build_world()
    client = Client()
    client.force_login(world.user(role))
    landing = client.get(reverse("start"))["Location"]
    seen = walk(client, landing)
    forbidden = sorted(url for url, status in seen.items() if status == 403)
    assert forbidden == [], f"{role} is linked to pages that refuse them: {forbidden}"
