"""The handshake decision alone, without sockets."""

from __future__ import annotations

from http import HTTPStatus

from gateway_core.server.handshake import Refusal, Route, check_request

from .conftest import TOKEN


def test_token_in_url_is_refused() -> None:
    verdict = check_request("/commands?token=abc", origin=None, host="127.0.0.1:1",
                            authorization=f"Bearer {TOKEN}", token=TOKEN,
                            bind_host="127.0.0.1", is_upgrade=True)
    assert isinstance(verdict, Refusal) and verdict.status == HTTPStatus.BAD_REQUEST


def test_routes() -> None:
    def check(path: str, upgrade: bool = True) -> Route | Refusal:
        return check_request(path, origin=None, host="localhost:8090",
                             authorization=f"bearer {TOKEN}", token=TOKEN,
                             bind_host="127.0.0.1", is_upgrade=upgrade)

    assert check("/mt4/agent_1") == Route("agent", agent_id="agent_1")
    assert check("/commands") == Route("client")
    assert check("/health", upgrade=False) == Route("health", authorized=True)
    refused = check("/commands", upgrade=False)
    assert isinstance(refused, Refusal) and refused.status == HTTPStatus.UPGRADE_REQUIRED
    assert isinstance(check("/mt4/" + "x" * 65), Refusal)
