"""Screenshots of the web panel for docs/ and the README, taken by the same headless Chromium
the end-to-end tests drive, against the same real chain (gateway + 2 demo terminals with a
few trades -> platform-backend -> the page).

    .venv/bin/python -m tests.web_e2e.take_screenshots [--out docs]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright

from ..e2e_platform.harness import Backend, GatewayProc, issue_token, wait_for_async
from .browser import DESKTOP, PHONE, Panel, launch
from .conftest import OWNER, Chain

TRADES = [
    ("demo-1", {"symbol": "EURUSD", "type": "buy", "lots": 0.5, "comment": "breakout"}),
    ("demo-1", {"symbol": "GBPUSD", "type": "sell", "lots": 0.2}),
    ("demo-1", {"symbol": "USDJPY", "type": "buy", "lots": 1.0, "comment": "swing"}),
    ("demo-2", {"symbol": "EURUSD", "type": "sell", "lots": 0.3}),
    ("demo-2", {"symbol": "EURUSD", "type": "buy_limit", "lots": 0.1, "price": 0.9}),
]


async def shoot(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="web-shots-") as d:
        tmp = Path(d)
        backend = Backend(tmp)
        await backend.start_ready()
        token = issue_token(OWNER)
        async with async_playwright() as pw:
            browser = await launch(pw)
            # The page is open before the gateway links, so it also gets the terminals'
            # symbol_info (the backend replays only status and snapshots on connect) and the
            # ticket can show the symbol's rules.
            desk = await Panel.open(browser, backend.http_url, token, DESKTOP)
            await desk.wait_live()
            token_file = tmp / "gateway-token"
            token_file.write_text(issue_token(OWNER, gateway_db=backend.db))
            gateway = GatewayProc(tmp, backend.gateway_url, token_file, demo=2,
                                  manual_rate=0)
            await gateway.start_ready()
            chain = Chain(tmp, backend, gateway)
            try:
                await chain.wait_terminals(2)
                for agent, data in TRADES:
                    reply, _ = await chain.command(agent, "execute_trade", data)
                    assert reply["success"], reply

                async def four_rows() -> bool:
                    return len(await desk.position_rows()) == 4

                await wait_for_async(four_rows, 20, "the demo positions on the page")
                # let the equity curves and the heartbeat ages collect a few points
                await desk.page.wait_for_timeout(6000)
                # the list was loaded before the gateway linked and does not refresh by itself
                await desk.by_id("gateways-refresh").click()
                await desk.page.locator('[data-testid^="gateway-row-"]').first.wait_for()
                shots = [out / "web-panel-desktop.png"]
                await desk.page.screenshot(path=str(shots[-1]), full_page=True)

                await desk.by_id("open-ticket").click()
                await desk.by_id("ticket-account").select_option("demo-1")
                await desk.by_id("ticket-symbol").fill("EURUSD")
                await desk.by_id("ticket-type").select_option("buy_limit")
                await desk.by_id("ticket-lots").fill("0.25")
                await desk.by_id("ticket-price").fill("1.05")
                await desk.by_id("ticket-comment").fill("from the web")
                ticket = desk.by_id("trade-ticket")
                shots.append(out / "web-panel-ticket.png")
                await ticket.screenshot(path=str(shots[-1]))

                phone = await Panel.open(browser, chain.url, token, PHONE)
                await phone.wait_live()
                await phone.page.wait_for_timeout(3000)
                shots.append(out / "web-panel-phone.png")
                await phone.page.screenshot(path=str(shots[-1]))  # the first screenful
                return shots
            finally:
                await browser.close()
                gateway.terminate()
                backend.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    for path in asyncio.run(shoot(args.out)):
        print(path)


if __name__ == "__main__":
    main()
