"""Serving the built web panel (`web/`, built by Vite into `platform_backend/web_dist/`,
shipped as package data) and the security headers every HTTP answer carries.

Vite names the files under `assets/` after a hash of their content, so a browser may keep
them forever; `index.html` names the current hashes, so it is revalidated on every load
and a new build is picked up at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PANEL_DIR = Path(__file__).with_name("web_dist")
ASSETS_PREFIX = "assets/"

# No inline script or style, nothing from another origin, never framed. 'self' in
# connect-src covers ws:// of the same host and port (Socket.IO) in CSP Level 3 browsers.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MT4 Companion: panel not built</title>
</head><body>
<h1>The web panel is not built</h1>
<p>This backend runs (gateways connect at <code>/mt4</code>, web clients at
<code>/socket.io/</code>), but the panel's files were not found in
<code>{path}</code>.</p>
<p>Build them from a source checkout with <code>scripts/setup-dev</code>, or by hand:
<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then reload this page.</p>
</body></html>
"""


def panel_available(directory: Path) -> bool:
    return (directory / "index.html").is_file()


class PanelFiles(StaticFiles):
    """The built panel with cache headers: hashed assets immutable, the rest revalidated."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        relative = str(scope.get("path", "")).lstrip("/")
        hashed = relative.startswith(ASSETS_PREFIX) and status_code == 200
        response.headers["cache-control"] = IMMUTABLE if hashed else REVALIDATE
        return response


def panel_routes(directory: Path) -> list[BaseRoute]:
    """`/` and its files when the build is there; otherwise a page that says how to build."""
    if panel_available(directory):
        return [Mount("/", app=PanelFiles(directory=directory, html=True), name="panel")]

    async def not_built(request: Request) -> Response:
        body = NOT_BUILT_PAGE.format(path=_escape(str(directory)))
        return HTMLResponse(body, status_code=503, headers={"cache-control": "no-store"})

    return [Route("/", not_built, methods=["GET", "HEAD"])]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SecurityHeaders:
    """Adds the security headers to every HTTP response (pure ASGI, so streaming and the
    Socket.IO long-polling transport pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
