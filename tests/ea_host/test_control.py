"""The stdin control protocol, the timer and the CLI wrapper."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import REPO, SAMPLES
from .hostproc import Event, Host

pytestmark = pytest.mark.timeout(60)


def test_bad_input_gives_error_events_not_a_crash(binaries: dict[str, Path],
                                                  run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["Trader"])
    h.wait(lambda e: e.get("event") == "broker")
    bad = ["{not json", "[1,2]", '{"op": 5}', '{"op":"nope"}', '{"op":"quote","bid":"x"}',
           '{"op":"quote","symbol":"ZZZ","bid":1,"ask":2}', '{"op":"open","type":"sideways"}',
           '{"op":"fail_next","error":0}', '{"op":"set","trade_allowed":"yes"}',
           '{"op":"open","nested":{"a":1}}', '{"op":"quote","bid":2,"ask":1}']
    for line in bad:
        start = h.send_raw(line)
        ev = h.wait(lambda e: e.get("event") == "error", start=start, what=line)
        assert ev["message"], line
    start = h.send(op="state")
    h.wait(lambda e: e.get("event") == "broker", start=start)
    assert h.proc.poll() is None


def test_quote_drives_ontick_and_manual_errors(binaries: dict[str, Path],
                                               run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["Trader"])
    h.wait(lambda e: e.get("event") == "broker")
    start = h.send(op="close", ticket=12345)
    ev = h.wait(lambda e: e.get("event") == "manual", start=start)
    assert ev == {"event": "manual", "op": "close", "ticket": 12345, "error": 4108}
    start = h.send(op="open", symbol="XAUUSD", type="buy limit", lots=0.1, price=1990.0,
                   sl=1980.0, tp=2010.0)
    ev = h.wait(lambda e: e.get("event") == "manual", start=start)
    assert ev["error"] == 0
    start = h.send(op="modify", ticket=ev["ticket"], sl=1985.0)
    assert h.wait(lambda e: e.get("event") == "manual", start=start)["error"] == 0
    start = h.send(op="delete", ticket=ev["ticket"])
    assert h.wait(lambda e: e.get("event") == "manual", start=start)["error"] == 0
    broker = next(e for e in reversed(h.events) if e.get("event") == "broker")
    assert broker["orders"] == [] and broker["history_count"] == 1


def test_timer_keeps_up_without_spinning(binaries: dict[str, Path],
                                         run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["Trader"], ["--timer-ms", "25"])
    h.wait(lambda e: e.get("event") == "ready")
    t0 = time.monotonic()
    h.wait(lambda e: e.get("event") == "comment" and e["text"] == "timer 40", timeout=10)
    elapsed = time.monotonic() - t0
    assert 0.8 < elapsed < 2.0, elapsed  # 40 events at 25 ms
    with open(f"/proc/{h.proc.pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    assert cpu_s < 0.5, cpu_s  # waiting in poll(), not spinning
    start = h.send(op="stop")
    h.wait_log("deinit 1", start)
    assert h.exit_code() == 0


def test_stdin_eof_deinitialises(binaries: dict[str, Path], run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["Trader"])
    h.wait(lambda e: e.get("event") == "ready")
    assert h.proc.stdin is not None
    h.proc.stdin.close()
    assert h.exit_code() == 0
    assert any(x.startswith("deinit 9") for x in h.logs())  # REASON_CLOSE


def test_cli_builds_and_runs(tmp_path: Path, binaries: dict[str, Path]) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "ea" / "host" / "mql4host.py"), "--ea",
         str(SAMPLES / "StringsArrays.mq4"), "--sandbox", str(tmp_path / "t"), "--inputs",
         "Greeting=cli", "--account-login", "4242"],
        input='{"op":"stop"}\n', capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(x) for x in proc.stdout.splitlines()]
    logs = [e["text"] for e in events if e["event"] == "log"]
    assert "counter=6 greeting=cli mode=0" in logs
    broker = next(e for e in events if e["event"] == "broker")
    assert broker["account"]["login"] == 4242
    assert events[-1] == {"event": "ea_stopped", "reason": "removed"}


def test_stop_while_sleeping_sets_isstopped(binaries: dict[str, Path],
                                            run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["Trader"])
    h.wait(lambda e: e.get("event") == "ready")
    (h.sandbox / "MQL4" / "Files" / "cmd.txt").write_text("sleeploop\n")
    start = h.send(op="tick")
    h.wait_log("result sleeping", start)
    h.send(op="stop")
    assert h.wait_log("stopped seen", start) == "stopped seen true"
    h.wait_log("deinit 1", start)
    assert h.exit_code() == 0


def wait_reinit(h: Host, start: int) -> Event:
    """The broker event that follows the `ready` of a re-initialisation started at `start`."""
    ready = h.wait(lambda e: e.get("event") == "ready", start=start)
    idx = h.events.index(ready, start)
    return h.wait(lambda e: e.get("event") == "broker", start=idx + 1)


def test_inputs_and_account_change_reinitialise(binaries: dict[str, Path],
                                                run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["Trader"], ["--symbols", "EURUSD,USDJPY"])
    wait_reinit(h, 0)
    start = h.send(op="inputs", Label="b")
    assert h.wait_log("deinit", start).startswith("deinit 5 ")  # REASON_PARAMETERS
    assert h.wait_log("label", start) == "label b login 12345678"
    wait_reinit(h, start)
    start = h.send(op="account", login=555, balance=42.5)
    assert h.wait_log("deinit", start).startswith("deinit 6 ")  # REASON_ACCOUNT
    assert h.wait_log("label", start) == "label b login 555"
    broker = wait_reinit(h, start)
    assert broker["account"] == {**broker["account"], "balance": 42.5, "login": 555}
    start = h.send(op="inputs", Nope="x")
    assert "Nope" in h.wait(lambda e: e.get("event") == "error", start=start)["message"]
    (h.sandbox / "MQL4" / "Files" / "cmd.txt").write_text("symbols\n")
    start = h.send(op="tick")
    assert h.wait_log("result symbols", start).startswith("result symbols EURUSD,USDJPY, ")


def test_chart_inputs_account_keep_globals_restart_does_not(
        binaries: dict[str, Path], run_host: Callable[..., Host]) -> None:
    """MT4 re-runs OnInit without reloading the program on a chart, parameters or account
    change: the timer count (a global) carries on. A recompile starts it over."""
    h = run_host(binaries["Trader"], ["--timer-ms", "10"])
    wait_reinit(h, 0)

    def comment_after(start: int) -> int:
        ev = h.wait(lambda e: e.get("event") == "comment", start=start, what="a timer comment")
        return int(ev["text"].split()[1])

    comment_after(0)
    ops: list[dict[str, object]] = [{"op": "chart", "symbol": "USDJPY", "period": 240},
                                    {"op": "inputs", "Label": "c"},
                                    {"op": "account", "login": 12345678}]
    for op, reason in zip(ops, (3, 5, 6), strict=True):
        start = h.send(**op)
        deinit = h.wait_log("deinit", start)
        assert deinit.startswith(f"deinit {reason} "), deinit
        calls = int(deinit.split()[-1])
        assert calls > 0
        assert comment_after(start) > calls, f"{op}: the global started over"
    assert any(t.startswith("symbol USDJPY digits 3") for t in h.logs())
    start = h.send(op="restart_ea")
    assert h.wait_log("deinit", start).startswith("deinit 2 ")
    assert comment_after(start) == 20  # re-initialised: counting from zero again

    for bad in ['{"op":"chart","symbol":"NOPE"}', '{"op":"chart","period":7}',
                '{"op":"chart","timeframe":60}']:
        start = h.send_raw(bad)
        assert h.wait(lambda e: e.get("event") == "error", start=start, what=bad)["message"]
