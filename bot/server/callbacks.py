"""Where webhook callbacks may go: only to hosts in NEWSBOT_WEBHOOK__CALLBACK_HOSTS (empty:
callbacks off), checked again after DNS resolution, with private, loopback, link-local and other
non-public addresses refused unless an entry names them (an IP or a network). The request then
goes to the very address that was checked (no second lookup to rebind), without redirects.

Entries: a host name (`hooks.example.com`), a wildcard for its subdomains (`*.example.com`), an
IP address (`127.0.0.1`, `::1`) or a network (`10.1.0.0/16`)."""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from index.ingest.outbound import is_public

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


class CallbackRefused(Exception):
    """The callback URL is not one this server may call."""


@dataclass(frozen=True)
class Target:
    url: str  # with the checked address in place of the host name
    host_header: str
    sni_hostname: str | None  # for https: the name the certificate must carry
    auth: tuple[str, str] | None = None  # user and password given in the URL, sent as Basic auth


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _networks(allow: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for entry in allow:
        try:
            nets.append(ipaddress.ip_network(entry.strip().strip("[]"), strict=False))
        except ValueError:
            continue  # a host name
    return nets


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def host_allowed(host: str, allow: Sequence[str]) -> bool:
    """The URL's host is listed: an IP literal by an IP or network entry, a name by a name entry."""
    host = host.lower().rstrip(".")
    literal = _literal(host)
    if literal is not None:
        return any(literal in net for net in _networks(allow))
    for entry in (e.strip().lower().rstrip(".") for e in allow):
        if entry == host or (entry.startswith("*.") and host.endswith(entry[1:])):
            return True
    return False


def check_url(url: str, allow: Sequence[str]) -> SplitResult:
    """Refuse before any lookup: callbacks off, a scheme other than http(s), or a host not listed."""
    if not allow:
        raise CallbackRefused("callbacks are off on this server (NEWSBOT_WEBHOOK__CALLBACK_HOSTS is empty)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefused("the callback URL must be http:// or https:// with a host")
    if not host_allowed(parts.hostname, allow):
        raise CallbackRefused(f"callbacks to {parts.hostname!r} are not allowed (NEWSBOT_WEBHOOK__CALLBACK_HOSTS)")
    return parts


def address_allowed(address: IPAddress, allow: Sequence[str]) -> bool:
    if any(address in net for net in _networks(allow)):
        return True
    return is_public(address)  # the one rule every outbound request follows (index/ingest/outbound.py)


async def vet(url: str, allow: Sequence[str], resolver: Resolver = resolve) -> Target:
    """The address to send to, after the host's every address has been checked."""
    parts = check_url(url, allow)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = _literal(host)
    try:
        found = [literal] if literal is not None else [ipaddress.ip_address(a.split("%")[0])
                                                      for a in await resolver(host, port)]
    except (OSError, ValueError) as exc:
        raise CallbackRefused(f"the callback host {host!r} does not resolve ({exc})") from exc
    if not found:
        raise CallbackRefused(f"the callback host {host!r} does not resolve")
    refused = [str(a) for a in found if not address_allowed(a, allow)]
    if refused:
        # All or nothing: a name with one internal address among public ones is refused too.
        raise CallbackRefused(f"the callback host {host!r} resolves to a non-public address ({refused[0]}); "
                              "list the address in NEWSBOT_WEBHOOK__CALLBACK_HOSTS to allow it")
    address = found[0]
    shown = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{shown}:{parts.port}" if parts.port else shown
    target = parts._replace(netloc=netloc).geturl()
    named = f"[{host}]" if literal is not None and literal.version == 6 else host
    host_header = f"{named}:{parts.port}" if parts.port else named
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    return Target(target, host_header, host if parts.scheme == "https" and literal is None else None, auth)


def redacted(url: str) -> str:
    """For logs: no user, password or query (where tokens travel)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{parts.port}" if parts.port else host
    return SplitResult(parts.scheme, netloc, parts.path, "", "").geturl()
