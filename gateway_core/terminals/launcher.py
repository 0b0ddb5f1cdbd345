"""Start MT4 with our EA attached to a chart.

MT4 reads a start-up file given as a plain argument: ``terminal.exe [/portable] <file>``. The
file is flat ``Key=Value`` lines (``[Sections]`` and ``/config:`` are MT5 syntax). ``Expert``
is attached to the chart opened for ``Symbol``/``Period``; ``ExpertParameters`` names a ``.set``
file in ``MQL4\\Presets``. The ``Experts*`` keys switch on expert advisors, DLL imports and live
trading for this start; the trader may still have to allow some of it by hand, and we say so.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gateway_core.terminals.atomic_file import atomic_write_bytes
from gateway_core.terminals.data_folder_id import windows_path_in_prefix
from gateway_core.terminals.discovery import TerminalInfo
from gateway_core.terminals.ea_package import (
    EA_MAIN_FILE,
    EA_NAME,
    decode_mql_source,
    parse_ea_inputs,
)

__all__ = [
    "MANUAL_STEPS",
    "PRESET_NAME",
    "STARTUP_CONFIG_NAME",
    "LaunchError",
    "LaunchResult",
    "ProcessStarter",
    "build_launch_command",
    "launch_terminal",
    "render_preset",
    "render_startup_config",
    "write_launch_files",
]

logger = logging.getLogger(__name__)

PRESET_NAME = f"{EA_NAME}.set"
# Kept in the data folder's config folder, where the terminal keeps its own settings.
STARTUP_CONFIG_NAME = f"{EA_NAME}-startup.ini"
_PERIODS = ("M1", "M5", "M15", "M30", "H1", "H4", "D1", "W1", "MN1")
_SYMBOL_RE = re.compile(r"^[A-Za-z0-9._#+\-]{1,32}$")
_INPUT_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

MANUAL_STEPS: tuple[str, ...] = (
    "Check that the AutoTrading button in MT4's toolbar is green; if it is not, click it.",
    "If the chart's top-right corner shows a sad face, or the Experts tab says that DLL imports "
    'are not allowed: open Tools > Options > Expert Advisors, tick "Allow automated trading" '
    'and "Allow DLL imports", and click OK. MT4 Companion\'s EA needs both.',
    "If this terminal was already open, close it and launch it again: MT4 reads the start-up "
    "settings only when it starts.",
)


class LaunchError(ValueError):
    """A start-up setting is not valid; nothing was written."""


@dataclass(frozen=True)
class LaunchResult:
    started: bool
    message: str
    command: tuple[str, ...] = ()
    config_path: Path | None = None
    preset_path: Path | None = None
    pid: int | None = None
    manual_steps: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "message": self.message,
            "command": list(self.command),
            "config_path": str(self.config_path) if self.config_path else None,
            "preset_path": str(self.preset_path) if self.preset_path else None,
            "pid": self.pid,
            "manual_steps": list(self.manual_steps),
        }


class ProcessStarter(Protocol):
    """Starts a program without waiting for it; returns its process id (injectable for tests)."""

    def __call__(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None
    ) -> int | None: ...


def render_startup_config(
    *,
    expert: str = EA_NAME,
    symbol: str = "EURUSD",
    period: str = "H1",
    preset: str = PRESET_NAME,
) -> str:
    """The exact text of the start-up file (CRLF line ends, as Windows tools write it)."""
    if not _SYMBOL_RE.match(symbol):
        raise LaunchError(f"{symbol!r} is not a symbol name")
    if period not in _PERIODS:
        raise LaunchError(f"period must be one of {', '.join(_PERIODS)}")
    for name, value in (("expert", expert), ("preset", preset)):
        if not value or any(ch in value for ch in "\r\n=\x00"):
            raise LaunchError(f"{name} {value!r} cannot go into the start-up file")
    lines = [
        f"Expert={expert}",
        f"Symbol={symbol}",
        f"Period={period}",
        f"ExpertParameters={preset}",
        "ExpertsEnable=true",
        "ExpertsDllImport=true",
        "ExpertsTrades=true",
    ]
    return "\r\n".join(lines) + "\r\n"


def render_preset(inputs: Mapping[str, str] | None = None) -> str:
    """A ``.set`` file: one ``name=value`` line per EA input (none: the EA's own defaults)."""
    lines: list[str] = []
    for name, value in (inputs or {}).items():
        if not _INPUT_NAME_RE.match(name) or any(ch in value for ch in "\r\n\x00"):
            raise LaunchError(f"input {name!r} cannot go into the preset file")
        lines.append(f"{name}={value}")
    return "".join(line + "\r\n" for line in lines)


def _installed_ea_inputs(terminal: TerminalInfo) -> dict[str, str]:
    source = terminal.mql4_folder.joinpath(*EA_MAIN_FILE.split("/"))
    try:
        return parse_ea_inputs(decode_mql_source(source.read_bytes()))
    except OSError:
        return {}


def write_launch_files(
    terminal: TerminalInfo,
    *,
    symbol: str = "EURUSD",
    period: str = "H1",
    inputs: Mapping[str, str] | None = None,
) -> tuple[Path, Path]:
    """Write the start-up file and the preset; return their paths (config, preset).

    ``inputs`` None: the preset sets every input of the installed EA to its default value (empty
    overrides), so the EA takes its settings from companion.cfg.
    """
    config_text = render_startup_config(symbol=symbol, period=period)
    if inputs is None:
        inputs = _installed_ea_inputs(terminal)
    preset_text = render_preset(inputs)
    presets = terminal.mql4_folder / "Presets"
    config_dir = terminal.data_folder / "config"
    presets.mkdir(parents=True, exist_ok=True)
    config_dir.mkdir(parents=True, exist_ok=True)
    preset_path = presets / PRESET_NAME
    config_path = config_dir / STARTUP_CONFIG_NAME
    atomic_write_bytes(preset_path, preset_text.encode("ascii", errors="strict"))
    atomic_write_bytes(config_path, config_text.encode("ascii", errors="strict"))
    return config_path, preset_path


def _windows_path(path: Path, prefix: Path | None, platform: str) -> str:
    if platform == "win32":
        return str(path)
    in_prefix = windows_path_in_prefix(path) if prefix is not None else None
    if in_prefix is not None:
        return in_prefix
    return "Z:" + str(path.resolve()).replace("/", "\\")  # Wine maps Z: to "/"


def build_launch_command(
    terminal: TerminalInfo, config_path: Path, *, platform: str, wine: str | None
) -> list[str]:
    """``[wine] terminal.exe [/portable] <start-up file>``."""
    if terminal.terminal_exe is None:
        raise LaunchError("terminal.exe was not found")
    argv = [] if platform == "win32" else [wine or "wine"]
    argv.append(str(terminal.terminal_exe))
    if terminal.portable:
        argv.append("/portable")
    argv.append(_windows_path(config_path, terminal.wine_prefix, platform))
    return argv


def _default_starter(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None
) -> int | None:
    full_env = {**os.environ, **env} if env else None
    kwargs: dict[str, Any] = {}
    if sys.platform == "win32":
        # The terminal must outlive the app that started it.
        kwargs["creationflags"] = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(
            subprocess, "CREATE_NEW_PROCESS_GROUP", 0
        )
    else:
        kwargs["start_new_session"] = True
    process = subprocess.Popen(  # noqa: S603 - terminal.exe of a terminal the trader chose
        list(argv),
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **kwargs,
    )
    return process.pid


def launch_terminal(
    terminal: TerminalInfo,
    *,
    symbol: str = "EURUSD",
    period: str = "H1",
    inputs: Mapping[str, str] | None = None,
    starter: ProcessStarter | None = None,
    platform: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> LaunchResult:
    """Write the start-up files and start the terminal with our EA on a chart.

    Raises :class:`LaunchError` for a bad symbol, period or input before anything else happens;
    every other obstacle comes back as a result with ``started=False`` and a sentence.
    """
    render_startup_config(symbol=symbol, period=period)
    render_preset(inputs)
    plat = sys.platform if platform is None else platform
    start = _default_starter if starter is None else starter
    if not terminal.supported:
        return LaunchResult(False, "This is not an MT4 terminal; MT4 Companion supports MT4 only.")
    if not terminal.ea_installed:
        return LaunchResult(
            False, "The MT4 Companion EA is not installed here yet: install it first."
        )
    if terminal.terminal_exe is None:
        return LaunchResult(
            False,
            "terminal.exe was not found for this terminal, so it cannot be started from here. "
            "Start MT4 yourself and drag MT4Companion from the Navigator onto a chart.",
        )
    wine: str | None = None
    if plat != "win32":
        wine = which("wine") or which("wine64")
        if wine is None:
            return LaunchResult(False, "Wine is not installed, so MT4 cannot be started from here.")
    try:
        config_path, preset_path = write_launch_files(
            terminal, symbol=symbol, period=period, inputs=inputs
        )
    except OSError as exc:
        return LaunchResult(
            False, f"Cannot write the start-up settings: {exc.strerror or exc} ({exc.filename})."
        )
    argv = build_launch_command(terminal, config_path, platform=plat, wine=wine)
    env = {"WINEPREFIX": str(terminal.wine_prefix)} if wine and terminal.wine_prefix else None
    cwd = terminal.install_folder or terminal.data_folder
    logger.info("starting %s", argv)
    try:
        pid = start(argv, cwd=cwd, env=env)
    except OSError as exc:
        return LaunchResult(
            False,
            f"MT4 could not be started: {exc.strerror or exc}.",
            tuple(argv),
            config_path,
            preset_path,
        )
    return LaunchResult(
        started=True,
        message=f"MT4 is starting with MT4Companion on a {symbol} {period} chart.",
        command=tuple(argv),
        config_path=config_path,
        preset_path=preset_path,
        pid=pid,
        manual_steps=MANUAL_STEPS,
    )
