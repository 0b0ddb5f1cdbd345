"""House rules that keep the layers apart."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_gateway_core_never_imports_qt_or_desktop() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & {"PySide6", "desktop", "qasync"})
        for p in (ROOT / "gateway_core").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_the_whole_core_loads_no_qt() -> None:
    code = (
        "import importlib, pkgutil, sys, gateway_core\n"
        "for m in pkgutil.walk_packages(gateway_core.__path__, 'gateway_core.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'desktop', 'qasync')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_no_windows_only_imports_at_module_top() -> None:
    windows_only = {"winreg", "msvcrt", "_winapi", "win32api", "win32con", "pywintypes"}
    for p in [*(ROOT / "gateway_core").rglob("*.py"), *(ROOT / "desktop").rglob("*.py")]:
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = ({a.name for a in node.names} if isinstance(node, ast.Import)
                         else {node.module or ""})
                assert not names & windows_only, f"{p}: guard {names} with sys.platform"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_platform_backend_shares_only_the_wire_with_the_gateway() -> None:
    """The backend may use gateway_core's wire models (gateway_core.protocol) and
    nothing else of it: it must run, and change, without the gateway's internals."""
    offenders = {
        str(p.relative_to(ROOT)): sorted(
            m for m in _imported_modules(p)
            if (m == "gateway_core" or m.startswith("gateway_core."))
            and not (m == "gateway_core.protocol" or m.startswith("gateway_core.protocol."))
        )
        for p in (ROOT / "platform_backend").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_the_backend_loads_only_the_wire_of_the_core() -> None:
    code = (
        "import importlib, pkgutil, sys, platform_backend\n"
        "for m in pkgutil.walk_packages(platform_backend.__path__, 'platform_backend.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith('gateway_core.')\n"
        "             and not m.startswith('gateway_core.protocol'))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
