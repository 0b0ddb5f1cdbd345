"""Compile our EA with the terminal's own MetaEditor and report the result in words.

``metaeditor.exe /compile:"<file>" /include:"<MQL4 folder>" /log:"<file>"`` compiles one file;
its exit code is the number of files compiled (0: failed) and the log is UTF-16LE with a BOM.
Log lines look like::

    MT4Companion.mq4 : information: compiling 'MT4Companion.mq4'
    MT4Companion.mq4(12,5) : error 256: 'x' - undeclared identifier
    MT4Companion.mq4(20,3) : warning 43: possible loss of data due to type conversion
    Result: 1 errors, 1 warnings, 123 msec elapsed      (newer builds)
    1 error(s), 1 warning(s)                           (older builds)

Off Windows, MetaEditor runs under Wine in the terminal's own prefix. Without MetaEditor or Wine
we say that the terminal compiles the EA itself on its next start (widely reported behaviour).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol

from gateway_core.terminals.data_folder_id import windows_path_in_prefix
from gateway_core.terminals.discovery import TerminalInfo
from gateway_core.terminals.ea_package import EA_MAIN_FILE
from gateway_core.terminals.installer import record_compiled_file

__all__ = [
    "COMPILE_LOG_RELATIVE_PATH",
    "CompileLog",
    "CompileResult",
    "CompilerMessage",
    "ProcessRunner",
    "build_compile_command",
    "compile_ea",
    "decode_compile_log",
    "parse_compile_log",
    "windows_command_line",
]

logger = logging.getLogger(__name__)

# Relative to the MQL4 folder: MQL4\Logs is where the terminal keeps MQL-related logs already.
COMPILE_LOG_RELATIVE_PATH = "Logs/MT4Companion-compile.log"
DEFAULT_TIMEOUT_S = 180.0

_DIAG_RE = re.compile(
    r"^(?P<file>.*?)(?:\((?P<line>\d+)\s*,\s*(?P<col>\d+)\))?\s*:\s*"
    r"(?P<sev>error|warning)(?:\s+(?P<code>\d+))?\s*:\s*(?P<text>.*)$",
    re.IGNORECASE,
)
_SUMMARY_RE = re.compile(
    r"(?P<errors>\d+)\s+errors?(?:\(s\))?\s*,\s*(?P<warnings>\d+)\s+warnings?(?:\(s\))?",
    re.IGNORECASE,
)
_INFO_RE = re.compile(r"\s:\s*information\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class CompilerMessage:
    """One error or warning from the compile log."""

    severity: Literal["error", "warning"]
    file: str
    line: int | None
    column: int | None
    code: int | None
    text: str

    def describe(self) -> str:
        name = PurePosixPath(self.file.replace("\\", "/")).name or self.file
        where = name
        if self.line is not None:
            where += f" line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        code = f" {self.code}" if self.code is not None else ""
        return f"{where}: {self.severity}{code}: {self.text}"

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "text": self.text,
        }


@dataclass(frozen=True)
class CompileLog:
    errors: tuple[CompilerMessage, ...]
    warnings: tuple[CompilerMessage, ...]
    summary_errors: int | None
    summary_warnings: int | None

    @property
    def error_count(self) -> int:
        return max(len(self.errors), self.summary_errors or 0)

    @property
    def warning_count(self) -> int:
        return max(len(self.warnings), self.summary_warnings or 0)


def decode_compile_log(raw: bytes) -> str:
    """MetaEditor writes UTF-16LE with a BOM; accept UTF-8/ANSI logs too (hand-made, old builds)."""
    if raw.startswith(b"\xff\xfe"):
        return raw[2:].decode("utf-16-le", errors="replace")
    if len(raw) >= 2 and raw[1] == 0:
        return raw.decode("utf-16-le", errors="replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def parse_compile_log(text: str) -> CompileLog:
    """Pick the errors, warnings and the summary counts out of a MetaEditor log."""
    errors: list[CompilerMessage] = []
    warnings: list[CompilerMessage] = []
    summary_errors: int | None = None
    summary_warnings: int | None = None
    for raw_line in text.splitlines():
        line = raw_line.strip().lstrip("\ufeff")
        if not line or _INFO_RE.search(line):
            continue
        match = _DIAG_RE.match(line)
        if match:
            severity: Literal["error", "warning"] = (
                "error" if match.group("sev").lower() == "error" else "warning"
            )
            message = CompilerMessage(
                severity=severity,
                file=match.group("file").strip(),
                line=int(match.group("line")) if match.group("line") else None,
                column=int(match.group("col")) if match.group("col") else None,
                code=int(match.group("code")) if match.group("code") else None,
                text=match.group("text").strip(),
            )
            (errors if severity == "error" else warnings).append(message)
            continue
        summary = _SUMMARY_RE.search(line)
        if summary:
            # A folder compile writes one summary per file: add them up.
            summary_errors = (summary_errors or 0) + int(summary.group("errors"))
            summary_warnings = (summary_warnings or 0) + int(summary.group("warnings"))
    return CompileLog(tuple(errors), tuple(warnings), summary_errors, summary_warnings)


@dataclass(frozen=True)
class CompileResult:
    """What happened when we tried to compile, with a sentence for the trader."""

    attempted: bool
    ok: bool
    files_compiled: int
    message: str
    errors: tuple[CompilerMessage, ...] = ()
    warnings: tuple[CompilerMessage, ...] = ()
    log_path: Path | None = None
    command: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "attempted": self.attempted,
            "ok": self.ok,
            "files_compiled": self.files_compiled,
            "message": self.message,
            "errors": [e.to_json() for e in self.errors],
            "warnings": [w.to_json() for w in self.warnings],
            "log_path": str(self.log_path) if self.log_path else None,
            "command": list(self.command),
        }


class ProcessRunner(Protocol):
    """Runs a program to completion and returns its exit code (injectable for tests)."""

    def __call__(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None, timeout: float
    ) -> int: ...


_SWITCH_RE = re.compile(r"^(/[A-Za-z]+:)(.*)$")


def windows_command_line(argv: Sequence[str]) -> str:
    """Build the command line MetaEditor expects: ``/compile:"C:\\a b\\x.mq4"``.

    ``subprocess.list2cmdline`` would quote the whole switch and escape inner quotes, which
    MetaEditor's own parser does not understand.
    """
    parts = [f'"{argv[0]}"']
    for arg in argv[1:]:
        match = _SWITCH_RE.match(arg)
        if match:
            parts.append(f'{match.group(1)}"{match.group(2)}"')
        else:
            parts.append(subprocess.list2cmdline([arg]))
    return " ".join(parts)


def _default_runner(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None, timeout: float
) -> int:
    full_env = {**os.environ, **env} if env else None
    command: str | list[str] = windows_command_line(argv) if sys.platform == "win32" else list(argv)
    completed = subprocess.run(  # noqa: S603 - the program is MetaEditor (or wine) from the terminal
        command,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return completed.returncode


def _windows_path(path: Path, prefix: Path | None, platform: str) -> str:
    if platform == "win32":
        return str(path)
    in_prefix = windows_path_in_prefix(path) if prefix is not None else None
    if in_prefix is not None:
        return in_prefix
    # Wine maps drive Z: to the host's "/".
    return "Z:" + str(path.resolve()).replace("/", "\\")


def build_compile_command(
    terminal: TerminalInfo,
    metaeditor: Path,
    *,
    source_relative: str = EA_MAIN_FILE,
    platform: str,
    wine: str | None,
) -> list[str]:
    """The argv to run, relative to the data folder as working directory.

    Under Wine the source and log are given relative to the data folder (their names have no
    spaces): Wine re-quotes arguments that contain spaces in a way MetaEditor is reported to
    misread. On Windows the absolute, documented form is used.
    """
    source_parts = ["MQL4", *PurePosixPath(source_relative).parts]
    log_parts = ["MQL4", *PurePosixPath(COMPILE_LOG_RELATIVE_PATH).parts]
    mql4 = terminal.data_folder / "MQL4"
    if platform == "win32":
        return [
            str(metaeditor),
            f"/compile:{terminal.data_folder.joinpath(*source_parts)}",
            f"/include:{mql4}",
            f"/log:{terminal.data_folder.joinpath(*log_parts)}",
        ]
    include = _windows_path(mql4, terminal.wine_prefix, platform)
    argv = [
        wine or "wine",
        str(metaeditor),
        "/compile:" + "\\".join(source_parts),
        "/log:" + "\\".join(log_parts),
    ]
    if " " not in include or terminal.portable:
        argv.insert(3, f"/include:{include}")
    return argv


def _not_attempted(reason: str) -> CompileResult:
    return CompileResult(
        attempted=False,
        ok=False,
        files_compiled=0,
        message=f"{reason}. The terminal compiles MT4Companion.mq4 itself the next time it starts "
        "(or when you right-click Expert Advisors in the Navigator and choose Refresh).",
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def compile_ea(
    terminal: TerminalInfo,
    *,
    source_relative: str = EA_MAIN_FILE,
    runner: ProcessRunner | None = None,
    platform: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> CompileResult:
    """Compile ``source_relative`` (relative to MQL4) with the terminal's MetaEditor."""
    plat = sys.platform if platform is None else platform
    run = _default_runner if runner is None else runner
    name = PurePosixPath(source_relative).name
    if not terminal.supported:
        return _not_attempted("This is not an MT4 terminal, so MT4 Companion does not compile here")
    if terminal.metaeditor_exe is None:
        return _not_attempted("MetaEditor (metaeditor.exe) was not found next to this terminal")
    source = terminal.mql4_folder.joinpath(*PurePosixPath(source_relative).parts)
    if not source.is_file():
        return CompileResult(False, False, 0, f"{name} is not installed in this terminal yet.")
    wine: str | None = None
    if plat != "win32":
        wine = which("wine") or which("wine64")
        if wine is None:
            return _not_attempted("Wine is not installed, so MetaEditor cannot run here")

    log_path = terminal.mql4_folder.joinpath(*PurePosixPath(COMPILE_LOG_RELATIVE_PATH).parts)
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # A log left from an earlier run must not be mistaken for this run's.
        log_path.unlink(missing_ok=True)
    except OSError as exc:
        return CompileResult(
            True, False, 0, f"Cannot prepare the compile log {log_path}: {exc.strerror or exc}."
        )
    binary = source.with_suffix(".ex4")
    before = _mtime(binary)
    argv = build_compile_command(
        terminal, terminal.metaeditor_exe, source_relative=source_relative, platform=plat, wine=wine
    )
    env = {"WINEPREFIX": str(terminal.wine_prefix)} if wine and terminal.wine_prefix else None
    logger.info("compiling %s with %s", source, terminal.metaeditor_exe)
    try:
        exit_code = run(argv, cwd=terminal.data_folder, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return CompileResult(
            True,
            False,
            0,
            f"MetaEditor did not finish within {timeout:.0f} seconds.",
            command=tuple(argv),
        )
    except OSError as exc:
        return CompileResult(
            True,
            False,
            0,
            f"MetaEditor could not be started: {exc.strerror or exc}.",
            command=tuple(argv),
        )

    try:
        log = parse_compile_log(decode_compile_log(log_path.read_bytes()))
        have_log = True
    except OSError:
        log = CompileLog((), (), None, None)
        have_log = False
    fresh_binary = _mtime(binary) not in (None, before)
    files_compiled = max(exit_code, 0)
    ok = (
        log.error_count == 0 and (files_compiled > 0 or fresh_binary) and (have_log or fresh_binary)
    )

    if ok:
        with contextlib.suppress(OSError):
            record_compiled_file(
                terminal.mql4_folder, str(PurePosixPath(source_relative).with_suffix(".ex4"))
            )
        if log.warning_count:
            shown = "; ".join(w.describe() for w in log.warnings[:3])
            message = f"{name} compiled with {_plural(log.warning_count, 'warning')}: {shown}"
        else:
            message = f"{name} compiled without errors or warnings."
    elif log.error_count:
        shown = "; ".join(e.describe() for e in log.errors[:5])
        message = (
            f"{name} did not compile: {_plural(log.error_count, 'error')}, "
            f"{_plural(log.warning_count, 'warning')}. {shown}"
        )
    elif not have_log:
        message = (
            f"MetaEditor ran (exit code {exit_code}) but wrote no log and no {binary.name}; "
            f"{name} was probably not compiled."
        )
    else:
        message = f"MetaEditor reports that it compiled nothing (exit code {exit_code})."
    return CompileResult(
        attempted=True,
        ok=ok,
        files_compiled=files_compiled,
        message=message,
        errors=log.errors,
        warnings=log.warnings,
        log_path=log_path if have_log else None,
        command=tuple(argv),
    )


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
