"""What the trader's bundle leaves out, in one place: the spec applies it, the tests read it.

The app uses four Qt modules (desktop/qt.py imports QtCore, QtGui, QtWidgets, QtNetwork) and
no QML, no WebEngine, no SVG, no OpenGL, no translations. PyInstaller's Qt hooks collect
whole plugin families and the Qt libraries those plugins link; the filters below keep only the
plugins a widgets app needs on each OS and drop every library and data file of the rest.
Pure standard library (the spec imports it inside PyInstaller, the tests without it).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath
from typing import TypeVar

# Qt modules the app imports (desktop/qt.py is the only module that imports the binding).
QT_MODULES_USED = ("QtCore", "QtGui", "QtWidgets", "QtNetwork")

# PySide6 Python modules never shipped (an import of one of these must fail in the bundle).
QT_PY_MODULES_EXCLUDED = (
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
    "QtAxContainer", "QtBluetooth", "QtCharts", "QtConcurrent", "QtDataVisualization",
    "QtDBus", "QtDesigner", "QtGraphs", "QtHelp", "QtHttpServer", "QtLabsStyleKit",
    "QtLocation", "QtMultimedia", "QtMultimediaWidgets", "QtNetworkAuth", "QtNfc", "QtOpenGL",
    "QtOpenGLWidgets", "QtPdf", "QtPdfWidgets", "QtPositioning", "QtPrintSupport", "QtQml",
    "QtQmlFeatures", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest",
    "QtQuickWidgets", "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus",
    "QtSerialPort", "QtSpatialAudio", "QtSql", "QtStateMachine", "QtSvg", "QtSvgWidgets",
    "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel", "QtWebEngineCore",
    "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml",
)

# Standard-library and third-party modules the frozen app must not carry.
PYTHON_EXCLUDED = (
    *(f"PySide6.{m}" for m in QT_PY_MODULES_EXCLUDED),
    # Standard library: GUI toolkits, test and dev tools, packaging.
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "unittest", "doctest", "pydoc",
    "pydoc_data", "pdb", "lib2to3", "ensurepip", "venv", "distutils", "test", "xmlrpc",
    "curses", "_curses", "readline",
    # Build and test tooling present in the build venv.
    "setuptools", "pkg_resources", "pip", "wheel", "PyInstaller", "pytest", "_pytest",
    "pytestqt", "pytest_asyncio", "pytest_timeout", "mypy", "ruff", "hypothesis",
    # The platform backend is a server product, not part of the trader's app.
    "platform_backend", "socketio", "engineio", "uvicorn", "redis", "fastapi", "starlette",
    "aiohttp",
    # Big libraries nothing of ours uses, should a dependency try them.
    "numpy", "PIL", "IPython", "matplotlib",
)

# The headless gateway needs none of the desktop stack.
GATEWAY_EXTRA_EXCLUDED = ("PySide6", "shiboken6", "qasync", "keyring", "desktop")

# Qt shared libraries never shipped, by name prefix after "lib" and before the extension
# (libQt6Qml.so.6 / Qt6Qml.dll -> "Qt6Qml"). Everything the four modules link stays.
QT_LIBS_EXCLUDED = (
    "Qt63D", "Qt6Bluetooth", "Qt6Charts", "Qt6Concurrent", "Qt6DataVisualization",
    "Qt6Designer", "Qt6EglFS", "Qt6Graphs", "Qt6Grpc", "Qt6Help", "Qt6HttpServer",
    "Qt6LabsStyleKit", "Qt6Location", "Qt6Multimedia", "Qt6Nfc", "Qt6OpenGL", "Qt6Pdf",
    "Qt6Positioning", "Qt6PrintSupport", "Qt6Protobuf", "Qt6Qml", "Qt6Quick", "Qt6RemoteObjects",
    "Qt6Scxml", "Qt6Sensors", "Qt6SerialPort", "Qt6ShaderTools", "Qt6SpatialAudio", "Qt6Sql",
    "Qt6StateMachine", "Qt6Svg", "Qt6Test", "Qt6TextToSpeech", "Qt6UiTools",
    "Qt6VirtualKeyboard", "Qt6Wayland", "Qt6WebChannel", "Qt6WebEngine", "Qt6WebSockets",
    "Qt6WebView", "Qt6Xml", "pyside6qml",
    # Windows: Mesa's software OpenGL (~20 MB) and the D3D shader compiler: widgets need neither.
    "opengl32sw", "d3dcompiler_",
)

# Qt plugins kept, by plugin type and name (lib prefix and extension removed). Every other
# plugin type (iconengines/SVG, tls, networkinformation, qmltooling, sqldrivers, wayland-*,
# egldeviceintegrations, generic, printsupport, platformthemes, designer, ...) is dropped.
QT_PLUGINS_KEPT: dict[str, frozenset[str]] = {
    # windows: the real platform; xcb: a Linux desktop; offscreen/minimal: headless runs
    # (build smoke test, CI); cocoa: macOS.
    "platforms": frozenset({"qwindows", "qxcb", "qoffscreen", "qminimal", "qcocoa"}),
    # PNG is built into QtGui; .ico is the Windows icon the app may load.
    "imageformats": frozenset({"qico"}),
    # The native Windows 10/11 look (without it Qt falls back to Fusion).
    "styles": frozenset({"qmodernwindowsstyle", "qwindowsvistastyle", "qmacstyle"}),
    # Dead keys and input methods in text fields on Linux desktops.
    "platforminputcontexts": frozenset(
        {"composeplatforminputcontextplugin", "ibusplatforminputcontextplugin"}
    ),
}

# Data files dropped (posix-style destination paths inside the bundle).
DATA_EXCLUDED_PATTERNS = (
    re.compile(r"(^|/)PySide6/(Qt/)?translations/"),
    re.compile(r"(^|/)PySide6/(Qt/)?qml/"),
    re.compile(r"(^|/)PySide6/(Qt/)?resources/"),
    re.compile(r"(^|/)PySide6/(Qt/)?(metatypes|typesystems|include|glue|doc|support)/"),
)

_PLUGIN_RE = re.compile(r"(^|/)plugins/(?P<type>[^/]+)/(?P<file>[^/]+)$")
_LIB_SUFFIX_RE = re.compile(r"(\.so(\.\d+)*|\.dll|\.dylib|\.pyd)$", re.IGNORECASE)

T = TypeVar("T", bound=tuple)  # PyInstaller TOC entries: (dest_name, src_name, typecode)


def _posix(dest: str) -> str:
    return str(PurePosixPath(dest.replace("\\", "/")))


def library_stem(filename: str) -> str:
    """libQt6Qml.so.6 -> Qt6Qml; Qt6Qml.dll -> Qt6Qml; libqxcb.so -> qxcb."""
    name = _LIB_SUFFIX_RE.sub("", filename.rsplit("/", 1)[-1])
    if name.startswith("lib"):
        name = name[3:]
    return name.split(".")[0]


def binary_excluded(dest: str) -> str | None:
    """Why the binary at `dest` stays out of the bundle, or None to keep it."""
    path = _posix(dest)
    plugin = _PLUGIN_RE.search(path)
    if plugin and "PySide6" in path:
        kind, stem = plugin.group("type"), library_stem(plugin.group("file"))
        kept = QT_PLUGINS_KEPT.get(kind)
        if kept is None:
            return f"Qt plugin type {kind} not used"
        if stem not in kept:
            return f"Qt {kind} plugin {stem} not used"
        return None
    stem = library_stem(path)
    for prefix in QT_LIBS_EXCLUDED:
        if stem.startswith(prefix):
            return f"Qt library {stem} not used"
    # PySide6 binding modules of excluded Qt modules (QtQml.abi3.so, QtQml.pyd).
    if "PySide6/" in path and stem in QT_PY_MODULES_EXCLUDED:
        return f"PySide6 module {stem} not used"
    return None


def data_excluded(dest: str) -> str | None:
    path = _posix(dest)
    for pattern in DATA_EXCLUDED_PATTERNS:
        if pattern.search(path):
            return f"matches {pattern.pattern}"
    return None


def _is_root(entry: tuple) -> bool:
    """Binaries loaded by something other than the dynamic linker: Python extension modules,
    Qt plugins (Qt loads them by path), the Python library (the bootloader loads it)."""
    dest, _src, typecode = entry[0], entry[1], entry[2]
    path = _posix(dest)
    name = path.rsplit("/", 1)[-1].lower()
    return (
        typecode != "BINARY"
        or bool(_PLUGIN_RE.search(path))
        or name.startswith(("libpython", "python3"))
        or "/lib-dynload/" in f"/{path}"
    )


def prune_orphans(
    binaries: Iterable[T], imports_of: Callable[[str], Iterable[str]]
) -> tuple[list[T], list[tuple[str, str]]]:
    """Drop shared libraries nothing kept links to any more.

    PyInstaller resolves the link-time dependencies of every plugin it collects before the spec
    sees the list, so dropping e.g. the GTK platform-theme plugin leaves cairo, glib, harfbuzz
    behind. Starting from the roots (extensions, kept plugins, the Python library), follow
    `imports_of(src) -> library names` and keep what is reached; names compare by base name,
    case-insensitively (Windows DLL names).
    """
    everything = list(binaries)
    links = [e for e in everything if e[2] == "SYMLINK"]  # drop_dangling_symlinks judges these
    entries = [e for e in everything if e[2] != "SYMLINK"]
    by_name: dict[str, list[T]] = {}
    for entry in entries:
        by_name.setdefault(_posix(entry[0]).rsplit("/", 1)[-1].lower(), []).append(entry)
    reached: set[int] = set()
    todo = [e for e in entries if _is_root(e)]
    while todo:
        entry = todo.pop()
        if id(entry) in reached:
            continue
        reached.add(id(entry))
        for name in imports_of(entry[1]):
            todo.extend(by_name.get(name.rsplit("/", 1)[-1].lower(), ()))
    kept = [e for e in entries if id(e) in reached] + links
    dropped = [(e[0], "nothing kept links to it") for e in entries if id(e) not in reached]
    return kept, dropped


def drop_dangling_symlinks(
    binaries: Iterable[T], datas: Iterable[T]
) -> tuple[list[T], list[T], list[tuple[str, str]]]:
    """PyInstaller records `libX.so -> PySide6/Qt/lib/libX.so` links as SYMLINK entries (in the
    data list); a link whose target was filtered out would dangle in the bundle: drop it."""
    binaries, datas = list(binaries), list(datas)
    real = {_posix(e[0]) for e in binaries + datas if e[2] != "SYMLINK"}

    def target(entry: T) -> str:
        parent = PurePosixPath(_posix(entry[0])).parent
        return posixpath.normpath(str(parent / _posix(entry[1])))

    dropped: list[tuple[str, str]] = []

    def keep(entries: list[T]) -> list[T]:
        out = []
        for entry in entries:
            if entry[2] == "SYMLINK" and target(entry) not in real:
                dropped.append((entry[0], f"link to {target(entry)}, which is not shipped"))
            else:
                out.append(entry)
        return out

    return keep(binaries), keep(datas), dropped


def filter_toc(
    entries: Iterable[T], *, data: bool = False
) -> tuple[list[T], list[tuple[str, str]]]:
    """(kept entries, [(dest, reason)] dropped) for a list of PyInstaller TOC entries."""
    kept: list[T] = []
    dropped: list[tuple[str, str]] = []
    check = data_excluded if data else binary_excluded
    for entry in entries:
        reason = check(entry[0])
        if reason is None:
            kept.append(entry)
        else:
            dropped.append((entry[0], reason))
    return kept, dropped
