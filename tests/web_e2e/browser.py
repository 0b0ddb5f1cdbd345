"""Debian's real Chromium (`/usr/bin/chromium`) driven by Playwright for Python, and the
panel as a user sees it, read through the test ids web/README.md documents."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Playwright

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--js-flags=--expose-gc",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
PANEL_DIST = Path(__file__).resolve().parents[2] / "platform_backend" / "web_dist"


def require_browser_and_panel() -> None:
    """Skip (or fail under CI, where setup-dev installs both) when Chromium or the built
    panel is missing."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (Debian: apt-get install chromium chromium-driver)")
    if not (PANEL_DIST / "index.html").is_file():
        missing.append(f"the built panel in {PANEL_DIST} (scripts/setup-dev builds it)")
    if missing:
        reason = "web end-to-end tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


async def launch(pw: Playwright) -> Browser:
    return await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)


class Panel:
    """One signed-in page: console errors and CSP violations are collected as they come."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context = context
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, msg: Any) -> None:
        if msg.text.startswith("Failed to load resource"):
            return  # reported with its address by _response
        if msg.type == "error" or "Content Security Policy" in msg.text:
            self.errors.append(f"console {msg.type}: {msg.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status} {response.url}")

    @classmethod
    async def open(cls, browser: Browser, base_url: str, token: str | None,
                   viewport: dict[str, int] = DESKTOP) -> Panel:
        context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        page = await context.new_page()
        panel = cls(context, page)
        url = f"{base_url}/#token={token}" if token else f"{base_url}/"
        await page.goto(url)
        return panel

    async def close(self) -> None:
        await self.context.close()

    def by_id(self, test_id: str) -> Any:
        return self.page.get_by_test_id(test_id)

    async def link_state(self) -> str | None:
        loc = self.by_id("link-status")
        if await loc.count() == 0:
            return None
        return await loc.get_attribute("data-state")

    async def wait_live(self, timeout_ms: float = 20_000) -> None:
        await self.page.wait_for_selector('[data-testid="link-status"][data-state="live"]',
                                          timeout=timeout_ms)

    def position_row(self, agent: str, ticket: int) -> Any:
        # tickets are unique per terminal only: two accounts may both have #10000003
        return self.page.locator(f'[data-testid="position-row-{ticket}"][data-agent="{agent}"]')

    async def position_rows(self) -> dict[tuple[str, int], dict[str, str]]:
        """Every position row the page shows: (agent, ticket) -> {symbol, type, lots, comment}."""
        rows: list[dict[str, str]] = await self.page.evaluate("""() => {
          const out = [];
          for (const row of document.querySelectorAll('[data-testid^="position-row-"]')) {
            const t = row.getAttribute('data-testid').slice('position-row-'.length);
            const cell = (c) => {
              const el = row.querySelector(`[data-testid="position-${t}-${c}"]`);
              return el ? el.textContent : null;
            };
            out.push({ticket: t, agent: row.getAttribute('data-agent'), symbol: cell('symbol'),
                      type: cell('type'), lots: cell('lots'), comment: cell('comment')});
          }
          return out;
        }""")
        return {(r["agent"], int(r["ticket"])): r for r in rows}

    async def order_tickets(self) -> set[tuple[str, int]]:
        ids: list[list[str]] = await self.page.evaluate("""() =>
          [...document.querySelectorAll('[data-testid^="order-row-"]')].map(r =>
            [r.getAttribute('data-agent'),
             r.getAttribute('data-testid').slice('order-row-'.length)])""")
        return {(a, int(t)) for a, t in ids}
