"""The backend's HTTP side under real uvicorn on a loopback port: the built panel with its
cache headers, the security headers on every answer, the "not built" page, and that
/health and Socket.IO still answer next to the panel."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import uvicorn

from platform_backend.app import Settings, create_app

pytestmark = [pytest.mark.timeout(60)]

SECRET = "serving-test-secret-0123456789abcdefgh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def _serve(tmp: Path, panel_dir: Path) -> AsyncIterator[str]:
    app = create_app(Settings(jwt_secret=SECRET, db_path=tmp / "b.sqlite3",
                              panel_dir=panel_dir))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)


def _built_panel(tmp: Path) -> Path:
    dist = tmp / "web_dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd34.js">'
        "</script></head><body><div id=root></div></body></html>")
    (dist / "assets" / "index-Ab12Cd34.js").write_text("console.log('panel')")
    return dist


def _assert_security_headers(r: aiohttp.ClientResponse) -> None:
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.asyncio
async def test_panel_is_served_with_cache_and_security_headers(tmp_path: Path) -> None:
    dist = _built_panel(tmp_path)
    async with _serve(tmp_path, dist) as base, aiohttp.ClientSession() as http:
        async with http.get(f"{base}/") as r:
            assert r.status == 200
            assert "text/html" in r.headers["Content-Type"]
            assert "index-Ab12Cd34.js" in await r.text()
            assert r.headers["Cache-Control"] == "no-cache"
            _assert_security_headers(r)
        async with http.get(f"{base}/assets/index-Ab12Cd34.js") as r:
            assert r.status == 200
            assert "javascript" in r.headers["Content-Type"]
            assert "immutable" in r.headers["Cache-Control"]
            _assert_security_headers(r)
        async with http.get(f"{base}/assets/missing-00000000.js") as r:
            assert r.status == 404
            _assert_security_headers(r)
        async with http.get(f"{base}/health") as r:
            assert r.status == 200
            assert (await r.json())["status"] == "ok"
            assert r.headers["Cache-Control"] == "no-store"
            _assert_security_headers(r)
        # Socket.IO's Engine.IO handshake still answers under /socket.io/
        async with http.get(f"{base}/socket.io/?EIO=4&transport=polling") as r:
            assert r.status == 200
            assert (await r.text()).startswith('0{"sid"')
        # the path outside the panel folder is not served
        async with http.get(f"{base}/../b.sqlite3") as r:
            assert r.status == 404


@pytest.mark.asyncio
async def test_missing_build_serves_a_page_saying_how_to_build(tmp_path: Path) -> None:
    async with _serve(tmp_path, tmp_path / "nothing-here") as base, \
            aiohttp.ClientSession() as http:
        async with http.get(f"{base}/") as r:
            assert r.status == 503
            text = await r.text()
            assert "npm run build" in text and "scripts/setup-dev" in text
            assert "<script" not in text
            _assert_security_headers(r)
        async with http.get(f"{base}/health") as r:
            assert r.status == 200


def test_issue_token_url_prints_a_sign_in_link_with_the_token_in_the_fragment() -> None:
    import os
    import subprocess
    import sys
    from urllib.parse import urlsplit

    from platform_backend.auth import verify_token

    exe = Path(sys.executable).with_name("platform-backend")
    env = {**os.environ, "PLATFORM_JWT_SECRET": SECRET}
    out = subprocess.run([str(exe), "issue-token", "--user", "42", "--url",
                          "http://127.0.0.1:3082"], env=env, capture_output=True, text=True,
                         timeout=30, check=True).stdout.strip()
    parts = urlsplit(out)
    assert (parts.scheme, parts.netloc, parts.path, parts.query) == (
        "http", "127.0.0.1:3082", "/", "")
    assert parts.fragment.startswith("token=")
    assert verify_token(parts.fragment.removeprefix("token="), SECRET).user_id == "42"
    bad = subprocess.run([str(exe), "issue-token", "--user", "42", "--url", "ftp://x/"],
                         env=env, capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "not an http(s) address" in bad.stderr and not bad.stdout
