"""The Windows installer script (installer/windows/mt4companion.nsi).

Static checks say the required pieces are there; the proof is makensis compiling it (here
against a tiny fake bundle in seconds; the slow test compiles it against the real one). It
cannot run on Linux: its loop over terminals reads `mt4-gateway terminals --json` line by line,
so the JSON layout that loop relies on is checked against the real CLI here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import INSTALLER, ROOT

NSI = INSTALLER / "windows" / "mt4companion.nsi"


@pytest.fixture(scope="module")
def script() -> str:
    return NSI.read_text(encoding="utf-8")


def _section(script: str, title_fragment: str) -> str:
    """Body of the first Section whose header line contains `title_fragment`."""
    match = re.search(r'^Section\b[^\n]*' + re.escape(title_fragment) + r'[^\n]*\n(.*?)^SectionEnd',
                      script, re.MULTILINE | re.DOTALL)
    assert match, f"no section {title_fragment!r}"
    return match.group(0)


def test_per_user_without_admin(script: str) -> None:
    assert re.search(r"^RequestExecutionLevel user$", script, re.MULTILINE)
    assert 'InstallDir "$LOCALAPPDATA\\Programs\\${APP_NAME}"' in script
    assert "HKLM" not in script  # nothing machine-wide
    assert "SetShellVarContext all" not in script
    assert '!include "MUI2.nsh"' in script


def test_start_menu_shortcut(script: str) -> None:
    body = _section(script, "Start menu shortcut")
    assert 'CreateShortcut "$SMPROGRAMS\\${APP_NAME}.lnk" "$INSTDIR\\${APP_EXE}"' in body


def test_start_with_windows_is_optional_and_agrees_with_the_app(script: str) -> None:
    from desktop import autostart

    body = _section(script, '"Start with Windows"')
    assert "/o" not in body.splitlines()[0]  # offered ticked: the app is meant to run at sign-in
    assert 'WriteRegStr HKCU "${RUN_KEY}" "${RUN_VALUE}" \'"$INSTDIR\\${APP_EXE}" --minimized\'' \
        in body
    assert f'!define RUN_KEY "{autostart.RUN_KEY}"' in script
    assert f'!define RUN_VALUE "{autostart.VALUE_NAME}"' in script
    # unticked on an upgrade = the trader's choice: the value goes
    assert 'DeleteRegValue HKCU "${RUN_KEY}" "${RUN_VALUE}"' in _section(script, "-Apply choices")


def test_finish_page_offers_the_ea_install(script: str) -> None:
    assert '!define MUI_FINISHPAGE_SHOWREADME_TEXT "Install the EA into my MetaTrader terminals"' \
        in script
    assert "!define MUI_PAGE_CUSTOMFUNCTION_LEAVE FinishPageLeave" in script
    assert 'Push "install-ea"' in script
    assert "terminals --json" in script
    assert "$R0 --terminal" in script
    assert '!define MUI_FINISHPAGE_RUN "$INSTDIR\\${APP_EXE}"' in script


def test_upgrade_keeps_user_data(script: str) -> None:
    from gateway_core import paths

    # user data is under platformdirs' MT4Companion folder, never the install folder
    assert paths.APP_AUTHOR == "MT4Companion"
    assert '!define USER_DATA "$LOCALAPPDATA\\MT4Companion"' in script
    assert "${USER_DATA}" not in "".join(
        line for line in script.splitlines()
        if line.strip().startswith(("Delete", "RMDir", "Rename"))
    )
    install = _section(script, "(required)")
    assert "Call StopRunningApp" in install
    assert 'RMDir /r "$INSTDIR\\_internal"' in install  # old program files only


def test_uninstaller_stops_the_app_and_asks_before_touching_terminals(script: str) -> None:
    stop = _section(script, "-un.Close the app")
    assert "Call un.StopRunningApp" in stop
    ea = _section(script, "un.Remove the MT4 Companion EA")
    assert ea.startswith("Section /o ")  # unticked unless the trader asks
    assert 'Push "uninstall-ea"' in ea
    assert "!insertmacro MUI_UNPAGE_COMPONENTS" in script
    # order: stop the app, remove the EA (needs mt4-gateway.exe), then delete files
    assert script.index('"-un.Close the app"') < script.index("un.Remove the MT4 Companion EA") \
        < script.index('Section "un.${APP_NAME}"')
    assert "taskkill.exe" in script


def test_version_comes_from_the_build(script: str) -> None:
    for define in ("VERSION", "VERSION_QUAD", "BUNDLE_DIR", "APP_ICON"):
        assert f"!ifndef {define}" in script
    assert 'VIProductVersion "${VERSION_QUAD}"' in script


def _fake_bundle(folder: Path) -> Path:
    bundle = folder / "MT4Companion"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "mt4-companion.exe").write_bytes(b"MZ fake")
    (bundle / "mt4-gateway.exe").write_bytes(b"MZ fake")
    (bundle / "_internal" / "python311.dll").write_bytes(b"fake")
    return bundle


def test_makensis_compiles_the_script(makensis: str, tmp_path: Path) -> None:
    import build
    import make_ico

    icon = make_ico.build_app_ico(tmp_path / "app.ico")
    out = tmp_path / "Setup-9.8.7.exe"
    defines = build.nsis_defines("9.8.7", out, _fake_bundle(tmp_path), "zlib")
    defines["APP_ICON"] = str(icon)
    done = subprocess.run(
        [makensis, "-WX", "-V2", "-INPUTCHARSET", "UTF8",
         *(f"-D{k}={v}" for k, v in defines.items()), str(NSI)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = out.read_bytes()
    assert data[:2] == b"MZ"
    assert "9.8.7".encode("utf-16-le") in data  # version resource from the define


def test_makensis_refuses_a_build_without_version(makensis: str, tmp_path: Path) -> None:
    done = subprocess.run([makensis, "-V2", str(NSI)], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode != 0
    assert "DVERSION" in done.stdout + done.stderr


# --------------------------------------------------------------------------- JSON contract


def _nsis_like_unescape(text: str) -> str:
    """What the script's JsonUnescape does, in Python."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        i += 1
        if ch == "\\":
            ch = text[i]
            i += 1
            if ch == "u":
                ch = chr(int(text[i:i + 4], 16))
                i += 4
            else:
                ch = {"t": "\t", "n": "\n", "r": "\r"}.get(ch, ch)
        out.append(ch)
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16")


def _nsis_like_scan(output: str) -> list[str]:
    """What the script's ForEachTerminal does with the JSON, line by line."""
    folders, current = [], ""
    for raw in output.splitlines():
        line = raw.strip(" \t\r\n")
        if line.startswith('"data_folder": "'):
            rest = line[16:]
            rest = rest[:-2] if rest.endswith('",') else rest[:-1]
            current = _nsis_like_unescape(rest)
        elif line in ('"supported": true,', '"supported": true'):
            if current:
                folders.append(current)
            current = ""
        elif line in ('"supported": false,', '"supported": false'):
            current = ""
    return folders


def test_terminals_json_layout_the_installer_reads(tmp_path: Path) -> None:
    # escapes of every kind in the JSON (Windows allows neither '"' nor a '\\' in a name)
    odd_name = "José 😀" if sys.platform == "win32" else 'José 😀 \\ "q"'
    root = tmp_path / odd_name / "Terminal"
    mt4 = root / ("A" * 32)
    odd = root / ("B" * 32)
    mt5 = root / ("C" * 32)
    (mt4 / "MQL4").mkdir(parents=True)
    (odd / "MQL4").mkdir(parents=True)
    (mt5 / "MQL5").mkdir(parents=True)
    for folder, origin in ((mt4, "C:\\Program Files (x86)\\Alpha MT4"),
                           (odd, "C:\\Brokers\\Beta MT4"),
                           (mt5, "C:\\Program Files\\Gamma MT5")):
        (folder / "origin.txt").write_text(origin, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "gateway_core.cli", "terminals", "--json", "--no-default-roots",
         "--search-root", str(root)],
        capture_output=True, text=True, check=True, cwd=ROOT, timeout=60,
    )
    listed = json.loads(done.stdout)["terminals"]
    expected = sorted(t["data_folder"] for t in listed if t["supported"])
    assert sorted(expected) == sorted([str(mt4), str(odd)])
    assert done.stdout.isascii()  # ensure_ascii: FileRead in NSIS needs no code page
    assert sorted(_nsis_like_scan(done.stdout)) == expected
    # and the unescaping handles what Windows paths and ensure_ascii produce
    assert _nsis_like_unescape(json.dumps('C:\\Users\\José\\😀 "x"')[1:-1]) == \
        'C:\\Users\\José\\😀 "x"'
