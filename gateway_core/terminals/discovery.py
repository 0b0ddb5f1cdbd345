"""Find every MetaTrader terminal on this machine and describe it.

Where terminals live:

- Windows, normal mode: ``%APPDATA%\\MetaQuotes\\Terminal\\<32 hex>\\`` data folders whose
  ``origin.txt`` names the installation folder (usually in Program Files).
- Portable mode and old builds: the data stays in the installation folder itself.
- Linux/macOS: the same two layouts inside Wine prefixes (``~/.wine``, ``~/.mt4``, ``$WINEPREFIX``,
  other ``~/.wine*``), the macOS MetaTrader 4 app's prefix and CrossOver bottles.

An installation folder is tied to its data folder through origin.txt or, when that is broken,
through the folder id (the MD5 of the installation path, see :mod:`data_folder_id`). Nothing in
here raises on junk or unreadable folders: each problem is reported next to what was found.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from gateway_core.terminals.data_folder_id import (
    data_folder_id,
    host_path_from_windows,
    is_data_folder_id,
    windows_path_in_prefix,
    wine_prefix_of,
)
from gateway_core.terminals.installer import installed_state
from gateway_core.terminals.layout import (
    MQL4_DIR,
    MQL5_DIR,
    MT4_METAEDITOR,
    MT4_TERMINAL,
    MT5_METAEDITOR,
    MT5_TERMINAL,
    ORIGIN,
    TerminalKind,
    classify_folder,
)
from gateway_core.terminals.origin import read_origin

__all__ = [
    "DiscoveryResult",
    "FoundVia",
    "RootKind",
    "SearchRoot",
    "TerminalInfo",
    "broker_from_folder_name",
    "default_search_roots",
    "discover_terminals",
    "inspect_terminal",
]

logger = logging.getLogger(__name__)

# How deep to look below a Program Files folder or an explicit root: installers use
# "Program Files/<Broker>/<Product>/terminal.exe" at most; deeper trees are not terminals and
# scanning them would make a search on a big disk slow.
_INSTALL_SCAN_DEPTH = 3
_EXPLICIT_SCAN_DEPTH = 4
# Upper bound on folders listed per root, so a huge tree cannot stall the app.
_MAX_FOLDERS_PER_ROOT = 20000
# Folders that never hold terminals and are large (Wine's C:\windows) or locked down
# (C:\Program Files\WindowsApps): searching them is slow and would report "permission denied"
# on every Windows machine.
_SKIP_DIRS = {
    "$recycle.bin",
    "common files",
    "dotnet",
    "internet explorer",
    "modifiablewindowsapps",
    "msbuild",
    "node_modules",
    "programdata",
    "reference assemblies",
    "system volume information",
    "uninstall information",
}
_SKIP_PREFIXES = ("windows", "microsoft")


def _skip_dir(name: str) -> bool:
    lower = name.lower()
    return lower in _SKIP_DIRS or lower.startswith(_SKIP_PREFIXES) or name.startswith(".")


class FoundVia(enum.StrEnum):
    """Which kind of search root a terminal was found under."""

    APPDATA = "appdata"
    PORTABLE = "portable"
    WINE_PREFIX = "wine-prefix"
    MACOS_APP = "macos-app"
    CROSSOVER = "crossover"
    EXPLICIT_ROOT = "explicit-root"


class RootKind(enum.StrEnum):
    """How to search a root."""

    APPDATA_TERMINALS = "appdata-terminals"  # ...\MetaQuotes\Terminal holding <32 hex> folders
    PROGRAM_FILES = "program-files"  # installs below it, possibly portable
    WINE_PREFIX = "wine-prefix"  # a folder holding drive_c
    ANY = "any"  # a folder given by the user or a test: could be any of the above


@dataclass(frozen=True)
class SearchRoot:
    path: Path
    kind: RootKind
    found_via: FoundVia


@dataclass(frozen=True)
class TerminalInfo:
    """One terminal as the trader would recognise it."""

    data_folder: Path
    install_folder: Path | None
    kind: TerminalKind
    portable: bool
    found_via: FoundVia
    broker: str | None = None
    broker_source: str | None = None
    servers: tuple[str, ...] = ()
    ea_installed: bool = False
    ea_version: str | None = None
    terminal_exe: Path | None = None
    metaeditor_exe: Path | None = None
    wine_prefix: Path | None = None
    origin_path: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def supported(self) -> bool:
        return self.kind is TerminalKind.MT4

    @property
    def mql4_folder(self) -> Path:
        return self.data_folder / MQL4_DIR

    def to_json(self) -> dict[str, Any]:
        def text(path: Path | None) -> str | None:
            return str(path) if path is not None else None

        return {
            "data_folder": str(self.data_folder),
            "install_folder": text(self.install_folder),
            "kind": self.kind.value,
            "supported": self.supported,
            "portable": self.portable,
            "found_via": self.found_via.value,
            "broker": self.broker,
            "broker_source": self.broker_source,
            "servers": list(self.servers),
            "ea_installed": self.ea_installed,
            "ea_version": self.ea_version,
            "terminal_exe": text(self.terminal_exe),
            "metaeditor_exe": text(self.metaeditor_exe),
            "wine_prefix": text(self.wine_prefix),
            "origin_path": self.origin_path,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class DiscoveryResult:
    terminals: tuple[TerminalInfo, ...]
    problems: tuple[str, ...] = ()
    searched: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "terminals": [t.to_json() for t in self.terminals],
            "problems": list(self.problems),
            "searched": list(self.searched),
        }


# --------------------------------------------------------------------------- roots


def default_search_roots(
    *,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> list[SearchRoot]:
    """The places terminals are usually found on this kind of system (existing or not)."""
    env = os.environ if environ is None else environ
    home_dir = Path.home() if home is None else home
    plat = sys.platform if platform is None else platform
    roots: list[SearchRoot] = []
    if plat == "win32":
        appdata = env.get("APPDATA")
        appdata_dir = Path(appdata) if appdata else home_dir / "AppData" / "Roaming"
        roots.append(
            SearchRoot(
                appdata_dir / "MetaQuotes" / "Terminal",
                RootKind.APPDATA_TERMINALS,
                FoundVia.APPDATA,
            )
        )
        seen: set[str] = set()
        for var in ("ProgramFiles", "ProgramFiles(x86)", "ProgramW6432"):
            value = env.get(var)
            if value and value.lower() not in seen:
                seen.add(value.lower())
                roots.append(SearchRoot(Path(value), RootKind.PROGRAM_FILES, FoundVia.PORTABLE))
        return roots

    prefixes: list[Path] = [home_dir / ".wine", home_dir / ".mt4"]
    wineprefix = env.get("WINEPREFIX")
    if wineprefix:
        prefixes.append(Path(wineprefix).expanduser())
    with contextlib.suppress(OSError):
        prefixes.extend(sorted(p for p in home_dir.glob(".wine*") if p.is_dir()))
    # winetricks keeps its prefixes here.
    with contextlib.suppress(OSError):
        winetricks = home_dir / ".local" / "share" / "wineprefixes"
        prefixes.extend(sorted(p for p in winetricks.iterdir() if p.is_dir()))
    # The same prefix may be reached twice (~/.wine is also matched by ~/.wine*).
    prefixes = list(dict.fromkeys(prefixes))
    roots.extend(SearchRoot(p, RootKind.WINE_PREFIX, FoundVia.WINE_PREFIX) for p in prefixes)
    support = home_dir / "Library" / "Application Support"
    roots.append(
        SearchRoot(
            support / "net.metaquotes.wine.metatrader4", RootKind.WINE_PREFIX, FoundVia.MACOS_APP
        )
    )
    try:
        bottles = sorted(p for p in (support / "CrossOver" / "Bottles").iterdir() if p.is_dir())
    except OSError:
        bottles = []
    roots.extend(SearchRoot(b, RootKind.WINE_PREFIX, FoundVia.CROSSOVER) for b in bottles)
    return roots


# --------------------------------------------------------------------------- scanning


@dataclass
class _Candidate:
    path: Path
    found_via: FoundVia
    prefix: Path | None


@dataclass
class _Scan:
    platform: str
    data: list[_Candidate] = field(default_factory=list)
    installs: list[_Candidate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    listed: int = 0

    def listdir(self, folder: Path) -> list[Path] | None:
        self.listed += 1
        try:
            return sorted(folder.iterdir(), key=lambda p: p.name.lower())
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except PermissionError:
            self.problems.append(f"cannot look inside {folder}: permission denied")
            return None
        except OSError as exc:
            self.problems.append(f"cannot look inside {folder}: {exc.strerror or exc}")
            return None


def _is_real_dir(path: Path) -> bool:
    # Symlinked folders are not followed while walking: Wine links user folders to $HOME and
    # dosdevices to "/", which would turn a search into a scan of the whole disk (or a loop).
    try:
        return path.is_dir() and not path.is_symlink()
    except OSError:
        return False


def _names(entries: list[Path]) -> dict[str, Path]:
    return {e.name.lower(): e for e in entries}


def _is_file(path: Path | None) -> bool:
    try:
        return path is not None and path.is_file()
    except OSError:
        return False


def _is_dir(path: Path | None) -> bool:
    try:
        return path is not None and path.is_dir()
    except OSError:
        return False


def _has_exe(names: dict[str, Path]) -> bool:
    return _is_file(names.get(MT4_TERMINAL)) or _is_file(names.get(MT5_TERMINAL))


def _scan_appdata_terminals(scan: _Scan, folder: Path, via: FoundVia, prefix: Path | None) -> None:
    entries = scan.listdir(folder)
    for entry in entries or []:
        # "Common" and "Community" live here too; only <32 hex> folders are terminals.
        if is_data_folder_id(entry.name) and _is_dir(entry):
            scan.data.append(_Candidate(entry, via, prefix))


def _walk(scan: _Scan, folder: Path, depth: int, via: FoundVia, prefix: Path | None) -> None:
    if scan.listed >= _MAX_FOLDERS_PER_ROOT:
        return
    entries = scan.listdir(folder)
    if entries is None:
        return
    names = _names(entries)
    if prefix is None and _is_dir(names.get("drive_c")):
        _scan_wine_prefix(scan, folder, via)
        return
    if _has_exe(names):
        scan.installs.append(_Candidate(folder, via, prefix))
        return
    if (
        _is_file(names.get(ORIGIN))
        or _is_dir(names.get(MQL4_DIR.lower()))
        or _is_dir(names.get(MQL5_DIR.lower()))
    ):
        scan.data.append(_Candidate(folder, via, prefix))
        return
    if folder.name.lower() == "terminal" and any(is_data_folder_id(e.name) for e in entries):
        _scan_appdata_terminals(scan, folder, via, prefix)
        return
    if depth <= 0:
        return
    for entry in entries:
        if prefix is None and entry.name.startswith(".") and _is_dir(entry / "drive_c"):
            # Hidden folders are skipped, except Wine prefixes such as ~/.wine and ~/.mt4.
            _scan_wine_prefix(scan, entry, via)
            continue
        if _skip_dir(entry.name):
            continue
        if _is_real_dir(entry):
            _walk(scan, entry, depth - 1, via, prefix)
        if scan.listed >= _MAX_FOLDERS_PER_ROOT:
            scan.problems.append(f"stopped searching {folder}: too many folders")
            return


def _scan_wine_prefix(scan: _Scan, prefix: Path, via: FoundVia) -> None:
    drive_c = prefix / "drive_c"
    entries = scan.listdir(drive_c)
    if entries is None:
        return
    for entry in entries:
        if _skip_dir(entry.name) or entry.name.lower() == "users" or not _is_real_dir(entry):
            continue
        # Program Files*, and folders like C:\MT4 that some traders install to.
        _walk(scan, entry, _INSTALL_SCAN_DEPTH - 1, via, prefix)
    for user in scan.listdir(drive_c / "users") or []:
        if not _is_dir(user):
            continue
        user_names = _names(scan.listdir(user) or [])
        bases: list[Path] = []
        appdata = user_names.get("appdata")
        if appdata is not None:
            roaming = _names(scan.listdir(appdata) or []).get("roaming")
            if roaming is not None:
                bases.append(roaming)
        old_style = user_names.get("application data")  # Wine before 7 / XP-style profiles
        if old_style is not None and _is_dir(old_style):
            bases.append(old_style)
        for base in bases:
            metaquotes = _names(scan.listdir(base) or []).get("metaquotes")
            if metaquotes is None:
                continue
            terminal = _names(scan.listdir(metaquotes) or []).get("terminal")
            if terminal is not None:
                _scan_appdata_terminals(scan, terminal, via, prefix)


def _scan_root(scan: _Scan, root: SearchRoot) -> None:
    path = root.path
    if not _is_dir(path):
        return
    scan.listed = 0
    if root.kind is RootKind.APPDATA_TERMINALS:
        _scan_appdata_terminals(scan, path, root.found_via, wine_prefix_of(path))
    elif root.kind is RootKind.WINE_PREFIX:
        if _is_dir(path / "drive_c"):
            _scan_wine_prefix(scan, path, root.found_via)
    elif root.kind is RootKind.PROGRAM_FILES:
        _walk(scan, path, _INSTALL_SCAN_DEPTH, root.found_via, wine_prefix_of(path))
    else:
        _walk(scan, path, _EXPLICIT_SCAN_DEPTH, root.found_via, wine_prefix_of(path))


# --------------------------------------------------------------------------- describing

_BROKER_NOISE = re.compile(
    r"meta\s*trader\s*(?:4|iv)?|\bmt4\b|\bmt\s*4\b|client\s+terminal|\bterminal\b|\bportable\b"
    r"|trading\s+platform|\bplatform\b|\bx64\b|\(x86\)",
    re.IGNORECASE,
)


def broker_from_folder_name(name: str) -> str | None:
    """Guess the broker from an install folder name ("IC Markets - MetaTrader 4" -> "IC Markets").

    None when only product words remain (e.g. "MetaTrader 4"): better no name than a wrong one.
    """
    text = _BROKER_NOISE.sub(" ", name)
    text = re.sub(r"[\s\-_.,()\[\]]+", " ", text).strip()
    if not text or text.isdigit() or len(text) < 2:
        return None
    return text


def _server_names(folders: Iterable[Path | None]) -> tuple[str, ...]:
    servers: set[str] = set()
    for folder in folders:
        if folder is None:
            continue
        config = next(
            (p for p in _safe_children(folder) if p.name.lower() == "config" and _is_dir(p)), None
        )
        if config is None:
            continue
        for entry in _safe_children(config):
            if entry.suffix.lower() == ".srv" and _is_file(entry):
                servers.add(entry.stem)
    return tuple(sorted(servers, key=str.lower))


def _safe_children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _broker_from_servers(servers: tuple[str, ...]) -> str | None:
    # Server names look like "<Company>-<Server>" ("ICMarketsSC-Demo", "MetaQuotes-Demo").
    companies = {s.split("-", 1)[0].strip() for s in servers if s.split("-", 1)[0].strip()}
    return companies.pop() if len(companies) == 1 else None


def _writable_problem(data_folder: Path, kind: TerminalKind) -> str | None:
    mql = data_folder / (MQL4_DIR if kind is TerminalKind.MT4 else MQL5_DIR)
    if mql.exists() and not mql.is_dir():
        return f"{mql.name} is a file, not a folder: the EA cannot be installed"
    target = mql if mql.is_dir() else data_folder
    if not os.access(target, os.W_OK):
        return "folder not writable: the EA cannot be installed here"
    return None


def _windows_path_of(path: Path, prefix: Path | None, platform: str) -> str | None:
    if prefix is not None:
        return windows_path_in_prefix(path)
    if platform == "win32":
        return str(path)
    return None


def _host_path_of(origin: str, prefix: Path | None, platform: str) -> Path | None:
    if prefix is not None:
        return host_path_from_windows(origin, prefix)
    if platform == "win32" or origin.startswith("/"):
        return Path(origin)
    return None


def _describe(
    data_folder: Path,
    *,
    found_via: FoundVia,
    prefix: Path | None,
    portable: bool,
    platform: str,
    install_hint: Path | None = None,
) -> TerminalInfo | None:
    children = {p.name.lower(): p for p in _safe_children(data_folder)}
    kind = classify_folder(data_folder, children)
    if kind is None:
        if not _is_file(children.get(ORIGIN)):
            return None
        # A data folder whose MQL4/MQL5 folder is gone: the install decides what it is.
        kind = TerminalKind.MT4
    problems: list[str] = []
    origin_text: str | None = None
    install: Path | None = data_folder if portable else None
    if not portable:
        origin = read_origin(data_folder)
        origin_text = origin.install_path
        if origin.problem:
            problems.append(origin.problem)
        if origin_text is not None:
            mapped = _host_path_of(origin_text, prefix, platform)
            if mapped is None:
                problems.append(
                    f"installation folder {origin_text} is not reachable from this computer"
                )
            elif _is_dir(mapped):
                install = mapped
            else:
                problems.append(
                    f"installation folder {origin_text} (from origin.txt) was not found"
                )
        if install is None and install_hint is not None:
            install = install_hint
    install_children = (
        {p.name.lower(): p for p in _safe_children(install)} if install is not None else {}
    )
    if install is not None:
        install_kind = classify_folder(install, install_children)
        if (
            install_kind is not None
            and not _is_dir(children.get(MQL4_DIR.lower()))
            and not _is_dir(children.get(MQL5_DIR.lower()))
        ):
            kind = install_kind
    exe_name, editor_name = (
        (MT4_TERMINAL, MT4_METAEDITOR)
        if kind is TerminalKind.MT4
        else (MT5_TERMINAL, MT5_METAEDITOR)
    )
    terminal_exe = install_children.get(exe_name)
    terminal_exe = terminal_exe if _is_file(terminal_exe) else None
    metaeditor = install_children.get(editor_name)
    metaeditor = metaeditor if _is_file(metaeditor) else None
    if install is not None and terminal_exe is None:
        problems.append(f"{exe_name} not found in {install}")
    if install is None and origin_text is None and not portable:
        problems.append("installation folder unknown")

    servers = _server_names([data_folder, install if install != data_folder else None])
    broker: str | None = None
    broker_source: str | None = None
    folder_name = (
        install.name
        if install is not None
        else (PurePosixPath(origin_text.replace("\\", "/")).name if origin_text else None)
    )
    if folder_name:
        broker = broker_from_folder_name(folder_name)
        broker_source = "installation folder name" if broker else None
    if broker is None:
        broker = _broker_from_servers(servers)
        broker_source = "server list" if broker else None

    ea_installed, ea_version = False, None
    if kind is TerminalKind.MT4:
        state = installed_state(data_folder / MQL4_DIR)
        ea_installed, ea_version = state.installed, state.version
    writable = _writable_problem(data_folder, kind)
    if writable:
        problems.append(writable)

    return TerminalInfo(
        data_folder=data_folder,
        install_folder=install,
        kind=kind,
        portable=portable,
        found_via=found_via,
        broker=broker,
        broker_source=broker_source,
        servers=servers,
        ea_installed=ea_installed,
        ea_version=ea_version,
        terminal_exe=terminal_exe,
        metaeditor_exe=metaeditor,
        wine_prefix=prefix,
        origin_path=origin_text,
        problems=tuple(problems),
    )


def _key(path: Path, platform: str) -> str:
    try:
        text = os.path.realpath(path)
    except OSError:
        text = str(path)
    return text.lower() if platform == "win32" else text


def inspect_terminal(
    data_folder: Path,
    *,
    found_via: FoundVia = FoundVia.EXPLICIT_ROOT,
    platform: str | None = None,
) -> TerminalInfo | None:
    """Describe the one terminal whose data folder is ``data_folder``; None if it is not one."""
    plat = sys.platform if platform is None else platform
    children = {p.name.lower(): p for p in _safe_children(data_folder)}
    portable = _has_exe(children) and not _is_file(children.get(ORIGIN))
    return _describe(
        data_folder,
        found_via=found_via,
        prefix=wine_prefix_of(data_folder),
        portable=portable,
        platform=plat,
    )


def discover_terminals(
    search_roots: Iterable[Path | str] = (),
    *,
    include_default_roots: bool = True,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> DiscoveryResult:
    """Find every terminal under the default roots (unless turned off) and ``search_roots``.

    ``home``, ``environ`` and ``platform`` default to this machine's; tests pass their own to build
    a whole Windows or Wine layout under a temporary folder.
    """
    plat = sys.platform if platform is None else platform
    roots: list[SearchRoot] = []
    if include_default_roots:
        roots.extend(default_search_roots(home=home, environ=environ, platform=plat))
    for extra in search_roots:
        roots.append(
            SearchRoot(Path(extra).expanduser().absolute(), RootKind.ANY, FoundVia.EXPLICIT_ROOT)
        )

    scan = _Scan(platform=plat)
    searched: list[str] = []
    for root in roots:
        if _is_dir(root.path):
            searched.append(str(root.path))
        elif root.kind is RootKind.ANY:
            scan.problems.append(f"search folder {root.path} does not exist")
        _scan_root(scan, root)

    # Tie installations to data folders: first by origin.txt (in _describe), then by folder id.
    by_id: dict[tuple[str, str], _Candidate] = {}
    for cand in scan.data:
        if is_data_folder_id(cand.path.name):
            by_id[(_key(cand.prefix, plat) if cand.prefix else "", cand.path.name.upper())] = cand
    hints: dict[str, Path] = {}
    portable_installs: list[_Candidate] = []
    for inst in scan.installs:
        windows_path = _windows_path_of(inst.path, inst.prefix, plat)
        tied = None
        if windows_path is not None:
            ns = _key(inst.prefix, plat) if inst.prefix else ""
            tied = by_id.get((ns, data_folder_id(windows_path)))
        if tied is not None:
            hints[_key(tied.path, plat)] = inst.path
        else:
            portable_installs.append(inst)

    terminals: list[TerminalInfo] = []
    seen: set[str] = set()
    claimed_installs: set[str] = set()
    for cand in scan.data:
        key = _key(cand.path, plat)
        if key in seen:
            continue
        children = {p.name.lower(): p for p in _safe_children(cand.path)}
        portable = _has_exe(children) and not _is_file(children.get(ORIGIN))
        info = _describe(
            cand.path,
            found_via=cand.found_via,
            prefix=cand.prefix,
            portable=portable,
            platform=plat,
            install_hint=hints.get(key),
        )
        if info is None:
            continue
        seen.add(key)
        if info.install_folder is not None:
            claimed_installs.add(_key(info.install_folder, plat))
        terminals.append(info)
    for inst in portable_installs:
        key = _key(inst.path, plat)
        if key in seen or key in claimed_installs:
            continue
        info = _describe(
            inst.path, found_via=inst.found_via, prefix=inst.prefix, portable=True, platform=plat
        )
        if info is None:
            continue
        children = {p.name.lower(): p for p in _safe_children(inst.path)}
        if not _is_dir(children.get(MQL4_DIR.lower())) and not _is_dir(
            children.get(MQL5_DIR.lower())
        ):
            info = replace(
                info,
                problems=(
                    *info.problems,
                    "no data folder found for this installation: start the terminal once "
                    "(or it keeps its data in another Windows user's AppData)",
                ),
            )
        seen.add(key)
        terminals.append(info)
    for problem in scan.problems:
        logger.info("terminal search: %s", problem)
    return DiscoveryResult(
        terminals=tuple(terminals),
        problems=tuple(dict.fromkeys(scan.problems)),
        searched=tuple(searched),
    )
