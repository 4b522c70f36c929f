"""The address of the person's computer, also behind a proxy: what the lock-out and the rate
limits count by (``AXES_CLIENT_IP_CALLABLE`` in settings, and config/ratelimits.py).

Behind nginx, Caddy or a load balancer, ``REMOTE_ADDR`` is the proxy's own address: counting
by it would put every person in one bucket, so one attacker's wrong passwords would lock out
everyone. The proxy writes the address it saw into ``X-Forwarded-For``, after whatever the
client itself sent there; only the part the trusted proxies added can be believed.

So: the header is read only when the connection comes from a trusted proxy
(``TRUSTED_PROXIES``), and then from the right: the first address that is not itself a trusted
proxy is the client. Anything to its left was written by the client and is ignored. With no
trusted proxy (the default) the header is never read and ``REMOTE_ADDR`` is the address.

Why not django-ipware: its ``proxy_count`` counts proxy addresses inside the header, which
nginx's ``$proxy_add_x_forwarded_for`` does not put there (``X-Forwarded-For: 1.0.0.1`` with one
proxy gives no address at all, and the lock falls back to the proxy's), one malformed entry
makes it give up, and it never checks that the header came from a proxy at all.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def trusted_networks() -> tuple[Network, ...]:
    """``TRUSTED_PROXIES`` as networks (a bare address is a network of one)."""
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "1.0.0.1:443"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 peer on a dual-stack socket arrives as ::ffff:1.0.0.1.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(request) -> str | None:
    """The client's address as a string: ``REMOTE_ADDR``, or, when that is a trusted proxy,
    the right-most address in ``CLIENT_ADDRESS_HEADER`` that is not a trusted proxy."""
    peer_text = request.META.get("REMOTE_ADDR") or ""
    peer = _address(peer_text)
    networks = trusted_networks()
    if peer is None or not networks or not _is_trusted(peer, networks):
        return str(peer) if peer is not None else (peer_text or None)
    header = request.META.get(settings.CLIENT_ADDRESS_HEADER, "")
    for entry in reversed(header.split(",")):
        address = _address(entry)
        if address is None:
            # Unreadable: everything from here leftwards is not the proxies' word.
            break
        if not _is_trusted(address, networks):
            return str(address)
    # No client address the proxies vouch for: count by the proxy's own address, as without one.
    return str(peer)
