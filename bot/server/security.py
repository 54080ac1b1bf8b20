"""API keys (Authorization: Bearer KEY) with scopes, and a per-key token-bucket rate limit.

Scopes: `ask` (chat, completions, MCP, the article list, one's own conversations and feedback on
one's own answers), `ingest` (add articles), `admin` (delete articles, feedback on any answer,
/metrics). A key given without scopes has them all, as every key had before scopes."""

import hashlib
import hmac
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

_bearer = HTTPBearer(auto_error=False, description="one of NEWSBOT_API_KEYS, when keys are configured")


SharedBuckets = Callable[[str, float, float, float], float]  # (key, rate, burst, now) -> wait


class RateLimiter:
    """Token bucket per key: `burst` requests at once, refilled at `per_minute`. In this process,
    or, given `shared` (the database's buckets), across every worker sharing it."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic,
                 shared: SharedBuckets | None = None) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.shared = shared
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        if self.rate <= 0:
            return 0.0
        if self.shared is not None:
            return self.shared(key, self.rate, self.burst, time.time())
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


ScopeName = Literal["ask", "ingest", "admin"]
ALL_SCOPES: frozenset[str] = frozenset({"ask", "ingest", "admin"})


@dataclass(frozen=True)
class Caller:
    """Who is asking: a key's fingerprint and scopes; `key_id` None when the server has no keys
    (everyone is then the same caller, with every scope)."""

    key_id: str | None
    scopes: frozenset[str] = ALL_SCOPES

    @property
    def owner(self) -> str:
        """As conversations record their owner."""
        return f"key:{self.key_id}" if self.key_id else "api"


class KeyCheck:
    def __init__(self, keys: Iterable[tuple[str, Iterable[str]]], limiter: RateLimiter) -> None:
        """`keys`: (secret, scopes) pairs; no scopes means all of them."""
        self.keys = [(k.encode(), frozenset(scopes) or ALL_SCOPES) for k, scopes in keys]
        self.limiter = limiter

    def identify(self, given: str | None) -> Caller | None:
        """The key's fingerprint and scopes when it is one of ours (compared in constant time, with
        every key), else None."""
        if given is None:
            return None
        candidate = given.encode()
        found: frozenset[str] | None = None
        for key, scopes in self.keys:
            if hmac.compare_digest(candidate, key):
                found = scopes
        return Caller(hashlib.sha256(candidate).hexdigest()[:16], found) if found is not None else None


def admit(check: KeyCheck, authorization: str | None, scope: str = "ask") -> Caller:
    """The caller (key fingerprint and scopes; a keyless caller when the server has no keys), given
    the Authorization header; 401 without a valid key, 403 for a key without `scope`, 429 over the
    key's rate limit."""
    if not check.keys:
        return Caller(None)
    scheme, _, token = (authorization or "").partition(" ")
    caller = check.identify(token.strip() if scheme.lower() == "bearer" and token.strip() else None)
    if caller is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a valid API key is needed: Authorization: Bearer KEY",
                            headers={"WWW-Authenticate": "Bearer"})
    if scope not in caller.scopes:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this API key lacks the {scope!r} scope "
                            f"(it has: {', '.join(sorted(caller.scopes))})")
    wait = check.limiter.take(caller.key_id or "")
    if wait > 0:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "rate limit exceeded for this API key",
                            headers={"Retry-After": str(max(1, math.ceil(wait)))})
    return caller


def requires(scope: ScopeName) -> Callable[..., Caller]:
    """A dependency admitting callers whose key has `scope`."""

    def check(request: Request,
              credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
        given = f"Bearer {credentials.credentials}" if credentials else None
        caller = admit(request.app.state.key_check, given, scope)
        request.state.caller = caller  # for routes that check more than the scope (feedback)
        return caller

    check.__name__ = f"requires_{scope}"
    return check


# One callable per scope: FastAPI runs a dependency once per request by identity, so a route and
# its router naming the same scope check the key (and take from its rate limit) once.
_ASK, _INGEST, _ADMIN = requires("ask"), requires("ingest"), requires("admin")
ApiKey = Depends(_ASK)
CanIngest = Depends(_INGEST)
CanAdmin = Depends(_ADMIN)


def principal(caller: Annotated[Caller, Depends(_ASK)]) -> str:
    """Who is asking, as conversations record their owner: the key's fingerprint, or "api" when
    the server has no keys (everyone is then the same caller)."""
    return caller.owner


Principal = Annotated[str, Depends(principal)]
AskCaller = Annotated[Caller, Depends(_ASK)]
