"""Pairing through the real chain (issue 14): the panel in Chromium makes a code, `mt4-gateway
link` exchanges it, `mt4-gateway serve --demo 2` (no backend flags) forwards, the panel lists
the gateway and shows its terminals; revoke from the panel stops the gateway for good ("link
again"); a new code links it again and the page converges. The two pairing screenshots for
docs/ are taken from the same browser on the way: into a temporary folder, or into docs/ with

    E2E_SCREENSHOTS=docs .venv/bin/python -m pytest tests/web_e2e/test_pairing_flow.py
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from ..e2e.gateway_process import cli_env
from ..e2e_platform.harness import (
    LOCAL_TOKEN,
    VENV_BIN,
    Backend,
    GatewayProc,
    Proc,
    free_port,
    issue_token,
    wait_for_async,
)
from .browser import Panel
from .conftest import OWNER, Chain

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

AGENTS = ("demo-1", "demo-2")
GATEWAY_NAME = "Trading VPS"
REVOKED = "revoked by the platform, link again"


class LinkedGateway(GatewayProc):
    """`mt4-gateway serve --demo 2` with no backend flags: the platform link comes from what
    `mt4-gateway link` stored in this test's own user config folder."""

    def __init__(self, tmp: Path) -> None:  # GatewayProc's own flags name a backend
        self.tmp = tmp
        self.port = free_port()
        local = tmp / "local-token"
        local.write_text(LOCAL_TOKEN)
        args = [str(VENV_BIN / "mt4-gateway"), "serve", "--port", str(self.port),
                "--token-file", str(local), "--demo", "2", "--demo-manual-rate", "0",
                "--heartbeat-interval", "1"]
        Proc.__init__(self, "gateway", args, tmp / "gateway.log", cli_env(tmp))


async def link(tmp: Path, backend_url: str, code: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        str(VENV_BIN / "mt4-gateway"), "link", "--backend-url", backend_url, "--code", code,
        "--name", GATEWAY_NAME, env=cli_env(tmp),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return int(proc.returncode or 0), out.decode(), err.decode()


async def new_code(panel: Panel, old: str | None = None) -> str:
    await panel.by_id("link-terminal").click()
    shown = panel.by_id("pairing-code")

    async def fresh() -> bool:
        text = (await shown.text_content() or "") if await shown.count() else ""
        return len(text.strip()) == 8 and text.strip() != old

    await wait_for_async(fresh, 20, "a new pairing code on the page")
    countdown = await panel.by_id("pairing-countdown").text_content() or ""
    m = re.fullmatch(r"valid for (\d+):(\d\d), once", countdown.strip())
    assert m, countdown
    # a fresh code is valid 10 minutes: never shown as more, nor as much less
    assert 540 <= int(m.group(1)) * 60 + int(m.group(2)) <= 600, countdown
    return (await shown.text_content() or "").strip()


async def listed_gateways(panel: Panel) -> dict[str, dict[str, Any]]:
    """The linked-gateways list as shown: row id -> {online, text}."""
    rows: list[dict[str, Any]] = await panel.page.evaluate("""() =>
      [...document.querySelectorAll('[data-testid^="gateway-row-"]')].map(r => ({
        id: r.getAttribute('data-testid').slice('gateway-row-'.length),
        online: r.getAttribute('data-online') === 'true', text: r.textContent}))""")
    return {r["id"]: r for r in rows}


async def wait_listed_online(panel: Panel, except_id: str | None = None) -> str:
    """Until the list (refreshed as a user would) shows one online gateway with the two demo
    terminals; returns its id."""
    found: list[str] = []

    async def shown() -> bool:
        await panel.by_id("gateways-refresh").click()
        rows = await listed_gateways(panel)
        ok = [gid for gid, r in rows.items() if r["online"] and "2 terminals" in r["text"]
              and GATEWAY_NAME in r["text"] and gid != except_id]
        found[:] = ok
        return len(rows) == 1 and len(ok) == 1

    await wait_for_async(shown, 40, "the linked gateway with 2 terminals in the list", every=0.5)
    return found[0]


async def page_matches_terminals(panel: Panel, gateway: GatewayProc) -> bool:
    """Both terminals are shown connected and the page's position rows are the terminals'."""
    for agent in AGENTS:
        status = panel.by_id(f"terminal-status-{agent}")
        if await status.count() == 0 or await status.get_attribute("data-status") != "connected":
            return False
    truth: set[tuple[str, int]] = set()
    for agent in AGENTS:
        state = await gateway.terminal_truth(agent)
        truth |= {(agent, int(p["ticket"])) for p in state["positions"]}
    return set(await panel.position_rows()) == truth


async def open_trade(tmp: Path, backend: Backend, gateway: GatewayProc, agent: str) -> int:
    reply, _ = await Chain(tmp, backend, gateway).command(
        agent, "execute_trade", {"symbol": "EURUSD", "type": "buy", "lots": 0.1})
    assert reply["success"], reply
    return int(reply["data"]["ticket"])


async def link_state(gateway: GatewayProc) -> dict[str, Any]:
    backend: dict[str, Any] = (await gateway.health()).get("backend", {})
    return backend


async def test_link_revoke_and_link_again_from_the_panel(browser: Browser,
                                                         tmp_path: Path) -> None:
    shots = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    backend = Backend(tmp_path)
    await backend.start_ready()
    panel = await Panel.open(browser, backend.http_url, issue_token(OWNER))
    started: list[LinkedGateway] = []
    try:
        await panel.wait_live()
        await wait_for_async(lambda: _text_has(panel, "gateways-list", "No gateway is linked"),
                             20, "the empty gateways list")

        # link: the code shown on the page, exchanged by `mt4-gateway link`
        first_code = await new_code(panel)
        rc, out, err = await link(tmp_path, backend.http_url, first_code)
        assert rc == 0, err
        assert f"Linked to user {OWNER} at {backend.http_url}" in out
        gateway = LinkedGateway(tmp_path)
        started.append(gateway)
        await gateway.start_ready()
        first_id = await wait_listed_online(panel)
        await wait_for_async(lambda: _is(link_state(gateway), "state", "connected"), 30,
                             "the gateway's link to be connected")
        await open_trade(tmp_path, backend, gateway, "demo-1")
        await wait_for_async(lambda: page_matches_terminals(panel, gateway), 30,
                             "the terminals' rows on the page")

        # revoke from the panel, after the confirm dialog
        await panel.by_id(f"gateway-{first_id}-revoke").click()
        assert GATEWAY_NAME in (await panel.by_id("confirm-text").text_content() or "")
        await panel.by_id("confirm-ok").click()
        await panel.by_id(f"gateway-row-{first_id}").wait_for(state="detached", timeout=20_000)
        await wait_for_async(lambda: _is(link_state(gateway), "state", "revoked"), 30,
                             "the gateway to report the revoke")
        body = await link_state(gateway)
        assert body["detail"] == REVOKED
        assert "retry_in_s" not in body
        await gateway.wait_output(REVOKED, timeout=10)
        # the page shows the terminals' gateway gone
        for agent in AGENTS:
            await panel.page.wait_for_selector(
                f'[data-testid="gateway-status-{agent}"][data-online="false"]', timeout=20_000)
        # it stops retrying: over several of its backoff periods no attempt is made (a
        # bounded look for something that must not happen, not a wait for something)
        attempts = body["connect_attempts"]
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            now = await link_state(gateway)
            assert (now["state"], now["connect_attempts"]) == ("revoked", attempts), now
            await asyncio.sleep(0.25)

        # the old code is single use: refused, and nothing changes
        rc, out, err = await link(tmp_path, backend.http_url, first_code)
        assert rc == 1 and "not linked" in err, (out, err)
        assert await listed_gateways(panel) == {}

        # link again with a new code; serve again with no flags
        second_code = await new_code(panel, old=first_code)
        shot_code = shots / "web-panel-link-code.png"
        await panel.page.locator("section.pairing").screenshot(path=str(shot_code))
        rc, out, err = await link(tmp_path, backend.http_url, second_code)
        assert rc == 0, err
        gateway.terminate()
        gateway = LinkedGateway(tmp_path)
        started.append(gateway)
        await gateway.start_ready()
        second_id = await wait_listed_online(panel, except_id=first_id)
        assert second_id != first_id
        await wait_for_async(lambda: _is(link_state(gateway), "state", "connected"), 30,
                             "the gateway's link to be connected again")
        await open_trade(tmp_path, backend, gateway, "demo-2")
        await wait_for_async(lambda: page_matches_terminals(panel, gateway), 30,
                             "the page to converge on the terminals after linking again")
        for agent in AGENTS:
            await panel.page.wait_for_selector(
                f'[data-testid="gateway-status-{agent}"][data-online="true"]', timeout=20_000)

        # the list as a trader opens it: a reload (no code box), the gateway listed
        await panel.page.reload()
        await panel.wait_live()
        await panel.page.locator(f'[data-testid="gateway-row-{second_id}"]').wait_for()
        shot_list = shots / "web-panel-gateways.png"
        await panel.page.locator("section.pairing").screenshot(path=str(shot_list))
        for shot in (shot_code, shot_list):
            assert shot.read_bytes().startswith(b"\x89PNG"), shot
        assert panel.errors == [], panel.errors
    finally:
        await panel.close()
        for proc in started:
            proc.terminate()
        backend.terminate()


async def _text_has(panel: Panel, test_id: str, words: str) -> bool:
    return words in (await panel.by_id(test_id).text_content() or "")


async def _is(body: Any, key: str, value: str) -> bool:
    return bool((await body).get(key) == value)
