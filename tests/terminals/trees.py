"""Build MetaTrader folder trees on disk the way real installations lay them out."""

from __future__ import annotations

from pathlib import Path

from gateway_core.terminals.data_folder_id import data_folder_id

MT4_DATA_SUBDIRS = (
    "MQL4/Experts",
    "MQL4/Include",
    "MQL4/Libraries",
    "MQL4/Files",
    "MQL4/Presets",
    "MQL4/Logs",
    "MQL4/Indicators",
    "MQL4/Scripts",
    "config",
    "history",
    "logs",
    "profiles",
    "templates",
    "tester",
)
MT5_DATA_SUBDIRS = ("MQL5/Experts", "MQL5/Include", "MQL5/Files", "Config", "Bases", "logs")

# Executables only need to exist; MZ is how every Windows program starts.
FAKE_EXE = b"MZ\x90\x00fake"


def origin_bytes(install_path: str, encoding: str = "utf-16") -> bytes:
    """origin.txt as terminals write it: UTF-16LE with BOM (newer builds) or plain text."""
    if encoding == "utf-16":
        return b"\xff\xfe" + install_path.encode("utf-16-le")
    if encoding == "utf-16-nobom":
        return install_path.encode("utf-16-le")
    if encoding == "utf-8-bom":
        return b"\xef\xbb\xbf" + install_path.encode("utf-8")
    return install_path.encode("utf-8")


def make_install(folder: Path, *, mt5: bool = False, metaeditor: bool = True) -> Path:
    """An installation folder: terminal.exe + metaeditor.exe (terminal64/metaeditor64 for MT5)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("terminal64.exe" if mt5 else "terminal.exe")).write_bytes(FAKE_EXE)
    if metaeditor:
        (folder / ("metaeditor64.exe" if mt5 else "metaeditor.exe")).write_bytes(FAKE_EXE)
    (folder / "uninstall.exe").write_bytes(FAKE_EXE)
    return folder


def make_data_folder(
    folder: Path,
    *,
    origin: str | None = None,
    encoding: str = "utf-16",
    mt5: bool = False,
    servers: tuple[str, ...] = (),
    raw_origin: bytes | None = None,
) -> Path:
    """A data folder with the usual sub-folders, origin.txt and server files."""
    for sub in MT5_DATA_SUBDIRS if mt5 else MT4_DATA_SUBDIRS:
        (folder / sub).mkdir(parents=True, exist_ok=True)
    if raw_origin is not None:
        (folder / "origin.txt").write_bytes(raw_origin)
    elif origin is not None:
        (folder / "origin.txt").write_bytes(origin_bytes(origin, encoding))
    config = folder / ("Config" if mt5 else "config")
    for server in servers:
        (config / f"{server}.srv").write_bytes(b"\x00\x01binary server list")
    return folder


def make_appdata_terminal(terminal_root: Path, install_windows_path: str, **kwargs: object) -> Path:
    """``<...>/MetaQuotes/Terminal/<id>`` for the installation at ``install_windows_path``."""
    folder = terminal_root / data_folder_id(install_windows_path)
    return make_data_folder(folder, origin=install_windows_path, **kwargs)  # type: ignore[arg-type]


def make_portable(folder: Path, *, mt5: bool = False) -> Path:
    """A portable installation: executables and data in one folder, no origin.txt."""
    make_install(folder, mt5=mt5)
    make_data_folder(folder, mt5=mt5)
    return folder


def wine_appdata_terminal_root(prefix: Path, user: str = "trader", old_style: bool = False) -> Path:
    roaming = (
        prefix / "drive_c" / "users" / user / "Application Data"
        if old_style
        else prefix / "drive_c" / "users" / user / "AppData" / "Roaming"
    )
    root = roaming / "MetaQuotes" / "Terminal"
    root.mkdir(parents=True, exist_ok=True)
    (root / "Common" / "Files").mkdir(parents=True, exist_ok=True)  # shared folder, not a terminal
    return root


EA_MAIN = """//+------------------------------------------------------------------+
//| MT4Companion.mq4 (test copy)                                     |
//+------------------------------------------------------------------+
#property copyright "MT4 Companion"
#property version   "{short}"
#property strict
#define COMPANION_EA_VERSION "{version}"
#include <MT4Companion/Config.mqh>
#include <MT4Companion/WebSocket.mqh>

input string GatewayURL = "";   // Gateway URL (empty: companion.cfg)
input int    TimerMs    = 0;    // Timer period in ms (0: companion.cfg)

int OnInit() {{ EventSetMillisecondTimer(25); return(INIT_SUCCEEDED); }}
void OnDeinit(const int reason) {{ EventKillTimer(); }}
void OnTimer() {{ }}
"""


def make_ea_package(
    root: Path, version: str = "1.2.0", extra: dict[str, str] | None = None
) -> Path:
    """A stand-in for ``ea/MQL4`` with our EA's layout and the given version."""
    major, minor, *_ = version.split(".")
    (root / "Experts").mkdir(parents=True, exist_ok=True)
    (root / "Include" / "MT4Companion").mkdir(parents=True, exist_ok=True)
    (root / "Experts" / "MT4Companion.mq4").write_text(
        EA_MAIN.format(version=version, short=f"{major}.{int(minor):02d}"), encoding="utf-8"
    )
    (root / "Include" / "MT4Companion" / "Config.mqh").write_text(
        f"// config reader {version}\n", encoding="utf-8"
    )
    (root / "Include" / "MT4Companion" / "WebSocket.mqh").write_text(
        f"// websocket client {version}\n", encoding="utf-8"
    )
    for relative, text in (extra or {}).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
