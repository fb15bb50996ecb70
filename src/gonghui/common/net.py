"""The client's address: read here and nowhere else (audit events, lock-outs, rate limits).

Audit events keep the full address; rate limits and lock-outs count a client by
``limit_key``: an IPv4 address, or an IPv6 address's /64, since one subscriber is given a
whole /64 and picks addresses in it at will (50 addresses of one /64 were 50 clients).

Behind a load balancer or reverse proxy, ``REMOTE_ADDR`` is the proxy: one address for
everyone. The proxy writes the address it saw into ``X-Forwarded-For`` (appending it to
whatever the client sent). That header is read only when the connection itself comes from
a configured trusted proxy (``GONGHUI_TRUSTED_PROXIES``), and then from its right-hand end:
the first hop that is not a trusted proxy is the client. Anything further left was written
by the client and is never believed, and a client that reaches the platform directly cannot
name another address at all.

The hops are parsed by python-ipware (the engine behind django-ipware: ports, brackets,
IPv4-mapped IPv6, RFC 7239 tokens). django-ipware's own ``get_client_ip`` is not used: it
matches its trusted-proxy list against the header's entries, which the client writes, and
never looks at the socket's peer, so a direct client's forged header would pass.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from python_ipware.modern.parsers import parse_ip

UNIX_SOCKET = "unix"  # a proxy on the same machine through a unix socket (REMOTE_ADDR "")


@lru_cache(maxsize=8)
def _trusted(entries: tuple[str, ...]) -> tuple[bool, tuple]:
    """(unix socket trusted, networks) for the configured entries (checked at start-up)."""
    networks = tuple(ipaddress.ip_network(e, strict=False) for e in entries if e != UNIX_SOCKET)
    return UNIX_SOCKET in entries, networks


def _is_proxy(hop, entries: tuple[str, ...]) -> bool:
    unix, networks = _trusted(entries)
    if hop is None:
        return unix
    return any(hop.version == net.version and hop in net for net in networks)


def from_trusted_proxy(meta) -> bool:
    """Whether the connection itself comes from a configured trusted proxy (so the headers
    that proxy sets, X-Forwarded-For, X-Request-ID, may be believed)."""
    entries = tuple(settings.TRUSTED_PROXIES)
    return bool(entries) and _is_proxy(parse_ip(meta.get("REMOTE_ADDR") or ""), entries)


def listed(address: str | None, entries) -> bool:
    """Whether ``address`` (None: a unix-socket peer) is among ``entries`` (addresses,
    networks or ``unix``, as GONGHUI_TRUSTED_PROXIES is written)."""
    return _is_proxy(parse_ip(address) if address else None, tuple(entries))


def client_address(meta) -> str | None:
    """The client's address from a request's META (None for a unix-socket peer that is
    not a trusted proxy: no address is known)."""
    entries = tuple(settings.TRUSTED_PROXIES)
    hop = parse_ip(meta.get("REMOTE_ADDR") or "")
    if from_trusted_proxy(meta):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR") or ""
        for token in reversed(forwarded.split(",") if forwarded.strip() else []):
            address = parse_ip(token)
            if address is None:
                break  # a hop a proxy would never write: nothing left of it is believed
            hop = address
            if not _is_proxy(hop, entries):
                break
    return str(hop) if hop is not None else None


def client_ip(request) -> str | None:
    """The request's client address, worked out once per request."""
    try:
        return request._gonghui_client_ip
    except AttributeError:
        request._gonghui_client_ip = client_address(request.META)
        return request._gonghui_client_ip


def limit_key(address: str | None) -> str:
    """The client as rate limits and lock-outs count it: an IPv4 address (an IPv4-mapped
    IPv6 one as that IPv4), an IPv6 address as its /64 network; "" when none is known."""
    if not address:
        return ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_key(request) -> str:
    """The request's client as rate limits and lock-outs count it (``limit_key``)."""
    return limit_key(client_ip(request))
