"""The web panel in Debian's real Chromium against the real chain:
`mt4-gateway serve --demo 2` -> `platform-backend serve` -> the page (issue 12).

The tests share one chain and one browser (module fixtures) and run in file order; each
states what it expects of the terminals rather than relying on an earlier test's trades.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.async_api import Browser

from ..e2e_platform.harness import issue_token, wait_for_async
from .browser import PHONE, Panel
from .conftest import OWNER, Chain

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

AGENTS = ("demo-1", "demo-2")
XSS_IMG = "<img src=x onerror=window.x=1>"
XSS_SCRIPT = "<script>window.y=1</script>"


Key = tuple[str, int]  # (agent id, ticket): tickets are unique per terminal only


async def truth_tickets(chain: Chain) -> set[Key]:
    """Every open position of both demo terminals, asked of the terminals themselves."""
    out: set[Key] = set()
    for agent in AGENTS:
        truth = await chain.gateway.terminal_truth(agent)
        out |= {(agent, int(p["ticket"])) for p in truth["positions"]}
    return out


async def truth_orders(chain: Chain) -> set[Key]:
    out: set[Key] = set()
    for agent in AGENTS:
        truth = await chain.gateway.terminal_truth(agent)
        out |= {(agent, int(o["ticket"])) for o in truth["pending_orders"]}
    return out


async def page_matches_terminals(panel: Panel, chain: Chain) -> bool:
    return (set(await panel.position_rows()) == await truth_tickets(chain)
            and await panel.order_tickets() == await truth_orders(chain))


async def open_trade(chain: Chain, agent: str, comment: str = "", symbol: str = "EURUSD",
                     **extra: Any) -> Key:
    data: dict[str, Any] = {"symbol": symbol, "type": "buy", "lots": 0.1, **extra}
    if comment:
        data["comment"] = comment
    reply, _ = await chain.command(agent, "execute_trade", data)
    assert reply["success"], reply
    return agent, int(reply["data"]["ticket"])


@pytest.fixture(scope="module")
def owner_token() -> str:
    return issue_token(OWNER)


async def test_rows_equal_the_terminals_state(chain: Chain, browser: Browser,
                                              owner_token: str) -> None:
    # state the terminals had before the page opened, and state that changes while it is open
    before = [await open_trade(chain, "demo-1"), await open_trade(chain, "demo-2", symbol="GBPUSD")]
    reply, _ = await chain.command("demo-2", "execute_trade",
                                   {"symbol": "EURUSD", "type": "buy_limit", "lots": 0.2,
                                    "price": 0.5})
    assert reply["success"], reply
    panel = await Panel.open(browser, chain.url, owner_token)
    try:
        await panel.wait_live()
        # the token left the address bar (it stays only in sessionStorage)
        assert "token" not in panel.page.url
        await wait_for_async(lambda: page_matches_terminals(panel, chain), 20,
                             "the page's rows to equal the terminals' positions and orders")
        assert set(before) <= set(await panel.position_rows())
        after = await open_trade(chain, "demo-1", symbol="USDJPY")
        await wait_for_async(lambda: page_matches_terminals(panel, chain), 10,
                             f"#{after}, opened while the page is open, to show")
        rows = await panel.position_rows()
        assert rows[after]["symbol"] == "USDJPY"
        for agent in AGENTS:
            card = panel.by_id(f"terminal-status-{agent}")
            assert await card.get_attribute("data-status") == "connected"
        assert panel.errors == [], panel.errors
    finally:
        await panel.close()


async def test_a_trade_placed_on_the_page_executes_in_the_terminal(
        chain: Chain, browser: Browser, owner_token: str) -> None:
    panel = await Panel.open(browser, chain.url, owner_token)
    try:
        await panel.wait_live()
        known = await truth_tickets(chain)
        await panel.by_id("open-ticket").click()
        await panel.by_id("ticket-account").select_option("demo-2")
        await panel.by_id("ticket-symbol").fill("EURUSD")
        await panel.by_id("ticket-type").select_option("buy")
        await panel.by_id("ticket-lots").fill("0.3")
        await panel.by_id("ticket-comment").fill("from the page")
        submit = panel.by_id("ticket-submit")
        await submit.wait_for()
        await panel.page.wait_for_function(
            "() => !document.querySelector('[data-testid=ticket-submit]').disabled",
            timeout=10_000)
        await submit.click()
        done = panel.page.locator('[data-testid^="order-result-"][data-state="done"]')
        await done.first.wait_for(timeout=30_000)
        text = await done.first.text_content() or ""
        new = await truth_tickets(chain) - known
        assert len(new) == 1, f"the terminal should hold exactly one new position: {new}"
        agent, ticket = new.pop()
        assert agent == "demo-2"
        assert f"#{ticket}" in text or str(ticket) in text, text
        truth = await chain.gateway.terminal_truth("demo-2")
        pos = next(p for p in truth["positions"] if p["ticket"] == ticket)
        assert (pos["symbol"], pos["type"], pos["lots"], pos["comment"]) == (
            "EURUSD", "buy", 0.3, "from the page")
        await panel.position_row("demo-2", ticket).wait_for(timeout=10_000)
        assert panel.errors == [], panel.errors
    finally:
        await panel.close()


async def test_a_position_closed_elsewhere_leaves_the_page_within_a_second(
        chain: Chain, browser: Browser, owner_token: str) -> None:
    key = await open_trade(chain, "demo-1", comment="to close")
    panel = await Panel.open(browser, chain.url, owner_token)
    try:
        await panel.wait_live()
        row = panel.position_row(*key)
        await row.wait_for(timeout=20_000)
        reply, closed_at = await chain.command("demo-1", "close_position", {"ticket": key[1]})
        assert reply["success"], reply
        await row.wait_for(state="detached", timeout=5_000)
        took = time.monotonic() - closed_at
        assert took <= 1.0, f"the closed position stayed on the page {took:.2f} s"
        assert key not in await truth_tickets(chain)
    finally:
        await panel.close()


async def test_terminal_text_is_shown_as_text_never_run(
        chain: Chain, browser: Browser, owner_token: str) -> None:
    img = await open_trade(chain, "demo-1", comment=XSS_IMG)
    script = await open_trade(chain, "demo-2", comment=XSS_SCRIPT)
    panel = await Panel.open(browser, chain.url, owner_token)
    try:
        await panel.wait_live()
        await panel.position_row(*img).wait_for(timeout=20_000)
        await panel.position_row(*script).wait_for(timeout=20_000)
        # give any injected handler every chance to run: a repaint and an image load attempt
        await panel.page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                                  "setTimeout(r, 500)))")
        flags = await panel.page.evaluate("() => [window.x, window.y]")
        assert flags == [None, None], f"terminal text ran as script: {flags}"
        rows = await panel.position_rows()
        assert rows[img]["comment"] == XSS_IMG
        assert rows[script]["comment"] == XSS_SCRIPT
        injected = await panel.page.evaluate(
            "() => document.querySelectorAll('img[src=\"x\"], tbody script, "
            "[data-testid^=\"position-row-\"] script').length")
        assert injected == 0
    finally:
        await panel.close()


async def test_another_users_page_sees_and_commands_nothing(
        chain: Chain, browser: Browser) -> None:
    assert await truth_tickets(chain), "the owner's terminals hold positions"
    panel = await Panel.open(browser, chain.url, issue_token("7"))
    try:
        await panel.wait_live()
        # long enough for the backend's connect-time snapshots to have arrived if any were due
        await panel.page.wait_for_timeout(1500)
        assert await panel.position_rows() == {}
        assert await panel.order_tickets() == set()
        for agent in AGENTS:
            assert await panel.by_id(f"account-tab-{agent}").count() == 0
            assert await panel.by_id(f"close-all-{agent}").count() == 0
        await panel.by_id("open-ticket").click()
        options = await panel.by_id("ticket-account").evaluate(
            "el => [...el.options].map(o => o.value).filter(v => v)")
        assert options == []
        assert await panel.by_id("ticket-submit").is_disabled()
    finally:
        await panel.close()


async def test_after_a_backend_restart_the_page_reconnects_and_converges(
        chain: Chain, browser: Browser, owner_token: str) -> None:
    panel = await Panel.open(browser, chain.url, owner_token)
    try:
        await panel.wait_live()
        await wait_for_async(lambda: page_matches_terminals(panel, chain), 20,
                             "the page to match before the restart")
        changed: dict[str, Key] = {}

        async def while_down() -> None:
            await panel.page.wait_for_selector(
                '[data-testid="link-status"]:not([data-state="live"])', timeout=20_000)
            # the terminals change while the platform is away
            closed = min(await truth_tickets(chain))
            reply, _ = await chain.command(closed[0], "close_position", {"ticket": closed[1]})
            assert reply["success"], reply
            changed["closed"] = closed
            changed["opened"] = await open_trade(chain, "demo-2", comment="while down")

        await chain.restart_backend(while_down)
        await panel.wait_live(30_000)
        await wait_for_async(lambda: page_matches_terminals(panel, chain), 30,
                             "the page to converge on the terminals after the restart")
        rows = await panel.position_rows()
        assert changed["closed"] not in rows and changed["opened"] in rows
        assert panel.errors == [], panel.errors
    finally:
        await panel.close()


async def test_phone_width_has_no_horizontal_cut_off(
        chain: Chain, browser: Browser, owner_token: str) -> None:
    panel = await Panel.open(browser, chain.url, owner_token, viewport=PHONE)
    try:
        await panel.wait_live()
        await wait_for_async(lambda: page_matches_terminals(panel, chain), 20, "rows")
        await panel.page.wait_for_timeout(300)
        wide = await panel.page.evaluate("""() => ({
          page: document.documentElement.scrollWidth, body: document.body.scrollWidth,
          inner: window.innerWidth,
          // anything wider than the screen must sit in a container that scrolls sideways
          cut: [...document.querySelectorAll('body *')].filter(el => {
            const r = el.getBoundingClientRect();
            if (r.width === 0 || (r.right <= innerWidth + 1 && r.left >= -1)) return false;
            for (let p = el.parentElement; p; p = p.parentElement) {
              const s = getComputedStyle(p);
              if ((s.overflowX === 'auto' || s.overflowX === 'scroll')
                  && p.getBoundingClientRect().right <= innerWidth + 1) return false;
            }
            return true;
          }).slice(0, 5).map(el => el.outerHTML.slice(0, 120)),
        })""")
        assert wide["page"] <= wide["inner"], wide
        assert wide["body"] <= wide["inner"], wide
        assert wide["cut"] == [], wide
        text = await panel.page.locator("body").inner_text()
        assert re.search(r"demo-1", text)
    finally:
        await panel.close()
