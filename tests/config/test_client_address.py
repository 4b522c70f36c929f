"""config/client_address.py: which address is the client's."""

import pytest
from django.test import RequestFactory

from config.client_address import client_address

FACTORY = RequestFactory()


def _address(peer: str, forwarded_for: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": peer}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client_address(FACTORY.get("/", **extra))


@pytest.fixture
def trusted(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1", "10.0.0.0/8"]
    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"


def test_no_trusted_proxy_by_default_so_the_peer_counts(settings):
    assert settings.TRUSTED_PROXIES == []
    assert _address("203.0.113.7", "1.0.0.1") == "203.0.113.7"


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("127.0.0.1", "1.0.0.1", "1.0.0.1"),
        ("127.0.0.1", "8.8.4.4, 1.0.0.1", "1.0.0.1"),
        ("127.0.0.1", "1.0.0.1, 10.0.0.5", "1.0.0.1"),
        ("::1", "2001:db8::7", "2001:db8::7"),
        ("127.0.0.1", "[2001:db8::7]:51000", "2001:db8::7"),
        ("127.0.0.1", "1.0.0.1:51000", "1.0.0.1"),
        ("::ffff:127.0.0.1", "1.0.0.1", "1.0.0.1"),
        # What the client wrote left of an unreadable entry is not the proxies' word.
        ("127.0.0.1", "1.0.0.1, garbage, 10.0.0.5", "127.0.0.1"),
        ("127.0.0.1", "garbage, 1.0.0.1", "1.0.0.1"),
        # A trusted proxy that sent no header: its own address, as without a proxy.
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
        # Not from a trusted proxy: the header is ignored.
        ("203.0.113.9", "1.0.0.1", "203.0.113.9"),
    ],
)
def test_the_right_most_untrusted_address_from_a_trusted_proxy(
    trusted, peer, forwarded_for, expected
):
    assert _address(peer, forwarded_for) == expected


def test_another_header_can_be_named(trusted, settings):
    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    request = FACTORY.get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="1.0.0.1", HTTP_X_FORWARDED_FOR="8.8.4.4"
    )
    assert client_address(request) == "1.0.0.1"


def test_no_peer_address_a_unix_socket_gives_none(trusted):
    assert _address("") is None
