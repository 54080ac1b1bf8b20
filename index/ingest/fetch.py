"""One bounded HTTP GET for every outbound fetch (URL ingest, followed feeds): http(s) only, every
hop's address checked before it connects (index/ingest/outbound.py), a few redirects, a byte cap counted as
the body arrives, and conditional GET (ETag / Last-Modified) for pollers."""

from dataclasses import dataclass

import httpx

from index.errors import IngestError
from index.ingest.outbound import refuse_private

USER_AGENT = "newsbot/0.1 (+article ingest)"
MAX_REDIRECTS = 5
MAX_BYTES = 10_000_000


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 when a conditional GET found nothing new
    content_type: str  # lower case, without parameters
    charset: str | None
    body: bytes
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch(url: str, *, timeout: float = 10.0, private_hosts: bool = False, max_bytes: int = MAX_BYTES,
          etag: str | None = None, last_modified: str | None = None) -> Fetched:
    """GET `url`; every failure (refused address, HTTP error status, too large, unreachable) is an
    IngestError naming the URL."""
    if not url.startswith(("http://", "https://")):
        raise IngestError("only http:// and https:// URLs can be fetched", url[:200])

    def vet(request: httpx.Request) -> None:  # every request, redirects included, before it connects
        if request.url.scheme not in ("http", "https"):
            raise IngestError("only http:// and https:// URLs can be fetched", str(request.url)[:200])
        if not private_hosts:
            refuse_private(str(request.url), request.url.host,
                           request.url.port or (443 if request.url.scheme == "https" else 80))

    headers = {"User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                          event_hooks={"request": [vet]}, headers=headers) as client, \
                client.stream("GET", url) as response:
            if response.status_code == 304:
                return _fetched(response, b"")
            if response.status_code >= 400:
                raise IngestError(f"HTTP {response.status_code} fetching the URL", url[:200])
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise IngestError(f"the response is {int(declared):,} bytes; at most {max_bytes:,} are read",
                                  url[:200])
            body = bytearray()
            for part in response.iter_bytes():
                body += part
                if len(body) > max_bytes:
                    raise IngestError(f"the response is over {max_bytes:,} bytes; at most that is read", url[:200])
            return _fetched(response, bytes(body))
    except httpx.TooManyRedirects as exc:
        raise IngestError(f"more than {MAX_REDIRECTS} redirects", url[:200]) from exc
    except httpx.HTTPError as exc:
        raise IngestError(f"could not fetch the URL ({type(exc).__name__}: {exc})", url[:200]) from exc


def _fetched(response: httpx.Response, body: bytes) -> Fetched:
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return Fetched(url=str(response.url), status=response.status_code, content_type=kind,
                   charset=response.charset_encoding, body=body, etag=response.headers.get("etag"),
                   last_modified=response.headers.get("last-modified"))
