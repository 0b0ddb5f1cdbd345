"""Starting MT4 with our EA: the exact start-up file, the preset, the command line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from gateway_core.terminals.discovery import TerminalInfo, inspect_terminal
from gateway_core.terminals.ea_package import load_ea_package
from gateway_core.terminals.installer import install_ea
from gateway_core.terminals.launcher import (
    MANUAL_STEPS,
    LaunchError,
    launch_terminal,
    render_startup_config,
)

from .trees import (
    make_appdata_terminal,
    make_ea_package,
    make_install,
    make_portable,
    wine_appdata_terminal_root,
)

WINE = "/opt/wine/bin/wine"
EXPECTED_STARTUP = (
    b"Expert=MT4Companion\r\n"
    b"Symbol=EURUSD\r\n"
    b"Period=H1\r\n"
    b"ExpertParameters=MT4Companion.set\r\n"
    b"ExpertsEnable=true\r\n"
    b"ExpertsDllImport=true\r\n"
    b"ExpertsTrades=true\r\n"
)


class RecordingStarter:
    def __init__(self) -> None:
        self.calls: list[tuple[list[str], Path, dict[str, str]]] = []

    def __call__(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None
    ) -> int | None:
        self.calls.append((list(argv), cwd, dict(env or {})))
        return 4242


def with_wine(name: str) -> str | None:
    return WINE if name == "wine" else None


def installed(tmp_path: Path, data: Path, platform: str = "linux") -> TerminalInfo:
    install_ea(
        data, token="t" * 24, package=load_ea_package(make_ea_package(tmp_path / "ea", "1.0.0"))
    )
    info = inspect_terminal(data, platform=platform)
    assert info is not None
    return info


def test_startup_config_exact_content() -> None:
    assert render_startup_config().encode("ascii") == EXPECTED_STARTUP
    assert "[" not in render_startup_config()  # MT4 files have no sections


def test_launch_in_wine_prefix(tmp_path: Path) -> None:
    prefix = tmp_path / "home" / ".mt4"
    install = make_install(prefix / "drive_c" / "Program Files (x86)" / "MetaTrader 4")
    data = make_appdata_terminal(
        wine_appdata_terminal_root(prefix), r"C:\Program Files (x86)\MetaTrader 4"
    )
    info = installed(tmp_path, data)
    starter = RecordingStarter()

    result = launch_terminal(info, starter=starter, platform="linux", which=with_wine)
    assert result.started and result.pid == 4242
    assert result.message == "MT4 is starting with MT4Companion on a EURUSD H1 chart."
    config = data / "config" / "MT4Companion-startup.ini"
    assert result.config_path == config
    assert config.read_bytes() == EXPECTED_STARTUP
    preset = data / "MQL4" / "Presets" / "MT4Companion.set"
    assert result.preset_path == preset
    # Every input back to its default: the EA then takes its settings from companion.cfg.
    assert preset.read_bytes() == b"GatewayURL=\r\nTimerMs=0\r\n"

    ((argv, cwd, env),) = starter.calls
    assert argv == [
        WINE,
        str(install / "terminal.exe"),
        r"C:\users\trader\AppData\Roaming\MetaQuotes\Terminal"
        r"\50CA3DFB510CC5A8F28B48D1BF2A5702\config\MT4Companion-startup.ini",
    ]
    assert cwd == install
    assert env == {"WINEPREFIX": str(prefix)}
    assert result.manual_steps == MANUAL_STEPS
    assert result.manual_steps[0] == (
        "Check that the AutoTrading button in MT4's toolbar is green; if it is not, click it."
    )
    assert 'tick "Allow automated trading" and "Allow DLL imports"' in result.manual_steps[1]


def test_launch_portable_on_windows(tmp_path: Path) -> None:
    folder = make_portable(tmp_path / "Pepperstone MetaTrader 4")
    info = installed(tmp_path, folder, platform="win32")
    starter = RecordingStarter()
    result = launch_terminal(info, starter=starter, symbol="GBPUSD", period="M15", platform="win32")
    assert result.started
    ((argv, _, env),) = starter.calls
    config = folder / "config" / "MT4Companion-startup.ini"
    assert argv == [str(folder / "terminal.exe"), "/portable", str(config)]
    assert env == {}
    assert b"Symbol=GBPUSD\r\nPeriod=M15\r\n" in config.read_bytes()


def test_launch_refuses_without_the_ea(tmp_path: Path) -> None:
    info = inspect_terminal(make_portable(tmp_path / "MT4"), platform="win32")
    assert info is not None
    starter = RecordingStarter()
    result = launch_terminal(info, starter=starter, platform="win32")
    assert not result.started
    assert result.message == "The MT4 Companion EA is not installed here yet: install it first."
    assert starter.calls == []


def test_launch_without_wine_says_so(tmp_path: Path) -> None:
    info = installed(tmp_path, make_portable(tmp_path / "MT4"))
    result = launch_terminal(
        info, starter=RecordingStarter(), platform="linux", which=lambda _name: None
    )
    assert not result.started
    assert result.message == "Wine is not installed, so MT4 cannot be started from here."


def test_bad_period_is_rejected_before_writing(tmp_path: Path) -> None:
    info = installed(tmp_path, make_portable(tmp_path / "MT4"))
    with pytest.raises(LaunchError, match="period"):
        launch_terminal(
            info, period="H2", starter=RecordingStarter(), platform="linux", which=with_wine
        )
    assert not (info.data_folder / "config" / "MT4Companion-startup.ini").exists()
    with pytest.raises(LaunchError):
        render_startup_config(symbol="EURUSD\nExpertsTrades=false")
