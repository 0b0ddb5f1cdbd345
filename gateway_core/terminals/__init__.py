"""Terminal integration: find MT4 terminals, install our EA, compile it, start MT4 with it.

UI-free: the desktop app's Terminals page and the ``mt4-gateway`` CLI both sit on top of this.
"""

from gateway_core.terminals.compiler import CompileResult, compile_ea, parse_compile_log
from gateway_core.terminals.data_folder_id import data_folder_id
from gateway_core.terminals.discovery import (
    DiscoveryResult,
    FoundVia,
    TerminalInfo,
    discover_terminals,
    inspect_terminal,
)
from gateway_core.terminals.ea_config import EaConfig, EaConfigError, render_ea_config
from gateway_core.terminals.ea_package import EaPackage, EaPackageError, load_ea_package
from gateway_core.terminals.installer import (
    FileAction,
    FileOutcome,
    InstallResult,
    install_ea,
    uninstall_ea,
)
from gateway_core.terminals.launcher import (
    LaunchError,
    LaunchResult,
    launch_terminal,
    render_startup_config,
)
from gateway_core.terminals.layout import NotAnMt4DataFolder, TerminalKind

__all__ = [
    "CompileResult",
    "DiscoveryResult",
    "EaConfig",
    "EaConfigError",
    "EaPackage",
    "EaPackageError",
    "FileAction",
    "FileOutcome",
    "FoundVia",
    "InstallResult",
    "LaunchError",
    "LaunchResult",
    "NotAnMt4DataFolder",
    "TerminalInfo",
    "TerminalKind",
    "compile_ea",
    "data_folder_id",
    "discover_terminals",
    "inspect_terminal",
    "install_ea",
    "launch_terminal",
    "load_ea_package",
    "parse_compile_log",
    "render_ea_config",
    "render_startup_config",
    "uninstall_ea",
]
