"""Compiling with (a stand-in for) MetaEditor and reading its UTF-16LE log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gateway_core.terminals.compiler import (
    build_compile_command,
    compile_ea,
    decode_compile_log,
    parse_compile_log,
    windows_command_line,
)
from gateway_core.terminals.discovery import TerminalInfo, inspect_terminal
from gateway_core.terminals.ea_package import load_ea_package
from gateway_core.terminals.installer import (
    MANIFEST_RELATIVE_PATH,
    FileAction,
    install_ea,
    uninstall_ea,
)

from .trees import make_appdata_terminal, make_ea_package, make_install, wine_appdata_terminal_root

FAKE_METAEDITOR = Path(__file__).with_name("fake_metaeditor.py")
WINE = "/usr/bin/wine"


@dataclass
class FakeMetaEditorRunner:
    """Runs fake_metaeditor.py in place of ``[wine] metaeditor.exe`` and records the calls."""

    calls: list[tuple[list[str], Path, dict[str, str]]] = field(default_factory=list)

    def __call__(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None, timeout: float
    ) -> int:
        argv = list(argv)
        self.calls.append((argv, cwd, dict(env or {})))
        switches = argv[2:] if argv[0] == WINE else argv[1:]
        completed = subprocess.run(
            [sys.executable, str(FAKE_METAEDITOR), *switches],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            timeout=timeout,
            check=False,
        )
        return completed.returncode


def with_wine(name: str) -> str | None:
    return WINE if name == "wine" else None


def without_wine(name: str) -> str | None:
    return None


@pytest.fixture
def wine_terminal(tmp_path: Path) -> TerminalInfo:
    """An MT4 in ~/.mt4 with our EA installed."""
    prefix = tmp_path / "home" / ".mt4"
    make_install(prefix / "drive_c" / "Program Files (x86)" / "MetaTrader 4")
    data = make_appdata_terminal(
        wine_appdata_terminal_root(prefix), r"C:\Program Files (x86)\MetaTrader 4"
    )
    package = load_ea_package(make_ea_package(tmp_path / "ea", version="1.0.0"))
    install_ea(data, token="t" * 24, package=package)
    info = inspect_terminal(data, platform="linux")
    assert info is not None and info.metaeditor_exe is not None
    return info


def test_compile_under_wine_reports_warnings_in_words(wine_terminal: TerminalInfo) -> None:
    runner = FakeMetaEditorRunner()
    result = compile_ea(wine_terminal, runner=runner, platform="linux", which=with_wine)

    assert result.attempted and result.ok
    assert result.files_compiled == 1
    assert result.errors == ()
    (warning,) = result.warnings
    assert (warning.line, warning.column, warning.code) == (20, 3, 43)
    assert result.message == (
        "MT4Companion.mq4 compiled with 1 warning: MT4Companion.mq4 line 20, column 3: "
        "warning 43: possible loss of data due to type conversion"
    )
    binary = wine_terminal.mql4_folder / "Experts" / "MT4Companion.ex4"
    assert binary.is_file()

    ((argv, cwd, env),) = runner.calls
    assert argv[:2] == [WINE, str(wine_terminal.metaeditor_exe)]
    assert argv[2] == r"/compile:MQL4\Experts\MT4Companion.mq4"
    assert argv[3] == (
        r"/include:C:\users\trader\AppData\Roaming\MetaQuotes\Terminal"
        r"\50CA3DFB510CC5A8F28B48D1BF2A5702\MQL4"
    )
    assert argv[4] == r"/log:MQL4\Logs\MT4Companion-compile.log"
    assert cwd == wine_terminal.data_folder
    assert env == {"WINEPREFIX": str(wine_terminal.wine_prefix)}

    # The binary is recorded as ours, so uninstall takes it away too.
    manifest = json.loads((wine_terminal.mql4_folder / MANIFEST_RELATIVE_PATH).read_text())
    assert manifest["files"]["Experts/MT4Companion.ex4"]["kind"] == "compiled"
    removed = uninstall_ea(wine_terminal.data_folder).outcomes(FileAction.REMOVED)
    assert "Experts/MT4Companion.ex4" in {o.relative_path for o in removed}
    assert not binary.exists()


def test_compile_errors_are_reported(wine_terminal: TerminalInfo) -> None:
    source = wine_terminal.mql4_folder / "Experts" / "MT4Companion.mq4"
    source.write_text(source.read_text() + "int broken() { return undeclared_thing; }\n")
    result = compile_ea(
        wine_terminal, runner=FakeMetaEditorRunner(), platform="linux", which=with_wine
    )
    assert result.attempted and not result.ok
    assert result.files_compiled == 0
    (error,) = result.errors
    assert (error.line, error.column, error.code) == (12, 5, 256)
    assert error.text == "'undeclared_thing' - undeclared identifier"
    assert result.message.startswith("MT4Companion.mq4 did not compile: 1 error, 1 warning. ")
    assert "line 12, column 5: error 256" in result.message
    assert not (wine_terminal.mql4_folder / "Experts" / "MT4Companion.ex4").exists()


def test_compile_on_windows_uses_absolute_paths(wine_terminal: TerminalInfo) -> None:
    runner = FakeMetaEditorRunner()
    result = compile_ea(wine_terminal, runner=runner, platform="win32")
    assert result.ok
    ((argv, _, env),) = runner.calls
    data = wine_terminal.data_folder
    assert argv == [
        str(wine_terminal.metaeditor_exe),
        f"/compile:{data / 'MQL4' / 'Experts' / 'MT4Companion.mq4'}",
        f"/include:{data / 'MQL4'}",
        f"/log:{data / 'MQL4' / 'Logs' / 'MT4Companion-compile.log'}",
    ]
    assert env == {}


def test_without_wine_the_terminal_compiles_on_next_start(wine_terminal: TerminalInfo) -> None:
    runner = FakeMetaEditorRunner()
    result = compile_ea(wine_terminal, runner=runner, platform="linux", which=without_wine)
    assert not result.attempted and not result.ok
    assert result.message == (
        "Wine is not installed, so MetaEditor cannot run here. The terminal compiles "
        "MT4Companion.mq4 itself the next time it starts (or when you right-click Expert "
        "Advisors in the Navigator and choose Refresh)."
    )
    assert runner.calls == []


def test_without_metaeditor_the_terminal_compiles_on_next_start(
    wine_terminal: TerminalInfo,
) -> None:
    assert wine_terminal.install_folder is not None
    (wine_terminal.install_folder / "metaeditor.exe").unlink()
    info = inspect_terminal(wine_terminal.data_folder, platform="linux")
    assert info is not None and info.metaeditor_exe is None
    result = compile_ea(info, runner=FakeMetaEditorRunner(), platform="win32")
    assert not result.attempted
    assert "metaeditor.exe) was not found" in result.message
    assert "compiles MT4Companion.mq4 itself the next time it starts" in result.message


def test_metaeditor_that_writes_no_log(wine_terminal: TerminalInfo) -> None:
    def silent(
        argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None, timeout: float
    ) -> int:
        return 0

    result = compile_ea(wine_terminal, runner=silent, platform="win32")
    assert result.attempted and not result.ok
    assert "wrote no log" in result.message


def test_parse_log_formats() -> None:
    newer = (
        "C:\\MQL4\\Experts\\A.mq4 : information: compiling 'A.mq4'\r\n"
        "C:\\MQL4\\Experts\\A.mq4 : information: including C:\\x\\error : warning 1: odd.mqh\r\n"
        "C:\\MQL4\\Experts\\A.mq4(3,14) : error 149: 'x' - unexpected token\r\n"
        "C:\\MQL4\\Include\\B.mqh : error 106: file 'C.mqh' not found\r\n"
        "C:\\MQL4\\Experts\\A.mq4(9,1) : warning 31: variable 'y' not used\r\n"
        "Result: 2 errors, 1 warnings, 77 msec elapsed\r\n"
    )
    log = parse_compile_log(newer)
    assert [(e.file, e.line, e.column, e.code) for e in log.errors] == [
        ("C:\\MQL4\\Experts\\A.mq4", 3, 14, 149),
        ("C:\\MQL4\\Include\\B.mqh", None, None, 106),
    ]
    assert log.errors[1].describe() == "B.mqh: error 106: file 'C.mqh' not found"
    assert [w.code for w in log.warnings] == [31]
    assert (log.summary_errors, log.summary_warnings) == (2, 1)

    older = "A.mq4(1,1) : error 1: x\n0 error(s), 2 warning(s)\n"
    log = parse_compile_log(older)
    assert (log.error_count, log.warning_count) == (1, 2)


def test_decode_log_variants() -> None:
    text = "Result: 0 errors, 0 warnings"
    assert decode_compile_log(b"\xff\xfe" + text.encode("utf-16-le")) == text
    assert decode_compile_log(text.encode("utf-16-le")) == text
    assert decode_compile_log(text.encode("utf-8")) == text


def test_windows_command_line_quotes_switch_values() -> None:
    line = windows_command_line(
        [
            r"C:\Program Files (x86)\MetaTrader 4\metaeditor.exe",
            r"/compile:C:\Users\Jo Doe\AppData\Roaming\MQL4\Experts\MT4Companion.mq4",
            r"/log:C:\Temp\x.log",
        ]
    )
    assert line == (
        r'"C:\Program Files (x86)\MetaTrader 4\metaeditor.exe" '
        r'/compile:"C:\Users\Jo Doe\AppData\Roaming\MQL4\Experts\MT4Companion.mq4" '
        r'/log:"C:\Temp\x.log"'
    )


def test_include_with_spaces_is_left_out_under_wine(tmp_path: Path) -> None:
    prefix = tmp_path / "wine prefix"
    make_install(prefix / "drive_c" / "Program Files" / "MetaTrader 4")
    data = make_appdata_terminal(
        wine_appdata_terminal_root(prefix, user="Jo Doe"), r"C:\Program Files\MetaTrader 4"
    )
    info = inspect_terminal(data, platform="linux")
    assert info is not None and info.metaeditor_exe is not None
    argv = build_compile_command(info, info.metaeditor_exe, platform="linux", wine=WINE)
    assert not any(a.startswith("/include:") for a in argv)
