"""The one answer to "which address is this request from" (enrollment and login limits, audit).

`X-Forwarded-For` is honoured only when the direct peer is one of the configured
`trusted_proxies`; then the hops are read right to left and the first one that is not itself a
trusted proxy is the client (a client can put anything at the left of the header, only what the
proxies appended is believed). uvicorn's own proxy-header handling is switched off
(hub.cli `serve`), so `request.client` is always the TCP peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies)


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: HTTPConnection, trusted_proxies: tuple[str, ...] = ()) -> str:
    """The client's address: the TCP peer, or behind a trusted proxy the rightmost untrusted
    `X-Forwarded-For` hop. "unknown" when there is no peer (in-process test clients)."""
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies:
        return peer
    networks = _networks(tuple(trusted_proxies))
    if not _trusted(peer, networks):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    client = peer
    for hop in reversed(hops):
        client = hop
        if not _trusted(hop, networks):
            break
    try:
        return str(ipaddress.ip_address(client))[:64]
    except ValueError:
        return peer  # a proxy passed garbage: fall back to the proxy itself
