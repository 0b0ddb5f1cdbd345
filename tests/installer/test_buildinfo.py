"""Version, Windows version resource and icon of the build (installer/buildinfo.py, make_ico.py)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
from pathlib import Path

import buildinfo
import make_ico
import pytest

from .conftest import ROOT


def test_one_version_everywhere() -> None:
    version = buildinfo.app_version()
    assert version == buildinfo.pyproject_version() == buildinfo.code_version()
    out = subprocess.run([sys.executable, "-m", "gateway_core.cli", "--version"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == f"mt4-gateway {version}"


def test_disagreeing_versions_stop_the_build(tmp_path: Path) -> None:
    (tmp_path / "gateway_core").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1.2.3"\n')
    (tmp_path / "gateway_core" / "__init__.py").write_text('__version__ = "1.2.4"\n')
    with pytest.raises(buildinfo.VersionMismatch, match=r"1\.2\.3.*1\.2\.4"):
        buildinfo.app_version(tmp_path)


@pytest.mark.parametrize(
    ("version", "quad"),
    [("0.1.0", (0, 1, 0, 0)), ("1.2", (1, 2, 0, 0)), ("2.0.1rc1", (2, 0, 1, 0)),
     ("3.4.5.6", (3, 4, 5, 6)), ("1.0.0+local.7", (1, 0, 0, 0)),
     ("10.20.30.40.50", (10, 20, 30, 40))],
)
def test_version_quad(version: str, quad: tuple[int, int, int, int]) -> None:
    assert buildinfo.version_quad(version) == quad


@pytest.mark.parametrize("version", ["dev", "70000.1"])
def test_version_quad_refuses(version: str) -> None:
    with pytest.raises(ValueError, match="version"):
        buildinfo.version_quad(version)


def test_version_info_file_is_what_pyinstaller_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("PyInstaller")
    if sys.platform != "win32":
        # The module imports pefile and win32api (Windows-only) for functions this
        # test does not call; the text loader and the resource encoder are pure Python.
        from PyInstaller import compat

        monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
        monkeypatch.setattr(compat, "win32api", None, raising=False)
        monkeypatch.delitem(sys.modules, "PyInstaller.utils.win32.versioninfo", raising=False)
    versioninfo = importlib.import_module("PyInstaller.utils.win32.versioninfo")
    if sys.platform != "win32":  # do not leave the module built on stubs behind for others
        sys.modules.pop("PyInstaller.utils.win32.versioninfo", None)
    files = buildinfo.write_version_info(tmp_path, "0.7.3")
    assert set(files) == {buildinfo.GUI_EXE, buildinfo.CLI_EXE}
    info = versioninfo.load_version_info_from_text_file(str(files[buildinfo.GUI_EXE]))
    assert info.ffi.fileVersionMS == (0 << 16) | 7
    assert info.ffi.fileVersionLS == (3 << 16) | 0
    text = str(info)
    assert "'ProductVersion', '0.7.3'" in text
    assert "'OriginalFilename', 'mt4-companion.exe'" in text
    assert "'ProductName', 'MT4 Companion'" in text
    raw = info.toRaw()  # the bytes EXE() writes into the .exe's RT_VERSION resource
    assert "0.7.3".encode("utf-16-le") in raw
    assert "MT4 Companion".encode("utf-16-le") in raw


def test_app_icon_has_every_size(tmp_path: Path) -> None:
    ico = make_ico.build_app_ico(tmp_path / "app.ico")
    data = ico.read_bytes()
    assert make_ico.read_ico_sizes(data) == list(make_ico.ICO_SIZES)
    # each entry is the desktop engineer's PNG for that size, unchanged
    for size in make_ico.ICO_SIZES:
        assert (buildinfo.ASSETS_SOURCE / f"icon-app-{size}.png").read_bytes() in data


def test_icon_falls_back_to_the_committed_ico(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "mt4-companion.ico").write_bytes(
        (buildinfo.ASSETS_SOURCE / "mt4-companion.ico").read_bytes())
    ico = make_ico.build_app_ico(tmp_path / "out.ico", assets)
    assert ico.read_bytes() == (assets / "mt4-companion.ico").read_bytes()
    (assets / "mt4-companion.ico").unlink()
    with pytest.raises(FileNotFoundError, match="no app icon"):
        make_ico.build_app_ico(tmp_path / "out2.ico", assets)
