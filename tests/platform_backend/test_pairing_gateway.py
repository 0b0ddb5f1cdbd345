"""The whole pairing flow with real processes: `platform-backend serve`, a code made with
a web token, exchanged at `/api/pair`, and a real `mt4-gateway serve --demo 2` linking with
the gateway token it got. The panel's list shows it with its terminals; revoking it
closes the link and the gateway gives up with the platform's reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ..e2e_platform.harness import Backend, GatewayProc, issue_token, wait_for_async

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


async def test_a_paired_gateway_links_is_listed_and_stops_when_revoked(tmp_path: Path) -> None:
    backend = Backend(tmp_path)
    await backend.start_ready()
    web = {"Authorization": f"Bearer {issue_token('42')}"}
    gateway: GatewayProc | None = None
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{backend.http_url}/api/pairing-codes", headers=web) as r:
                assert r.status == 201
                code = (await r.json())["code"]
            async with http.post(f"{backend.http_url}/api/pair", json={
                    "code": code, "gateway_name": "Trading VPS", "machine": "vps-1"}) as r:
                assert r.status == 200
                paired = await r.json()
            token_file = tmp_path / "gateway-token"
            token_file.write_text(paired["gateway_token"])
            gateway = GatewayProc(tmp_path, paired["link_url"], token_file, demo=2,
                                  manual_rate=0)
            await gateway.start_ready()

            async def listed() -> list[dict[str, Any]]:
                async with http.get(f"{backend.http_url}/api/gateways", headers=web) as r:
                    assert r.status == 200
                    body: list[dict[str, Any]] = await r.json()
                    return body

            async def both_terminals_seen() -> bool:
                rows = await listed()
                return len(rows) == 1 and rows[0]["online"] and rows[0]["terminals"] == 2

            await wait_for_async(both_terminals_seen, 30, "the gateway and its 2 terminals")
            row = (await listed())[0]
            assert row["name"] == "Trading VPS" and row["machine"] == "vps-1"
            assert row["id"] == paired["token_id"] and row["version"]

            async with http.delete(f"{backend.http_url}/api/gateways/{row['id']}",
                                   headers=web) as r:
                assert r.status == 204

            async def gave_up() -> bool:
                assert gateway is not None
                link = (await gateway.health()).get("backend") or {}
                return link.get("state") in ("auth_failed", "revoked")

            await wait_for_async(gave_up, 30, "the gateway to stop linking")
            link = (await gateway.health())["backend"]
            assert "revoked" in str(link.get("detail"))
            assert await listed() == []
            async with http.get(f"{backend.http_url}/health") as r:
                assert (await r.json())["gateways"] == 0
        assert "eyJ" not in backend.output() and code not in backend.output()
        assert "eyJ" not in gateway.output()
    finally:
        if gateway is not None:
            gateway.terminate()
        backend.terminate()
