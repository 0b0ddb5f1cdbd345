"""MQL4 semantics of the runtime, checked by sample EAs that print OK/FAIL lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .hostproc import Host

pytestmark = pytest.mark.timeout(120)


def assert_all_ok(h: Host, expected: int) -> None:
    h.wait(lambda e: e.get("event") == "ready", what="ready")
    logs = h.logs()
    fails = [x for x in logs if x.startswith("FAIL")]
    oks = [x for x in logs if x.startswith("OK")]
    assert not fails, fails
    assert len(oks) >= expected, logs


def test_strings_arrays_structs(binaries: dict[str, Path], run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["StringsArrays"])
    assert_all_ok(h, 40)
    assert "counter=6 greeting=hi mode=0" in h.logs()


def test_array_out_of_range_stops_ea(binaries: dict[str, Path],
                                     run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["StringsArrays"], ["--input", "Mode=1"])
    ev = h.wait(lambda e: e.get("event") == "ea_stopped")
    assert ev["reason"] == "array out of range in 'StringsArrays.mq4' (39,8)"
    assert "array out of range in 'StringsArrays.mq4' (39,8)" in h.logs()
    assert not any(e.get("event") == "ready" for e in h.events)
    assert h.exit_code() != 0


def test_zero_divide_stops_ea(binaries: dict[str, Path], run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["StringsArrays"], ["--input", "Mode=2"])
    ev = h.wait(lambda e: e.get("event") == "ea_stopped")
    assert ev["reason"].startswith("zero divide in 'StringsArrays.mq4' (44,")
    assert h.exit_code() != 0


def test_stack_overflow_stops_ea(binaries: dict[str, Path], run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["StringsArrays"], ["--input", "Mode=3"])
    ev = h.wait(lambda e: e.get("event") == "ea_stopped")
    assert ev["reason"] == "stack overflow or invalid memory access"
    assert h.exit_code() != 0


def test_init_failed_and_expert_remove(binaries: dict[str, Path],
                                      run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["StringsArrays"], ["--input", "Mode=4"])
    assert h.wait(lambda e: e.get("event") == "ea_stopped")["reason"] == "init_failed"
    assert "deinit 8" in h.logs()  # REASON_INITFAILED
    assert h.exit_code() == 1
    h = run_host(binaries["StringsArrays"], ["--input", "Mode=5"])
    assert h.wait(lambda e: e.get("event") == "ea_stopped")["reason"] == "ExpertRemove"
    assert "deinit 0" in h.logs()  # REASON_PROGRAM
    assert h.exit_code() == 0


def test_restart_reinitialises_globals_and_statics(binaries: dict[str, Path],
                                                   run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["StringsArrays"], ["--input", "Greeting=yo"])
    h.wait(lambda e: e.get("event") == "ready")
    start = h.send(op="restart_ea")
    assert h.wait_log("deinit", start) == "deinit 2"  # REASON_RECOMPILE
    h.wait(lambda e: e.get("event") == "ready", start=start)
    logs = h.logs()
    # g_counter starts at 5 again and the static call counter restarts at 1.
    assert logs.count("counter=6 greeting=yo mode=0") == 2
    assert logs.count("OK static local") == 2
    start = h.send(op="stop")
    assert h.wait_log("deinit", start) == "deinit 1"
    assert h.exit_code() == 0


def test_unknown_input_is_an_error(binaries: dict[str, Path],
                                   run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["StringsArrays"], ["--input", "Nope=1"])
    ev = h.wait(lambda e: e.get("event") == "error")
    assert "Nope" in ev["message"]
    assert h.exit_code() == 2


def test_files_confined_and_crypt_vectors(binaries: dict[str, Path],
                                          run_host: Callable[..., Host], tmp_path: Path) -> None:
    sandbox = tmp_path / "term"
    h = run_host(binaries["FilesCrypt"], sandbox=sandbox)
    assert_all_ok(h, 19)
    files = sandbox / "MQL4" / "Files"
    # Unicode text files are UTF-16LE with a BOM, lines end with CRLF.
    assert (files / "sub" / "notes.txt").read_bytes().startswith(b"\xff\xfel\x00i\x00")
    assert (files / "ansi.csv").read_bytes() == b"x;1.5;true\r\nmore\r\n"
    assert not (tmp_path / "escape.txt").exists()
    assert not (sandbox / "escape.txt").exists()


def test_language_features(binaries: dict[str, Path], run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["Lang"])
    assert_all_ok(h, 22)
    assert "formatted 12-ok" in h.logs()


def test_object_pointers(binaries: dict[str, Path], run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["Pointers"])
    assert_all_ok(h, 7)
    start = h.send(op="stop")
    h.wait(lambda e: e.get("event") == "ea_stopped", start=start)
    assert "undeleted objects left" not in " ".join(h.logs())


def test_deleted_object_access_stops_ea(binaries: dict[str, Path],
                                        run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["Pointers"], ["--input", "Mode=1"])
    ev = h.wait(lambda e: e.get("event") == "ea_stopped")
    assert ev["reason"] == "invalid pointer access in 'Pointers.mq4' (96,22)"


def test_leaked_objects_reported_at_deinit(binaries: dict[str, Path],
                                           run_host: Callable[..., Host]) -> None:
    h = run_host(binaries["Pointers"], ["--input", "Mode=2"])
    h.wait(lambda e: e.get("event") == "ready")
    start = h.send(op="stop")
    h.wait(lambda e: e.get("event") == "ea_stopped", start=start)
    assert "1 undeleted objects left" in h.logs()
