"""WebSocket edge cases against the EA, with a hand-written server sending exact bytes."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from .harness import LOGIN, TOKEN, EaHost, RawWsServer, frame, needs_host, write_config

pytestmark = [needs_host, pytest.mark.asyncio]


@pytest_asyncio.fixture
async def raw(tmp_path: Path) -> AsyncIterator[tuple[RawWsServer, EaHost]]:
    srv = RawWsServer()
    await srv.start()
    write_config(tmp_path, srv.url, heartbeat_ms=100)
    host = EaHost(tmp_path)
    await host.start()
    try:
        await srv.wait_text(lambda m: m.get("type") == "snapshot", 30, "snapshot")
        yield srv, host
    finally:
        await host.stop()
        await srv.stop()


def cmd(rid: str, pad: int = 0) -> bytes:
    return (
        json.dumps({"command": "get_snapshot", "request_id": rid, "data": {}})[:-1]
        + " " * pad
        + "}"
    ).encode()


async def test_handshake_request_and_masked_frames(raw: tuple[RawWsServer, EaHost]) -> None:
    srv, _ = raw
    req = srv.requests[0]
    lines = req.split("\r\n")
    assert lines[0] == f"GET /mt4/mt4-{LOGIN} HTTP/1.1"
    headers = {k.lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["upgrade"].lower() == "websocket"
    assert headers["sec-websocket-version"] == "13"
    assert len(base64.b64decode(headers["sec-websocket-key"])) == 16
    assert "origin" not in headers
    assert srv.frames and all(f.masked for f in srv.frames)
    assert srv.texts[0]["type"] == "hello"


async def test_fragmented_message_with_a_ping_inside(raw: tuple[RawWsServer, EaHost]) -> None:
    srv, _ = raw
    body = cmd("frag-1")
    a, b, c = body[:10], body[10:30], body[30:]
    await srv.write(
        frame(1, a, fin=False) + frame(9, b"abc") + frame(0, b, fin=False) + frame(0, c)
    )
    reply = await srv.wait_text(lambda m: m.get("request_id") == "frag-1", 10, "reply")
    assert reply["success"] is True
    pongs = [f for f in srv.frames if f.opcode == 10]
    assert pongs and pongs[0].payload == b"abc"


async def test_empty_ping_gets_empty_pong(raw: tuple[RawWsServer, EaHost]) -> None:
    srv, _ = raw
    await srv.write(frame(9, b""))
    pong = await srv.wait(lambda: next((f for f in srv.frames if f.opcode == 10), None), 10, "pong")
    assert pong.payload == b""


async def test_frame_split_across_reads(raw: tuple[RawWsServer, EaHost]) -> None:
    srv, _ = raw
    data = frame(1, cmd("split-1"))
    for i in range(0, len(data), 7):
        n = len(srv.texts)
        await srv.write(data[i : i + 7])
        # wait for the EA's next message (a heartbeat at least) so it read this piece alone
        await srv.wait(lambda n=n: len(srv.texts) > n, 10, "the EA to go on")
    reply = await srv.wait_text(lambda m: m.get("request_id") == "split-1", 10, "reply")
    assert reply["success"] is True


async def test_16_and_64_bit_lengths(raw: tuple[RawWsServer, EaHost]) -> None:
    srv, _ = raw
    await srv.write(frame(1, cmd("len16", pad=300)) + frame(1, cmd("len64", pad=70000)))
    for rid in ("len16", "len64"):
        reply = await srv.wait_text(lambda m, rid=rid: m.get("request_id") == rid, 10, rid)
        assert reply["success"] is True


async def test_server_close_is_answered_and_the_ea_reconnects(
    raw: tuple[RawWsServer, EaHost],
) -> None:
    srv, _ = raw
    await srv.write(frame(8, (1001).to_bytes(2, "big") + b"bye"))
    close = await srv.wait(
        lambda: next((f for f in srv.frames if f.opcode == 8), None), 10, "close"
    )
    assert int.from_bytes(close.payload[:2], "big") == 1001
    await srv.wait(lambda: srv.connections >= 2, 20, "a new connection")
    hellos = [m for m in srv.texts if m.get("type") == "hello"]
    await srv.wait(
        lambda: len([m for m in srv.texts if m.get("type") == "hello"]) >= 2, 10, "hello"
    )
    assert hellos


async def test_bad_accept_is_refused(tmp_path: Path) -> None:
    srv = RawWsServer(bad_accept=True)
    await srv.start()
    write_config(tmp_path, srv.url)
    host = EaHost(tmp_path)
    await host.start()
    try:
        await host.wait(
            lambda e: e.get("event") == "comment" and "Sec-WebSocket-Accept" in e["text"],
            20,
            "the refusal",
        )
        assert srv.texts == []
    finally:
        await host.stop()
        await srv.stop()


async def test_text_that_is_not_utf8_closes_with_1007(raw: tuple[RawWsServer, EaHost]) -> None:
    srv, _ = raw
    await srv.write(frame(1, b'{"command":"get_snapshot","request_id":"u1","data":{},"x":"\xc3("}'))
    close = await srv.wait(
        lambda: next((f for f in srv.frames if f.opcode == 8), None), 10, "close"
    )
    assert int.from_bytes(close.payload[:2], "big") == 1007
    assert not [m for m in srv.texts if m.get("request_id") == "u1"]
