"""API keys (Authorization: Bearer KEY) and a per-key token-bucket rate limit."""

import hashlib
import hmac
import math
import threading
import time
from collections.abc import Callable
from typing import Annotated

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


class KeyCheck:
    def __init__(self, keys: list[str], limiter: RateLimiter) -> None:
        self.keys = [k.encode() for k in keys]
        self.limiter = limiter

    def identify(self, given: str | None) -> str | None:
        """The key's fingerprint when it is one of ours (compared in constant time), else None."""
        if given is None:
            return None
        candidate = given.encode()
        found = False
        for key in self.keys:
            found |= hmac.compare_digest(candidate, key)
        return hashlib.sha256(candidate).hexdigest()[:16] if found else None


def admit(check: KeyCheck, authorization: str | None) -> str | None:
    """The caller's key fingerprint (None when the server has no keys), given the Authorization
    header; 401 without a valid key, 429 over the key's rate limit."""
    if not check.keys:
        return None
    scheme, _, token = (authorization or "").partition(" ")
    key_id = check.identify(token.strip() if scheme.lower() == "bearer" and token.strip() else None)
    if key_id is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a valid API key is needed: Authorization: Bearer KEY",
                            headers={"WWW-Authenticate": "Bearer"})
    wait = check.limiter.take(key_id)
    if wait > 0:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "rate limit exceeded for this API key",
                            headers={"Retry-After": str(max(1, math.ceil(wait)))})
    return key_id


def require_api_key(request: Request,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str | None:
    given = f"Bearer {credentials.credentials}" if credentials else None
    return admit(request.app.state.key_check, given)


ApiKey = Depends(require_api_key)


def principal(key_id: Annotated[str | None, Depends(require_api_key)]) -> str:
    """Who is asking, as conversations record their owner: the key's fingerprint, or "api" when
    the server has no keys (everyone is then the same caller)."""
    return f"key:{key_id}" if key_id else "api"


Principal = Annotated[str, Depends(principal)]
