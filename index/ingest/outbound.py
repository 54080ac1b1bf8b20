"""Which hosts an ingest may fetch from: public addresses only, unless the operator allows private
ones. The same rule as the server's webhook callbacks (bot/server/callbacks.py): a name is
resolved, and every address it resolves to must be global; loopback, private, link-local (cloud
metadata at 169.254.169.254), multicast and reserved addresses are refused before any connection.
Each redirect hop is checked the same way (`refuse_private` runs as httpx's request hook)."""

import ipaddress
import socket

from index.errors import IngestError

PRIVATE_HINT = "pass --allow-private-hosts (NEWSBOT_FETCH_PRIVATE_HOSTS=true) to fetch from it"


def addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise IngestError(f"cannot resolve {host!r}: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    address = mapped or address
    return address.is_global and not address.is_multicast


def refuse_private(url: str, host: str, port: int) -> None:
    """Raise IngestError (before connecting) when `host` is or resolves to a non-public address."""
    refused = sorted({str(a) for a in addresses(host, port) if not is_public(a)})
    if refused:
        raise IngestError(f"{host!r} is a private, loopback or link-local address ({', '.join(refused)}): "
                          f"refused; {PRIVATE_HINT}", url[:200])
