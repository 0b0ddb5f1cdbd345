"""The exclusion policy of the frozen bundle (installer/bundle_filter.py), without building."""

from __future__ import annotations

import ast
from pathlib import Path

import bundle_filter as bf
import pytest

from .conftest import ROOT


def _qt_modules_imported() -> set[str]:
    """Every PySide6 module any desktop module imports."""
    used: set[str] = set()
    for path in (ROOT / "desktop").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "PySide6."
            ):
                used.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                used.update(a.name.split(".")[1] for a in node.names
                            if a.name.startswith("PySide6."))
    return used


def test_the_app_uses_only_the_qt_modules_the_bundle_keeps() -> None:
    used = _qt_modules_imported()
    assert used, "desktop/ imports no Qt module: the test lost track of the binding"
    assert used <= set(bf.QT_MODULES_USED), (
        f"desktop/ now imports {sorted(used - set(bf.QT_MODULES_USED))}: add it to "
        "QT_MODULES_USED and take it (and its libraries) off the exclusion lists"
    )
    assert not used & set(bf.QT_PY_MODULES_EXCLUDED)


@pytest.mark.parametrize(
    "module",
    ["tkinter", "unittest", "pydoc", "doctest", "pdb", "lib2to3", "distutils", "setuptools",
     "pip", "pytest", "PyInstaller", "platform_backend", "socketio", "uvicorn", "redis",
     "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtWebEngineCore", "PySide6.QtSvg",
     "PySide6.QtOpenGL", "PySide6.QtPrintSupport"],
)
def test_python_exclusions(module: str) -> None:
    assert module in bf.PYTHON_EXCLUDED


@pytest.mark.parametrize("module", ["asyncio", "sqlite3", "ssl", "json", "email", "http",
                                   "logging", "PySide6.QtCore", "PySide6.QtGui",
                                   "PySide6.QtWidgets", "PySide6.QtNetwork", "keyring"])
def test_what_the_app_needs_is_not_excluded(module: str) -> None:
    assert module not in bf.PYTHON_EXCLUDED


def test_the_gateway_carries_no_desktop_stack() -> None:
    assert {"PySide6", "shiboken6", "qasync", "desktop"} <= set(bf.GATEWAY_EXTRA_EXCLUDED)


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        # Linux wheel layout
        ("PySide6/Qt/lib/libQt6Core.so.6", True),
        ("PySide6/Qt/lib/libQt6Gui.so.6", True),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", True),
        ("PySide6/Qt/lib/libQt6Network.so.6", True),
        ("PySide6/Qt/lib/libQt6DBus.so.6", True),
        ("PySide6/Qt/lib/libQt6XcbQpa.so.6", True),
        ("PySide6/Qt/lib/libicudata.so.73", True),
        ("PySide6/Qt/lib/libQt6Qml.so.6", False),
        ("PySide6/Qt/lib/libQt6QmlModels.so.6", False),
        ("PySide6/Qt/lib/libQt6Quick.so.6", False),
        ("PySide6/Qt/lib/libQt6Svg.so.6", False),
        ("PySide6/Qt/lib/libQt6OpenGL.so.6", False),
        ("PySide6/Qt/lib/libQt6Pdf.so.6", False),
        ("PySide6/Qt/lib/libQt6WaylandClient.so.6", False),
        ("PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6", False),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", False),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
        ("PySide6/Qt/plugins/imageformats/libqico.so", True),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", False),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", False),
        ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/plugins/tls/libqopensslbackend.so", False),
        ("PySide6/Qt/plugins/qmltooling/libqmldbg_tcp.so", False),
        ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
        ("PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
         True),
        # Windows wheel layout
        ("PySide6\\Qt6Core.dll", True),
        ("PySide6\\Qt6Widgets.dll", True),
        ("PySide6\\Qt6Qml.dll", False),
        ("PySide6\\Qt6Quick.dll", False),
        ("PySide6\\Qt6Svg.dll", False),
        ("PySide6\\opengl32sw.dll", False),
        ("PySide6\\plugins\\platforms\\qwindows.dll", True),
        ("PySide6\\plugins\\platforms\\qoffscreen.dll", True),
        ("PySide6\\plugins\\platforms\\qdirect2d.dll", False),
        ("PySide6\\plugins\\styles\\qmodernwindowsstyle.dll", True),
        ("PySide6\\plugins\\imageformats\\qico.dll", True),
        ("PySide6\\plugins\\imageformats\\qwebp.dll", False),
        ("PySide6\\plugins\\iconengines\\qsvgicon.dll", False),
        ("PySide6\\plugins\\tls\\qschannelbackend.dll", False),
        ("PySide6\\plugins\\networkinformation\\qnetworklistmanager.dll", False),
        # Not Qt at all
        ("libpython3.11.so.1.0", True),
        ("python311.dll", True),
        ("pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so", True),
        ("libssl.so.3", True),
    ],
)
def test_binary_policy(dest: str, kept: bool) -> None:
    reason = bf.binary_excluded(dest)
    assert (reason is None) is kept, reason


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("PySide6\\translations\\qtbase_fr.qm", False),
        ("PySide6/Qt/qml/QtQuick/Controls/qmldir", False),
        ("PySide6/Qt/resources/qtwebengine_resources.pak", False),
        ("gateway_core/terminals/ea_files/Experts/MT4Companion.mq4", True),
        ("gateway_core/protocol/schema.json", True),
        ("assets/icon-app-256.png", True),
        ("keyring-25.7.0.dist-info/entry_points.txt", True),
    ],
)
def test_data_policy(dest: str, kept: bool) -> None:
    assert (bf.data_excluded(dest) is None) is kept


def test_prune_orphans_follows_links_from_the_roots() -> None:
    toc = [
        ("PySide6/QtGui.abi3.so", "/s/QtGui.abi3.so", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/s/libQt6Gui.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Core.so.6", "/s/libQt6Core.so.6", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/s/libqxcb.so", "BINARY"),
        ("libxcb-cursor.so.0", "/s/libxcb-cursor.so.0", "BINARY"),
        # left behind by the dropped GTK theme plugin
        ("libcairo.so.2", "/s/libcairo.so.2", "BINARY"),
        ("libpixman-1.so.0", "/s/libpixman-1.so.0", "BINARY"),
        ("libpython3.11.so.1.0", "/s/libpython3.11.so.1.0", "BINARY"),
        ("libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "SYMLINK"),
    ]
    links = {
        "/s/QtGui.abi3.so": ["libQt6Gui.so.6", "libc.so.6"],
        "/s/libQt6Gui.so.6": ["libQt6Core.so.6"],
        "/s/libqxcb.so": ["libxcb-cursor.so.0", "libQt6Gui.so.6"],
        "/s/libcairo.so.2": ["libpixman-1.so.0"],
    }
    kept, dropped = bf.prune_orphans(toc, lambda src: links.get(src, []))
    assert {e[0] for e in kept} == {
        "PySide6/QtGui.abi3.so", "PySide6/Qt/lib/libQt6Gui.so.6",
        "PySide6/Qt/lib/libQt6Core.so.6", "PySide6/Qt/plugins/platforms/libqxcb.so",
        "libxcb-cursor.so.0", "libpython3.11.so.1.0", "libQt6Core.so.6",
    }
    assert {d for d, _ in dropped} == {"libcairo.so.2", "libpixman-1.so.0"}


def test_prune_orphans_matches_windows_names_case_insensitively() -> None:
    toc = [("PySide6/QtCore.pyd", "C:/s/QtCore.pyd", "EXTENSION"),
           ("PySide6/Qt6Core.dll", "C:/s/Qt6Core.dll", "BINARY")]
    kept, dropped = bf.prune_orphans(toc, lambda src: ["QT6CORE.DLL"] if "QtCore" in src else [])
    assert len(kept) == 2
    assert dropped == []


def test_dangling_symlinks_are_dropped() -> None:
    binaries = [("PySide6/Qt/lib/libQt6Core.so.6", "/s/core", "BINARY")]
    datas = [
        ("libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "SYMLINK"),
        ("libQt6Svg.so.6", "PySide6/Qt/lib/libQt6Svg.so.6", "SYMLINK"),
        ("assets/icon-app-16.png", "/s/icon", "DATA"),
    ]
    kept_bin, kept_data, dropped = bf.drop_dangling_symlinks(binaries, datas)
    assert kept_bin == binaries
    assert [e[0] for e in kept_data] == ["libQt6Core.so.6", "assets/icon-app-16.png"]
    assert [d for d, _ in dropped] == ["libQt6Svg.so.6"]


def test_spec_applies_the_policy_and_ships_the_data() -> None:
    spec = (ROOT / "installer" / "mt4companion.spec").read_text(encoding="utf-8")
    for needle in (
        "bundle_filter.PYTHON_EXCLUDED", "bundle_filter.GATEWAY_EXTRA_EXCLUDED",
        "bundle_filter.filter_toc(analysis.binaries)",
        "bundle_filter.filter_toc(analysis.datas, data=True)",
        "bundle_filter.prune_orphans", "bundle_filter.drop_dangling_symlinks",
        "buildinfo.EA_SOURCE", "buildinfo.SCHEMA_SOURCE", "buildinfo.ASSETS_SOURCE",
        "name=buildinfo.GUI_EXE", "name=buildinfo.CLI_EXE", "console=False", "console=True",
        "exclude_binaries=True", "COLLECT(", "upx=False",
    ):
        assert needle in spec, needle
    # one COLLECT, two EXEs: one folder, one shared _internal/
    assert spec.count("COLLECT(") == 1
    assert spec.count(" = EXE(") == 2


def test_ea_lands_where_the_frozen_app_looks() -> None:
    import buildinfo

    ea_package = (ROOT / "gateway_core" / "terminals" / "ea_package.py").read_text(
        encoding="utf-8")
    assert buildinfo.EA_BUNDLE_DIR == "gateway_core/terminals/ea_files"
    assert '"ea_files"' in ea_package  # the frozen fallback: ea_files/ next to ea_package.py
    assert (buildinfo.EA_SOURCE / "Experts" / "MT4Companion.mq4").is_file()
    assets = (ROOT / "desktop" / "assets.py").read_text(encoding="utf-8")
    assert f'"{buildinfo.ASSETS_BUNDLE_DIR}"' in assets


def test_asset_patterns_match_what_the_app_loads() -> None:
    import buildinfo

    shipped = {p.name for pattern in buildinfo.ASSET_PATTERNS
               for p in Path(buildinfo.ASSETS_SOURCE).glob(pattern)}
    assert "icon-app-256.png" in shipped
    assert "mt4-companion.ico" in shipped
    assert all(n.startswith("icon-") or n.endswith(".ico") for n in shipped)
