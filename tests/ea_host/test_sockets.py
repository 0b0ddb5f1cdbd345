"""ws2_32.dll imports mapped to POSIX sockets with Winsock semantics (NetClient.mq4)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from .hostproc import Host

pytestmark = pytest.mark.timeout(60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nonblocking_connect_and_exchange(binaries: dict[str, Path],
                                          run_host: Callable[..., Host]) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(20)
    port = server.getsockname()[1]
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(20)
            data = b""
            while b"\n" not in data:
                chunk = conn.recv(100)
                if not chunk:
                    break
                data += chunk
            received.append(data)
            conn.sendall(b"pong " + data.split()[1] + b"\n")
            conn.recv(10)  # wait for the EA to close

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    refused = free_port()
    h = run_host(binaries["NetClient"], ["--input", f"Port={port}", "--input",
                                         f"RefusedPort={refused}"])
    # Winsock: a non-blocking connect reports WSAEWOULDBLOCK, not WSAEINPROGRESS/EINPROGRESS;
    # a refused connect shows in exceptfds with SO_ERROR = WSAECONNREFUSED.
    assert h.wait_log("connect rc") == "connect rc -1 err 10035"
    assert h.wait_log("refused result") == "refused result -1 err 10061"
    assert h.wait_log("received", timeout=20) == "received pong 1"
    assert received == [b"ping 1\n"]
    assert "sent 7" in h.logs()
    h.send(op="stop")
    assert h.exit_code() == 0
    t.join(5)
    server.close()


def test_dll_calls_refused_when_dlls_not_allowed(binaries: dict[str, Path],
                                                 run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["NetClient"], ["--no-dll", "--input", f"Port={free_port()}"])
    ev = h.wait(lambda e: e.get("event") == "ea_stopped")
    assert "DLL calls are not allowed" in ev["reason"] and "WSAStartup" in ev["reason"]
    assert h.exit_code() != 0
