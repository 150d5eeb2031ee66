"""Which hosts and addresses are local: loopback, private, link-local or reserved."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pressbot.bundled import HOST as _BUNDLED_HOST

#: NAT64's well-known prefix (RFC 6052): the last 32 bits are an IPv4 address, reached through a
#: translator, so 64:ff9b::7f00:2 is 127.0.0.2. Python counts the whole prefix as reserved;
#: judged by the IPv4 address inside, a DNS64 network's public hosts stay reachable.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def unsafe_ip(text: str) -> bool:
    """Whether an address (text) is not a public unicast one: loopback, private, link-local,
    reserved or multicast, written as IPv4 or as any IPv6 form that carries an IPv4 address
    (IPv4-mapped ``::ffff:127.0.0.1``, -compatible ``::7f00:2``, -translated
    ``::ffff:0:127.0.0.1``, NAT64 ``64:ff9b::7f00:2``, 6to4 ``2002:7f00:2::``, Teredo).
    Host names are not addresses: False."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return not ip.is_global or ip.is_multicast
    if ip.ipv4_mapped is not None:
        return unsafe_ip(str(ip.ipv4_mapped))
    if ip in _NAT64:
        return unsafe_ip(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    if ip.sixtofour is not None and unsafe_ip(str(ip.sixtofour)):
        return True
    # Python 3.11 counts ::/8 (IPv4-compatible and -translated forms among it) as global
    # but reserved; Teredo (2001::/32) is not global; fec0::/10 is the old site-local.
    return not ip.is_global or ip.is_reserved or ip.is_site_local or ip.is_multicast


def host_of(parts) -> str:
    """A URL's host as the guard compares it: lower case, no trailing dot ("localhost." is
    localhost), an IPv6 address without its brackets."""
    return (parts.hostname or "").rstrip(".")


def local_host(host: str) -> bool:
    """A host (as ``host_of`` gives it) that is loopback, private or link-local by its name or
    address alone, before any DNS: ``localhost`` and ``*.localhost`` (RFC 6761), and unsafe
    addresses."""
    return host == "localhost" or host.endswith(".localhost") or unsafe_ip(host)


def is_local_url(url: str) -> bool:
    """A file:// URL, a URL of the bundled sites (answered in-process), or one whose host is a
    loopback, private or link-local address."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return True
    host = host_of(parts)
    return host == _BUNDLED_HOST or local_host(host)


def port_of(parts) -> int | None:
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
