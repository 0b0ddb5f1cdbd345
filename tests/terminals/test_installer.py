"""Install, upgrade and uninstall our EA in terminal folders built like real ones."""

from __future__ import annotations

import json
import os
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway_core.terminals.ea_config import EaConfigError, parse_ea_config
from gateway_core.terminals.ea_package import EaPackage, load_ea_package
from gateway_core.terminals.installer import (
    MANIFEST_RELATIVE_PATH,
    FileAction,
    install_ea,
    installed_state,
    uninstall_ea,
)
from gateway_core.terminals.layout import NotAnMt4DataFolder

from .trees import make_data_folder, make_ea_package, make_portable

TOKEN = "local-token-0123456789abcdef"
FIXED_NOW = datetime(2026, 11, 23, 20, 30, 15, tzinfo=UTC)

OUR_FILES = (
    "Experts/MT4Companion.mq4",
    "Include/MT4Companion/Config.mqh",
    "Include/MT4Companion/WebSocket.mqh",
)


def clock() -> datetime:
    return FIXED_NOW


@pytest.fixture
def terminal(tmp_path: Path) -> Path:
    """An MT4 data folder with some of the trader's own files in it."""
    data = make_data_folder(tmp_path / "Terminal" / "50CA3DFB510CC5A8F28B48D1BF2A5702")
    (data / "MQL4" / "Experts" / "MyScalper.mq4").write_text("// the trader's own EA\n")
    (data / "MQL4" / "Include" / "MyLib.mqh").write_text("// the trader's library\n")
    (data / "MQL4" / "Files" / "trades.csv").write_text("ticket,profit\n")
    return data


@pytest.fixture
def package_v1(tmp_path: Path) -> EaPackage:
    return load_ea_package(make_ea_package(tmp_path / "ea-1.0.0", version="1.0.0"))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its content: what a trader would see in Explorer."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_install_copies_every_file_and_writes_config_and_manifest(
    terminal: Path, package_v1: EaPackage
) -> None:
    result = install_ea(terminal, token=TOKEN, gateway_port=8123, package=package_v1, clock=clock)
    assert result.ok and result.changed
    assert result.message == "MT4 Companion EA 1.0.0 installed."
    mql4 = terminal / "MQL4"
    for f in package_v1.files:
        assert (mql4 / f.relative_path).read_bytes() == f.data
    assert {o.relative_path for o in result.outcomes(FileAction.INSTALLED)} == {
        *OUR_FILES,
        "Files/MT4Companion/companion.cfg",
    }

    config = parse_ea_config((mql4 / "Files" / "MT4Companion" / "companion.cfg").read_text("utf-8"))
    assert config == {
        "gateway_url": "ws://127.0.0.1:8123/mt4",
        "token": TOKEN,
        "agent_id": "",
        "agent_id_rule": "login",
        "heartbeat_ms": "5000",
        "timer_ms": "25",
    }
    manifest = json.loads((mql4 / MANIFEST_RELATIVE_PATH).read_text("utf-8"))
    assert manifest["ea_version"] == "1.0.0"
    assert set(manifest["files"]) == {*OUR_FILES, "Files/MT4Companion/companion.cfg"}
    assert manifest["directories"] == ["Files/MT4Companion", "Include/MT4Companion"]
    assert installed_state(mql4).version == "1.0.0"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_config_file_is_private(terminal: Path, package_v1: EaPackage) -> None:
    install_ea(terminal, token=TOKEN, package=package_v1)
    cfg = terminal / "MQL4" / "Files" / "MT4Companion" / "companion.cfg"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    ea = terminal / "MQL4" / "Experts" / "MT4Companion.mq4"
    assert stat.S_IMODE(ea.stat().st_mode) == 0o644


def test_second_install_changes_nothing(terminal: Path, package_v1: EaPackage) -> None:
    install_ea(terminal, token=TOKEN, package=package_v1, clock=clock)
    before = snapshot(terminal)
    mtimes = {p: p.stat().st_mtime_ns for p in terminal.rglob("*") if p.is_file()}

    again = install_ea(terminal, token=TOKEN, package=package_v1)
    assert again.ok and not again.changed
    assert again.message == "MT4 Companion EA 1.0.0 is already installed; nothing changed."
    assert {o.action for o in again.files} == {FileAction.UNCHANGED}
    assert snapshot(terminal) == before
    assert {p: p.stat().st_mtime_ns for p in terminal.rglob("*") if p.is_file()} == mtimes


def test_new_token_or_port_rewrites_only_the_config(terminal: Path, package_v1: EaPackage) -> None:
    install_ea(terminal, token=TOKEN, package=package_v1)
    result = install_ea(
        terminal, token="another-token-0123456789", gateway_port=9000, package=package_v1
    )
    assert [
        (o.relative_path, o.action) for o in result.files if o.action is not FileAction.UNCHANGED
    ] == [("Files/MT4Companion/companion.cfg", FileAction.UPDATED)]
    cfg = (terminal / "MQL4" / "Files" / "MT4Companion" / "companion.cfg").read_text("utf-8")
    assert "token=another-token-0123456789\n" in cfg
    assert "gateway_url=ws://127.0.0.1:9000/mt4\n" in cfg


def test_upgrade_replaces_our_files_and_drops_files_the_new_version_lacks(
    tmp_path: Path, terminal: Path, package_v1: EaPackage
) -> None:
    old = load_ea_package(
        make_ea_package(
            tmp_path / "ea-0.9.0", version="0.9.0", extra={"Include/MT4Companion/Legacy.mqh": "//"}
        )
    )
    install_ea(terminal, token=TOKEN, package=old)
    # The terminal compiled the old version by itself at start-up.
    (terminal / "MQL4" / "Experts" / "MT4Companion.ex4").write_bytes(b"old binary")
    trader_files = {k: v for k, v in snapshot(terminal).items() if "MT4Companion" not in k}

    result = install_ea(terminal, token=TOKEN, package=package_v1, clock=clock)
    assert result.ok and result.changed
    assert result.previous_version == "0.9.0" and result.ea_version == "1.0.0"
    assert result.message == "MT4 Companion EA 1.0.0 installed (upgraded from 0.9.0)."
    updated = {o.relative_path: o for o in result.outcomes(FileAction.UPDATED)}
    assert updated["Experts/MT4Companion.mq4"].reason == "replaced version 0.9.0 with 1.0.0"
    removed = {o.relative_path for o in result.outcomes(FileAction.REMOVED)}
    assert removed == {"Include/MT4Companion/Legacy.mqh"}
    assert not (terminal / "MQL4" / "Include" / "MT4Companion" / "Legacy.mqh").exists()
    assert "1.0.0" in (terminal / "MQL4" / "Experts" / "MT4Companion.mq4").read_text()
    assert not result.outcomes(FileAction.BACKED_UP)
    assert {k: v for k, v in snapshot(terminal).items() if "MT4Companion" not in k} == trader_files


def test_file_changed_by_the_trader_is_backed_up_before_replacing(
    terminal: Path, package_v1: EaPackage
) -> None:
    install_ea(terminal, token=TOKEN, package=package_v1)
    edited = terminal / "MQL4" / "Include" / "MT4Companion" / "Config.mqh"
    edited.write_text("// my tweak: bigger timeout\n")

    result = install_ea(terminal, token=TOKEN, package=package_v1, clock=clock)
    (outcome,) = result.outcomes(FileAction.BACKED_UP)
    assert outcome.relative_path == "Include/MT4Companion/Config.mqh"
    backup = edited.with_name("Config.mqh.bak-20261123-203015")
    assert outcome.backup_path == backup
    assert backup.read_text() == "// my tweak: bigger timeout\n"
    assert "changed after we installed it" in outcome.reason
    assert edited.read_text() == "// config reader 1.0.0\n"
    assert "saved with a .bak- name" in result.message


def test_file_we_did_not_write_is_backed_up(terminal: Path, package_v1: EaPackage) -> None:
    hand_copied = terminal / "MQL4" / "Experts" / "MT4Companion.mq4"
    hand_copied.write_text('#define COMPANION_EA_VERSION "0.1.0"\n// copied by hand\n')
    result = install_ea(terminal, token=TOKEN, package=package_v1, clock=clock)
    assert result.previous_version == "0.1.0"
    (outcome,) = result.outcomes(FileAction.BACKED_UP)
    assert "not installed by MT4 Companion" in outcome.reason
    assert outcome.backup_path is not None
    assert "copied by hand" in outcome.backup_path.read_text()


def test_uninstall_removes_exactly_what_we_installed(terminal: Path, package_v1: EaPackage) -> None:
    before = snapshot(terminal)
    install_ea(terminal, token=TOKEN, package=package_v1)
    (terminal / "MQL4" / "Experts" / "MT4Companion.ex4").write_bytes(b"compiled by terminal")

    result = uninstall_ea(terminal)
    assert result.ok and result.changed
    assert result.message == "The MT4 Companion EA was removed."
    removed = {o.relative_path for o in result.outcomes(FileAction.REMOVED)}
    assert removed == {*OUR_FILES, "Files/MT4Companion/companion.cfg", "Experts/MT4Companion.ex4"}
    assert snapshot(terminal) == before
    # Our folders are gone, the terminal's own folders stay.
    assert not (terminal / "MQL4" / "Include" / "MT4Companion").exists()
    assert not (terminal / "MQL4" / "Files" / "MT4Companion").exists()
    assert (terminal / "MQL4" / "Experts").is_dir()
    assert not installed_state(terminal / "MQL4").installed


def test_uninstall_keeps_changed_files_and_foreign_files_in_our_folders(
    terminal: Path, package_v1: EaPackage
) -> None:
    install_ea(terminal, token=TOKEN, package=package_v1)
    mine = terminal / "MQL4" / "Include" / "MT4Companion" / "WebSocket.mqh"
    mine.write_text("// edited by the trader\n")
    ea_log = terminal / "MQL4" / "Files" / "MT4Companion" / "outbox.log"
    ea_log.write_text("written by the EA at run time\n")

    result = uninstall_ea(terminal)
    assert result.ok
    (kept,) = result.outcomes(FileAction.KEPT)
    assert kept.relative_path == "Include/MT4Companion/WebSocket.mqh"
    assert "Kept Include/MT4Companion/WebSocket.mqh" in result.message
    assert mine.read_text() == "// edited by the trader\n"
    assert ea_log.read_text() == "written by the EA at run time\n"
    assert not (terminal / "MQL4" / "Experts" / "MT4Companion.mq4").exists()
    assert not (terminal / "MQL4" / MANIFEST_RELATIVE_PATH).exists()


def test_uninstall_without_our_record_removes_nothing(terminal: Path) -> None:
    hand_copied = terminal / "MQL4" / "Experts" / "MT4Companion.mq4"
    hand_copied.write_text("// copied by hand\n")
    result = uninstall_ea(terminal)
    assert not result.ok and not result.changed
    assert "nothing was removed" in result.message
    assert hand_copied.exists()
    assert uninstall_ea(make_data_folder(terminal.parent / "other")).message == (
        "The MT4 Companion EA is not installed here."
    )


def test_blocked_folder_fails_cleanly_and_writes_nothing(
    terminal: Path, package_v1: EaPackage
) -> None:
    # Running as root ignores chmod, so a read-only folder is simulated the way it fails for
    # everyone: a file sits where one of our folders has to be created.
    files_dir = terminal / "MQL4" / "Files"
    for child in files_dir.iterdir():
        child.unlink()
    files_dir.rmdir()
    files_dir.write_text("a file where the Files folder should be")
    before = snapshot(terminal)

    result = install_ea(terminal, token=TOKEN, package=package_v1)
    assert not result.ok and not result.changed
    assert result.error is not None and "Nothing was installed" in result.error
    assert "Files" in result.error
    assert snapshot(terminal) == before
    assert not (terminal / "MQL4" / "Include" / "MT4Companion").exists()


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write to read-only folders"
)
def test_read_only_folder_fails_cleanly(terminal: Path, package_v1: EaPackage) -> None:
    mql4 = terminal / "MQL4"
    before = snapshot(terminal)
    for folder in [mql4, *[p for p in mql4.rglob("*") if p.is_dir()]]:
        folder.chmod(0o555)
    try:
        result = install_ea(terminal, token=TOKEN, package=package_v1)
    finally:
        for folder in [mql4, *[p for p in mql4.rglob("*") if p.is_dir()]]:
            folder.chmod(0o755)
    assert not result.ok
    assert "Nothing was installed" in result.message
    assert snapshot(terminal) == before


def test_one_unwritable_file_is_reported_and_the_rest_installed(
    terminal: Path, package_v1: EaPackage
) -> None:
    # A folder in the way behaves like a file the terminal keeps locked: that file fails, the
    # others are still installed and the result says which one.
    (terminal / "MQL4" / "Include" / "MT4Companion" / "WebSocket.mqh").mkdir(parents=True)
    result = install_ea(terminal, token=TOKEN, package=package_v1)
    assert not result.ok
    (skipped,) = result.outcomes(FileAction.SKIPPED)
    assert skipped.relative_path == "Include/MT4Companion/WebSocket.mqh"
    assert "Include/MT4Companion/WebSocket.mqh" in result.message
    assert (terminal / "MQL4" / "Experts" / "MT4Companion.mq4").is_file()
    manifest = json.loads((terminal / "MQL4" / MANIFEST_RELATIVE_PATH).read_text())
    assert "Include/MT4Companion/WebSocket.mqh" not in manifest["files"]


def test_token_with_a_newline_is_rejected_before_anything_is_written(
    terminal: Path, package_v1: EaPackage
) -> None:
    before = snapshot(terminal)
    with pytest.raises(EaConfigError, match="line breaks"):
        install_ea(terminal, token="abc\ngateway_url=ws://evil", package=package_v1)
    assert snapshot(terminal) == before


def test_token_provider_is_used_without_a_token(terminal: Path, package_v1: EaPackage) -> None:
    calls: list[str] = []

    def provider() -> str:
        calls.append("asked")
        return "from-the-token-store-123"

    install_ea(terminal, token_provider=provider, package=package_v1)
    assert calls == ["asked"]
    cfg = (terminal / "MQL4" / "Files" / "MT4Companion" / "companion.cfg").read_text()
    assert "token=from-the-token-store-123\n" in cfg


def test_install_into_never_started_portable_install(tmp_path: Path, package_v1: EaPackage) -> None:
    folder = tmp_path / "MT4"
    folder.mkdir()
    (folder / "terminal.exe").write_bytes(b"MZ")
    assert install_ea(folder, token=TOKEN, package=package_v1).ok
    assert (folder / "MQL4" / "Experts" / "MT4Companion.mq4").is_file()


def test_not_an_mt4_folder_is_refused(tmp_path: Path, package_v1: EaPackage) -> None:
    documents = tmp_path / "Documents"
    documents.mkdir()
    with pytest.raises(NotAnMt4DataFolder, match="not an MT4 data folder"):
        install_ea(documents, token=TOKEN, package=package_v1)
    mt5 = make_portable(tmp_path / "MetaTrader 5", mt5=True)
    with pytest.raises(NotAnMt4DataFolder, match="MetaTrader 5"):
        install_ea(mt5, token=TOKEN, package=package_v1)
    with pytest.raises(NotAnMt4DataFolder, match="not a folder"):
        uninstall_ea(tmp_path / "missing")
    assert list(documents.iterdir()) == []
    assert list(mt5.rglob("MT4Companion*")) == []
