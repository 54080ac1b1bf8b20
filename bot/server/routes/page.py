"""GET /: the chat page, with a Content-Security-Policy that allows only its own script and
style (by hash: no other inline code runs) and calls to this server."""

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


def page_policy(html: str) -> str:
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, body in _INLINE.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    script, style = (" ".join(hashes[k]) or "'none'" for k in ("script", "style"))
    return (f"default-src 'none'; script-src {script}; style-src {style}; connect-src 'self'; img-src 'self' data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@router.get("/", response_class=HTMLResponse)
def chat_page(request: Request) -> HTMLResponse:
    return HTMLResponse(request.app.state.page_html,
                        headers={"Content-Security-Policy": request.app.state.page_policy})
