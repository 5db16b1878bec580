"""Who the client is when a reverse proxy stands in front (CONTRACT section 6).

`MOMENTUM_TRUSTED_PROXIES` (CIDRs, default none) names the proxies whose
`X-Forwarded-For` counts. Only when the direct peer is one of them is the header read,
from the right: each proxy appends the address it saw, so the right-most address that is
not itself a trusted proxy is the client; anything to its left was written by the client
and is ignored. With no trusted proxies the header is never read. The result replaces
the ASGI `client`, so rate limits, the `/metrics` allow-list and the access log all see
the same address (docs/setup.md, "Behind a reverse proxy").
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from app.settings import Network

PEER_KEY = "momentum_peer"
_MAX_HOPS = 32  # a longer chain is not a real proxy path; read no further


def parse_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP from an address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `[::1]:80`, `::1`."""
    text = value.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def in_networks(address: str | None, networks: Iterable[Network]) -> bool:
    parsed = parse_address(address) if address else None
    return parsed is not None and any(parsed in net for net in networks)


def resolve_client(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str | None:
    """The client address: `peer`, unless `peer` is a trusted proxy and `X-Forwarded-For`
    names someone further out (the right-most untrusted hop)."""
    if not trusted or not in_networks(peer, trusted):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    client = peer
    for hop in reversed(hops[-_MAX_HOPS:]):
        address = parse_address(hop)
        if address is None:
            # Not an address: a misconfigured proxy. Stop at the last hop we could trust.
            return client
        client = str(address)
        if not any(address in net for net in trusted):
            return client
    return client  # every hop is a trusted proxy: the left-most one is the client


def client_address_middleware(app: ASGIApp, trusted: Sequence[Network]) -> ASGIApp:
    """Rewrite `scope["client"]` to the resolved client; the direct peer stays in scope[PEER_KEY]."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            raw: Any = scope
            client = raw.get("client")
            peer = str(client[0]) if client else None
            raw[PEER_KEY] = peer
            if trusted and in_networks(peer, trusted):
                forwarded = [v.decode("latin-1") for k, v in raw.get("headers", ()) if k == b"x-forwarded-for"]
                resolved = resolve_client(peer, forwarded, trusted)
                if resolved is not None and resolved != peer:
                    raw["client"] = (resolved, 0)
        await app(scope, receive, send)

    return middleware
