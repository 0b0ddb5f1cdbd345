"""``mt4-gateway`` subcommands for terminals: terminals, install-ea, uninstall-ea, launch.

``gateway_core.cli`` calls :func:`add_subcommands`; every handler is stored as ``handler`` in the
parsed namespace and returns the exit code: 0 done, 1 done with problems (reported), 2 bad
arguments (nothing changed). ``python -m gateway_core.terminals.cli_commands ...`` runs the same
commands without the rest of the CLI.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from gateway_core.terminals.compiler import CompileResult, compile_ea
from gateway_core.terminals.discovery import (
    DiscoveryResult,
    TerminalInfo,
    discover_terminals,
    inspect_terminal,
)
from gateway_core.terminals.ea_config import DEFAULT_GATEWAY_PORT, EaConfigError
from gateway_core.terminals.ea_package import EaPackageError
from gateway_core.terminals.installer import FileAction, InstallResult, install_ea, uninstall_ea
from gateway_core.terminals.launcher import LaunchError, LaunchResult, launch_terminal
from gateway_core.terminals.layout import NotAnMt4DataFolder, require_mt4_data_folder

__all__ = ["add_subcommands", "run"]

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_ARGS = 2

Handler = Callable[[argparse.Namespace], int]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is not between 1 and 65535")
    return value


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``terminals``, ``install-ea``, ``uninstall-ea`` and ``launch``."""
    terminals = subparsers.add_parser("terminals", help="list the MetaTrader terminals found")
    terminals.add_argument("--json", action="store_true", help="machine-readable output")
    terminals.add_argument(
        "--search-root",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="also search this folder (repeatable)",
    )
    terminals.add_argument(
        "--no-default-roots",
        action="store_true",
        help="search only the --search-root folders",
    )
    terminals.set_defaults(handler=_terminals_cmd)

    install = subparsers.add_parser(
        "install-ea", help="install or update the MT4 Companion EA in one terminal"
    )
    install.add_argument(
        "--terminal",
        required=True,
        type=Path,
        metavar="DATA_DIR",
        help="the terminal's data folder (MT4: File > Open Data Folder)",
    )
    install.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_GATEWAY_PORT,
        help=f"gateway port the EA connects to (default {DEFAULT_GATEWAY_PORT})",
    )
    install.add_argument(
        "--token", default=None, help="local gateway token (default: the gateway's own token file)"
    )
    install.add_argument("--agent-id", default="", help="fixed agent id (default: derived)")
    install.add_argument(
        "--agent-id-rule",
        choices=("login", "data_folder"),
        default="login",
        help="how the EA derives its agent id when --agent-id is not given",
    )
    install.add_argument("--no-compile", action="store_true", help="do not run MetaEditor")
    install.add_argument("--json", action="store_true", help="machine-readable output")
    install.set_defaults(handler=_install_cmd)

    uninstall = subparsers.add_parser(
        "uninstall-ea", help="remove the MT4 Companion EA from one terminal"
    )
    uninstall.add_argument("--terminal", required=True, type=Path, metavar="DATA_DIR")
    uninstall.add_argument("--json", action="store_true", help="machine-readable output")
    uninstall.set_defaults(handler=_uninstall_cmd)

    launch = subparsers.add_parser("launch", help="start MT4 with the EA on a chart")
    launch.add_argument("--terminal", required=True, type=Path, metavar="DATA_DIR")
    launch.add_argument("--symbol", default="EURUSD", help="chart symbol (default EURUSD)")
    launch.add_argument("--period", default="H1", help="chart period (default H1)")
    launch.add_argument("--json", action="store_true", help="machine-readable output")
    launch.set_defaults(handler=_launch_cmd)


# --------------------------------------------------------------------------- output helpers


def _emit_json(payload: dict[str, Any], out: TextIO) -> None:
    out.write(json.dumps(payload, indent=2) + "\n")


def _fail(command: str, message: str, code: int, as_json: bool) -> int:
    if as_json:
        _emit_json({"ok": False, "error": message}, sys.stdout)
    print(f"mt4-gateway {command}: {message}", file=sys.stderr)
    return code


def _describe_terminal(index: int, info: TerminalInfo) -> list[str]:
    name = info.broker or "Unknown broker"
    product = "MT4" if info.supported else "MT5, not supported"
    lines = [f"{index}. {name} ({product})"]
    if info.supported:
        if info.ea_installed:
            version = info.ea_version or "unknown version"
            lines.append(f"   MT4 Companion EA: installed ({version})")
        else:
            lines.append("   MT4 Companion EA: not installed")
    lines.append(f"   data folder:    {info.data_folder}")
    lines.append(f"   install folder: {info.install_folder or 'unknown'}")
    if info.servers:
        lines.append(f"   servers:        {', '.join(info.servers)}")
    exe = "yes" if info.terminal_exe else "no"
    editor = "yes" if info.metaeditor_exe else "no"
    mode = "portable" if info.portable else "normal"
    lines.append(
        f"   found via {info.found_via.value}, {mode} mode; terminal.exe: {exe}, "
        f"metaeditor.exe: {editor}"
    )
    lines.extend(f"   problem: {p}" for p in info.problems)
    return lines


def _print_discovery(result: DiscoveryResult) -> None:
    if not result.terminals:
        print("No MetaTrader terminals found.")
    else:
        count = len(result.terminals)
        print(f"Found {count} terminal{'s' if count != 1 else ''}:")
        for index, info in enumerate(result.terminals, start=1):
            print("\n".join(_describe_terminal(index, info)))
    for problem in result.problems:
        print(f"note: {problem}")


def _print_files(result: InstallResult) -> None:
    for outcome in result.files:
        if outcome.action is FileAction.UNCHANGED:
            continue
        print(f"  {outcome.action.value:<10} {outcome.relative_path}: {outcome.reason}")


# --------------------------------------------------------------------------- handlers


def _terminals_cmd(args: argparse.Namespace) -> int:
    result = discover_terminals(args.search_root, include_default_roots=not args.no_default_roots)
    if args.json:
        _emit_json(result.to_json(), sys.stdout)
    else:
        _print_discovery(result)
    return EXIT_OK


def _resolve_terminal(command: str, folder: Path, as_json: bool) -> TerminalInfo | int:
    folder = folder.expanduser().absolute()
    try:
        require_mt4_data_folder(folder)
    except NotAnMt4DataFolder as exc:
        return _fail(command, str(exc), EXIT_BAD_ARGS, as_json)
    info = inspect_terminal(folder)
    if info is None:
        return _fail(command, f"{folder} is not an MT4 data folder", EXIT_BAD_ARGS, as_json)
    return info


def _gateway_token(explicit: str | None) -> str:
    # Imported here: the token store belongs to the gateway, and importing it lazily keeps this
    # package usable (and testable) on its own.
    from gateway_core.local_token import load_or_create_token, validate_token

    return validate_token(explicit) if explicit is not None else load_or_create_token()


def _install_cmd(args: argparse.Namespace) -> int:
    command = "install-ea"
    resolved = _resolve_terminal(command, args.terminal, args.json)
    if isinstance(resolved, int):
        return resolved
    try:
        token = _gateway_token(args.token)
    except Exception as exc:  # TokenError, kept generic so the import stays lazy
        return _fail(command, str(exc), EXIT_BAD_ARGS, args.json)
    try:
        result = install_ea(
            resolved.data_folder,
            token=token,
            gateway_port=args.port,
            agent_id=args.agent_id,
            agent_id_rule=args.agent_id_rule,
        )
    except (NotAnMt4DataFolder, EaConfigError) as exc:
        return _fail(command, str(exc), EXIT_BAD_ARGS, args.json)
    except EaPackageError as exc:
        return _fail(command, str(exc), EXIT_PROBLEMS, args.json)

    compiled: CompileResult | None = None
    if result.ok and not args.no_compile:
        refreshed = inspect_terminal(resolved.data_folder) or resolved
        compiled = compile_ea(refreshed)
    code = (
        EXIT_OK
        if result.ok and (compiled is None or compiled.ok or not compiled.attempted)
        else (EXIT_PROBLEMS)
    )
    if args.json:
        _emit_json(
            {
                "ok": code == EXIT_OK,
                "install": result.to_json(),
                "compile": compiled.to_json() if compiled else None,
            },
            sys.stdout,
        )
        return code
    print(result.message)
    _print_files(result)
    if compiled is not None:
        print(compiled.message)
    return code


def _uninstall_cmd(args: argparse.Namespace) -> int:
    command = "uninstall-ea"
    resolved = _resolve_terminal(command, args.terminal, args.json)
    if isinstance(resolved, int):
        return resolved
    result = uninstall_ea(resolved.data_folder)
    code = EXIT_OK if result.ok else EXIT_PROBLEMS
    if args.json:
        _emit_json({"ok": result.ok, "uninstall": result.to_json()}, sys.stdout)
        return code
    print(result.message)
    _print_files(result)
    return code


def _launch_cmd(args: argparse.Namespace) -> int:
    command = "launch"
    resolved = _resolve_terminal(command, args.terminal, args.json)
    if isinstance(resolved, int):
        return resolved
    try:
        result: LaunchResult = launch_terminal(resolved, symbol=args.symbol, period=args.period)
    except LaunchError as exc:
        return _fail(command, str(exc), EXIT_BAD_ARGS, args.json)
    code = EXIT_OK if result.started else EXIT_PROBLEMS
    if args.json:
        _emit_json({"ok": result.started, "launch": result.to_json()}, sys.stdout)
        return code
    print(result.message)
    if result.manual_steps:
        print("Still to do by hand in MT4:")
        for number, step in enumerate(result.manual_steps, start=1):
            print(f"  {number}. {step}")
    return code


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` with only these subcommands and run the chosen one."""
    parser = argparse.ArgumentParser(prog="mt4-gateway")
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    add_subcommands(sub)
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(run())
