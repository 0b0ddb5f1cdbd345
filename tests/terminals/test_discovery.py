"""Discovery on folder trees built like real Windows, Wine, macOS and CrossOver installations."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway_core.terminals.data_folder_id import data_folder_id
from gateway_core.terminals.discovery import (
    FoundVia,
    TerminalInfo,
    broker_from_folder_name,
    discover_terminals,
    inspect_terminal,
)
from gateway_core.terminals.ea_package import load_ea_package
from gateway_core.terminals.installer import install_ea
from gateway_core.terminals.layout import TerminalKind

from .trees import (
    make_appdata_terminal,
    make_data_folder,
    make_ea_package,
    make_install,
    make_portable,
    wine_appdata_terminal_root,
)

MT4_X86 = r"C:\Program Files (x86)\MetaTrader 4"


def by_data_folder(terminals: tuple[TerminalInfo, ...]) -> dict[Path, TerminalInfo]:
    return {t.data_folder: t for t in terminals}


# --------------------------------------------------------------------------- Windows


@pytest.fixture
def windows_machine(tmp_path: Path) -> dict[str, Path]:
    """A Windows user profile: AppData terminals, Program Files installs, a portable one."""
    home = tmp_path / "Users" / "trader"
    appdata = home / "AppData" / "Roaming"
    pf86 = tmp_path / "Program Files (x86)"
    pf = tmp_path / "Program Files"
    terminal_root = appdata / "MetaQuotes" / "Terminal"
    (terminal_root / "Common" / "Files").mkdir(parents=True)
    (terminal_root / "Community").mkdir()

    icm = make_install(pf86 / "IC Markets MetaTrader 4")
    # On Windows origin.txt holds the installation path as Windows sees it; here that is the
    # path of the folder we built.
    icm_data = make_appdata_terminal(terminal_root, str(icm), encoding="utf-16")

    xm = make_install(pf86 / "XM Global MT4")
    xm_data = make_appdata_terminal(terminal_root, str(xm), encoding="utf-8")

    mt5 = make_install(pf / "MetaTrader 5", mt5=True)
    mt5_data = make_appdata_terminal(terminal_root, str(mt5), mt5=True)

    broken = make_install(pf86 / "FXCM MetaTrader 4")
    broken_data = make_data_folder(
        terminal_root / data_folder_id(str(broken)), raw_origin=b"\x00\xff\x13\x37junk\x89\xfe\xfe"
    )

    portable = make_portable(pf / "Pepperstone MetaTrader 4")
    return {
        "home": home,
        "appdata": appdata,
        "pf86": pf86,
        "pf": pf,
        "icm": icm,
        "icm_data": icm_data,
        "xm": xm,
        "xm_data": xm_data,
        "mt5": mt5,
        "mt5_data": mt5_data,
        "broken": broken,
        "broken_data": broken_data,
        "portable": portable,
    }


def discover_windows(machine: dict[str, Path]) -> dict[Path, TerminalInfo]:
    result = discover_terminals(
        home=machine["home"],
        environ={
            "APPDATA": str(machine["appdata"]),
            "ProgramFiles": str(machine["pf"]),
            "ProgramFiles(x86)": str(machine["pf86"]),
            "ProgramW6432": str(machine["pf"]),
        },
        platform="win32",
    )
    found = by_data_folder(result.terminals)
    assert len(found) == len(result.terminals), "each terminal is listed once"
    return found


def test_windows_appdata_terminal_with_utf16_origin(windows_machine: dict[str, Path]) -> None:
    found = discover_windows(windows_machine)
    icm = found[windows_machine["icm_data"]]
    assert icm.kind is TerminalKind.MT4 and icm.supported
    assert icm.found_via is FoundVia.APPDATA
    assert icm.install_folder == windows_machine["icm"]
    assert icm.broker == "IC Markets"
    assert icm.terminal_exe == windows_machine["icm"] / "terminal.exe"
    assert icm.metaeditor_exe == windows_machine["icm"] / "metaeditor.exe"
    assert not icm.portable
    assert not icm.ea_installed and icm.ea_version is None
    assert icm.problems == ()


def test_windows_utf8_origin_and_broker_from_folder(windows_machine: dict[str, Path]) -> None:
    xm = discover_windows(windows_machine)[windows_machine["xm_data"]]
    assert xm.install_folder == windows_machine["xm"]
    assert xm.broker == "XM Global"
    assert xm.broker_source == "installation folder name"


def test_mt5_is_listed_as_not_supported(windows_machine: dict[str, Path]) -> None:
    mt5 = discover_windows(windows_machine)[windows_machine["mt5_data"]]
    assert mt5.kind is TerminalKind.MT5
    assert not mt5.supported
    assert mt5.to_json()["kind"] == "mt5-not-supported"
    assert mt5.terminal_exe == windows_machine["mt5"] / "terminal64.exe"


def test_broken_origin_is_reported_and_folder_id_ties_the_install(
    windows_machine: dict[str, Path],
) -> None:
    broken = discover_windows(windows_machine)[windows_machine["broken_data"]]
    assert any("origin.txt" in p for p in broken.problems)
    # The folder name is the MD5 of the installation path, so the installation is still found.
    assert broken.install_folder == windows_machine["broken"]
    assert broken.broker == "FXCM"
    assert broken.terminal_exe is not None


def test_portable_install_in_program_files(windows_machine: dict[str, Path]) -> None:
    found = discover_windows(windows_machine)
    portable = found[windows_machine["portable"]]
    assert portable.portable
    assert portable.found_via is FoundVia.PORTABLE
    assert portable.install_folder == windows_machine["portable"]
    assert portable.broker == "Pepperstone"
    # Installs that have an AppData data folder are not listed a second time as portable.
    assert windows_machine["icm"] not in found
    assert windows_machine["broken"] not in found
    assert len(found) == 5


def test_never_started_install_is_listed_with_a_problem(tmp_path: Path) -> None:
    install = make_install(tmp_path / "Program Files" / "Alpari MT4")
    result = discover_terminals([tmp_path / "Program Files"], include_default_roots=False)
    (info,) = result.terminals
    assert info.install_folder == install
    assert any("no data folder found" in p for p in info.problems)


# --------------------------------------------------------------------------- Wine, macOS


def test_wine_mt4_prefix_with_both_layouts(tmp_path: Path) -> None:
    home = tmp_path / "home" / "trader"
    prefix = home / ".mt4"
    install = make_install(prefix / "drive_c" / "Program Files (x86)" / "MetaTrader 4")
    terminal_root = wine_appdata_terminal_root(prefix)
    data = make_appdata_terminal(terminal_root, MT4_X86, servers=("MetaQuotes-Demo",))
    assert data.name == "50CA3DFB510CC5A8F28B48D1BF2A5702"
    portable = make_portable(prefix / "drive_c" / "Program Files" / "Tickmill MT4")

    result = discover_terminals(home=home, environ={}, platform="linux")
    found = by_data_folder(result.terminals)
    assert set(found) == {data, portable}

    appdata = found[data]
    assert appdata.found_via is FoundVia.WINE_PREFIX
    assert appdata.wine_prefix == prefix
    assert appdata.install_folder == install
    assert appdata.origin_path == MT4_X86
    assert appdata.terminal_exe == install / "terminal.exe"
    # "MetaTrader 4" says nothing about the broker; the server list does.
    assert appdata.broker == "MetaQuotes"
    assert appdata.broker_source == "server list"
    assert appdata.servers == ("MetaQuotes-Demo",)

    tickmill = found[portable]
    assert tickmill.portable and tickmill.broker == "Tickmill"
    assert tickmill.wine_prefix == prefix


def test_wine_folder_id_tie_when_origin_is_missing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    prefix = home / ".wine"
    install = make_install(prefix / "drive_c" / "Program Files (x86)" / "MetaTrader 4")
    data = make_data_folder(wine_appdata_terminal_root(prefix) / "50CA3DFB510CC5A8F28B48D1BF2A5702")
    (info,) = discover_terminals(home=home, environ={}, platform="linux").terminals
    assert info.data_folder == data
    assert info.install_folder == install
    assert "origin.txt is missing" in info.problems


def test_old_wine_application_data_and_custom_wineprefix(tmp_path: Path) -> None:
    home = tmp_path / "home"
    old = home / ".wine"
    make_install(old / "drive_c" / "Program Files" / "MetaTrader 4")
    old_data = make_appdata_terminal(
        wine_appdata_terminal_root(old, old_style=True), r"C:\Program Files\MetaTrader 4"
    )
    custom = tmp_path / "prefixes" / "forex"
    make_install(custom / "drive_c" / "Program Files" / "OANDA - MetaTrader")
    custom_data = make_appdata_terminal(
        wine_appdata_terminal_root(custom, user="bob"), r"C:\Program Files\OANDA - MetaTrader"
    )
    # ~/.wine is found twice (as ~/.wine and as $WINEPREFIX): listed once.
    result = discover_terminals(home=home, environ={"WINEPREFIX": str(custom)}, platform="linux")
    found = by_data_folder(result.terminals)
    assert set(found) == {old_data, custom_data}
    assert found[custom_data].broker == "OANDA"
    assert found[custom_data].install_folder is not None


def test_macos_app_prefix_and_crossover_bottle(tmp_path: Path) -> None:
    home = tmp_path / "Users" / "trader"
    support = home / "Library" / "Application Support"
    app_prefix = support / "net.metaquotes.wine.metatrader4"
    make_install(app_prefix / "drive_c" / "Program Files" / "MetaTrader 4")
    app_data = make_appdata_terminal(
        wine_appdata_terminal_root(app_prefix, user="crossover"),
        r"C:\Program Files\MetaTrader 4",
    )
    bottle = support / "CrossOver" / "Bottles" / "MT4 Bottle"
    bottle_install = make_portable(bottle / "drive_c" / "Program Files (x86)" / "FxPro MT4")

    result = discover_terminals(home=home, environ={}, platform="darwin")
    found = by_data_folder(result.terminals)
    assert found[app_data].found_via is FoundVia.MACOS_APP
    assert (
        found[app_data].install_folder == app_prefix / "drive_c" / "Program Files" / "MetaTrader 4"
    )
    assert found[bottle_install].found_via is FoundVia.CROSSOVER
    assert found[bottle_install].broker == "FxPro"


# --------------------------------------------------------------------------- explicit roots, junk


def test_explicit_roots_extend_and_are_deduplicated(tmp_path: Path) -> None:
    home = tmp_path / "home"
    prefix = home / ".mt4"
    make_install(prefix / "drive_c" / "Program Files (x86)" / "MetaTrader 4")
    data = make_appdata_terminal(wine_appdata_terminal_root(prefix), MT4_X86)
    extra = make_portable(tmp_path / "trading" / "MT4 Demo")
    result = discover_terminals(
        [prefix, tmp_path / "trading", tmp_path / "nowhere"],
        home=home,
        environ={},
        platform="linux",
    )
    found = by_data_folder(result.terminals)
    assert set(found) == {data, extra}
    assert found[data].found_via is FoundVia.WINE_PREFIX  # default root seen first
    assert found[extra].found_via is FoundVia.EXPLICIT_ROOT
    assert any("nowhere" in p and "does not exist" in p for p in result.problems)


def test_explicit_root_only(tmp_path: Path) -> None:
    data = make_appdata_terminal(tmp_path / "Terminal", MT4_X86)
    result = discover_terminals([tmp_path], include_default_roots=False, platform="linux")
    (info,) = result.terminals
    assert info.data_folder == data
    assert info.found_via is FoundVia.EXPLICIT_ROOT
    # A Windows path from origin.txt cannot be reached outside Windows or a Wine prefix.
    assert info.install_folder is None
    assert info.origin_path == MT4_X86
    assert any("not reachable" in p for p in info.problems)


def test_junk_does_not_crash_discovery(tmp_path: Path) -> None:
    root = tmp_path / "Terminal"
    root.mkdir()
    (root / "0123456789ABCDEF0123456789ABCDEF").write_text("a file where a folder should be")
    weird = make_data_folder(root / "FEDCBA9876543210FEDCBA9876543210")
    (weird / "origin.txt").mkdir()  # a folder named origin.txt
    blocked = root / "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    blocked.mkdir()
    (blocked / "origin.txt").write_bytes(b"\xff\xfe" + MT4_X86.encode("utf-16-le"))
    (blocked / "MQL4").write_text("not a folder")
    loop = tmp_path / "loop"
    loop.mkdir()
    (loop / "again").symlink_to(loop)
    (root / "empty-not-terminal").mkdir()

    result = discover_terminals([tmp_path], include_default_roots=False, platform="linux")
    found = by_data_folder(result.terminals)
    assert set(found) == {weird, blocked}
    assert "origin.txt is a folder, not a file" in found[weird].problems
    assert any("MQL4 is a file" in p for p in found[blocked].problems)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root reads every folder whatever its permissions",
)
def test_unreadable_folder_is_reported(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    make_portable(tmp_path / "ok" / "MT4")
    locked.chmod(0)
    try:
        result = discover_terminals([tmp_path], include_default_roots=False, platform="linux")
    finally:
        locked.chmod(0o755)
    assert len(result.terminals) == 1
    assert any("permission denied" in p for p in result.problems)


def test_installed_ea_and_version_are_reported(tmp_path: Path) -> None:
    data = make_portable(tmp_path / "MT4")
    package = load_ea_package(make_ea_package(tmp_path / "ea", version="1.4.2"))
    install_ea(data, token="t" * 24, package=package)
    info = inspect_terminal(data, platform="linux")
    assert info is not None
    assert info.ea_installed and info.ea_version == "1.4.2"
    assert info.portable


def test_inspect_terminal_rejects_non_terminals(tmp_path: Path) -> None:
    assert inspect_terminal(tmp_path) is None


@pytest.mark.parametrize(
    ("name", "broker"),
    [
        ("IC Markets - MetaTrader 4", "IC Markets"),
        ("MetaTrader 4", None),
        ("MT4", None),
        ("FXCM MetaTrader 4", "FXCM"),
        ("Pepperstone MetaTrader 4 Terminal", "Pepperstone"),
        ("MT4 Alpari", "Alpari"),
        ("XM Global MT4", "XM Global"),
    ],
)
def test_broker_from_folder_name(name: str, broker: str | None) -> None:
    assert broker_from_folder_name(name) == broker


def test_explicit_root_finds_hidden_wine_prefixes_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    prefix = home / ".mt4"
    make_install(prefix / "drive_c" / "Program Files (x86)" / "MetaTrader 4")
    data = make_appdata_terminal(wine_appdata_terminal_root(prefix), MT4_X86)
    make_portable(home / ".cache" / "old-copy" / "MT4")  # hidden, not a prefix: not searched
    result = discover_terminals([home], include_default_roots=False, platform="linux")
    (info,) = result.terminals
    assert info.data_folder == data
    assert info.wine_prefix == prefix
    assert info.install_folder is not None
