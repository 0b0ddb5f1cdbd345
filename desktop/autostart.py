"""Start with the OS: the Windows Run key, or an XDG autostart .desktop file on Linux."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sys
from pathlib import Path

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
VALUE_NAME = "MT4 Companion"
DESKTOP_FILE = "mt4-companion.desktop"


def launch_command() -> list[str]:
    """How the OS should start us: the frozen exe, else the console script, else python -m."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--minimized"]
    script = shutil.which("mt4-companion")
    if script:
        return [script, "--minimized"]
    return [sys.executable, "-m", "desktop.app", "--minimized"]


def xdg_autostart_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart"


def set_autostart(enabled: bool, command: list[str] | None = None) -> str:
    """Turn starting with the OS on or off; returns a sentence for the trader."""
    command = command or launch_command()
    if sys.platform == "win32":
        return _windows(enabled, command)
    if sys.platform.startswith("linux"):
        return _xdg(enabled, command)
    return "Starting with the OS is not supported on this system yet: add it to your login items."


def is_autostart_enabled() -> bool:
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, VALUE_NAME)
                return True
        except OSError:
            return False
    return (xdg_autostart_dir() / DESKTOP_FILE).is_file()


def _windows(enabled: bool, command: list[str]) -> str:
    import subprocess

    if sys.platform != "win32":  # also tells mypy winreg exists below
        raise OSError("the Run key exists on Windows only")
    import winreg

    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
        if enabled:
            winreg.SetValueEx(key, VALUE_NAME, 0, winreg.REG_SZ, subprocess.list2cmdline(command))
            return "MT4 Companion starts when you sign in to Windows."
        with contextlib.suppress(FileNotFoundError):
            winreg.DeleteValue(key, VALUE_NAME)
        return "MT4 Companion no longer starts with Windows."


def _xdg(enabled: bool, command: list[str]) -> str:
    path = xdg_autostart_dir() / DESKTOP_FILE
    if not enabled:
        path.unlink(missing_ok=True)
        return "MT4 Companion no longer starts when you log in."
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=MT4 Companion\n"
        "Comment=Keeps MetaTrader 4 terminals connected\n"
        f"Exec={shlex.join(command)}\n"
        "Icon=mt4-companion\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n",
        encoding="utf-8",
    )
    return f"MT4 Companion starts when you log in ({path})."
