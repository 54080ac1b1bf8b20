"""HMAC-SHA256 request signatures with a freshness window: Slack's scheme and our webhook's.

Slack:   X-Slack-Signature = "v0=" + hex(HMAC(secret, "v0:{timestamp}:{body}")), X-Slack-Request-Timestamp
Webhook: X-Newsbot-Signature = hex(HMAC(secret, "{timestamp}.{body}")), X-Newsbot-Timestamp
"""

import hashlib
import hmac
import time
from collections.abc import Callable

from index.errors import NewsbotError

TOLERANCE_S = 300


class SignatureError(NewsbotError):
    """The request is unsigned, signed with another secret, or too old (or from the future)."""


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "v0=" + hmac_hex(secret, b"v0:" + timestamp.encode() + b":" + body)


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac_hex(secret, timestamp.encode() + b"." + body)


def check_fresh(timestamp: str | None, clock: Callable[[], float] = time.time, tolerance_s: int = TOLERANCE_S) -> None:
    # ASCII digits only, and no longer than a Unix time: "²" and "٣" are digits to str.isdigit()
    # but not to int(), and a 400-digit number is no time at all.
    if not timestamp or not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise SignatureError("missing or malformed timestamp")
    if abs(clock() - int(timestamp)) > tolerance_s:
        raise SignatureError(f"timestamp outside the {tolerance_s // 60}-minute window")


def verify(expected: str, given: str | None) -> None:
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise SignatureError("bad signature")
