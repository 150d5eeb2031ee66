"""Which hosts and addresses are local: loopback, private, link-local or reserved."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def unsafe_ip(text: str) -> bool:
    """Whether an address (text) is not a public unicast one: loopback, private, link-local,
    reserved or multicast. Host names are not addresses: False."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def is_local_url(url: str) -> bool:
    """A file:// URL, or one whose host is a loopback, private or link-local address."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return True
    host = (parts.hostname or "").lower()
    return host == "localhost" or host.endswith(".localhost") or unsafe_ip(host)


def port_of(parts) -> int | None:
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
