"""Build the one-folder app for this OS with PyInstaller, then prove the frozen app works.

    python installer/build.py [--skip-build] [--nsis] [--json] [--clean]

1. builds `installer/dist/MT4Companion/` (mt4-companion + mt4-gateway sharing `_internal/`)
   from `installer/mt4companion.spec`, installing PyInstaller into this venv first if missing;
2. checks the bundle: the EA files, schema and icons are there and byte-identical to the
   repository, nothing on the exclusion list slipped in (files and frozen modules), and on
   Linux every shared library resolves;
3. smoke-tests the frozen executables headless (QT_QPA_PLATFORM=offscreen, private settings,
   log and data folders): `--version` of both, `mt4-companion --self-test` (gateway + 2 demo
   terminals + a trade round trip through /commands), the installer's EA step
   (`mt4-gateway terminals --json`, `install-ea`, `uninstall-ea` against a fake MT4 data
   folder), and the cold start to the main window shown; anything on stderr that is not on
   the allow-list below fails the build;
4. with `--nsis`, compiles `installer/windows/mt4companion.nsi` against the bundle with makensis
   (warnings are errors) into `installer/dist/Setup-<version>.exe`.

Prints bundle size, build time, self-test wall time, cold-start times (and the installer size);
`--json` prints the same report as JSON on stdout (progress goes to stderr). The report is also
written to `installer/dist/build-report.json`. Exits 1 with the reasons on any failure.
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import buildinfo

INSTALLER = buildinfo.INSTALLER_DIR
ROOT = buildinfo.REPO_ROOT
SPEC = INSTALLER / "mt4companion.spec"
NSIS_SCRIPT = INSTALLER / "windows" / "mt4companion.nsi"
DIST = INSTALLER / "dist"
WORK = INSTALLER / "build"
BUNDLE = DIST / buildinfo.BUNDLE_NAME
SPEC_WORK = WORK / SPEC.stem  # PyInstaller's workpath/<spec name>
REPORT_FILE = DIST / "build-report.json"
IS_WIN = sys.platform == "win32"
EXE_SUFFIX = ".exe" if IS_WIN else ""
PYINSTALLER_REQUIREMENT = "pyinstaller>=6.10,<7"

# stderr lines the frozen app may print, each with the reason it is harmless. Everything else
# on stderr fails the build (a warning today is a bug report tomorrow).
STDERR_ALLOWED: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^This plugin does not support propagateSizeHints\(\)$"),
        "Qt's offscreen platform (used only by this headless smoke test) cannot size windows",
    ),
    (
        re.compile(r"^This plugin does not support raise\(\)$"),
        "the offscreen platform cannot raise the first-run 'Link to platform' dialog",
    ),
)

# Modules that must not be inside the frozen archives (spot checks of the exclusion lists).
FORBIDDEN_MODULES = (
    "tkinter", "unittest", "pydoc", "doctest", "pdb", "lib2to3", "distutils", "setuptools",
    "pip", "pytest", "platform_backend", "socketio", "uvicorn", "redis", "fastapi",
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtWebEngineCore", "PySide6.QtSvg",
    "PySide6.QtOpenGL",
)
GATEWAY_FORBIDDEN_MODULES = ("PySide6", "shiboken6", "qasync", "desktop")
# Bundle paths (posix, relative to the bundle) that must not exist.
FORBIDDEN_PATH_PATTERNS = (
    re.compile(r"(^|/)translations/"),
    re.compile(r"(^|/)qml/"),
    re.compile(r"Qt6?(Qml|Quick|WebEngine|Pdf|VirtualKeyboard|Wayland|Designer)", re.IGNORECASE),
    re.compile(r"(^|/)plugins/(iconengines|tls|networkinformation|qmltooling|sqldrivers|"
               r"platformthemes|wayland-[^/]*|egldeviceintegrations|generic|printsupport)/"),
    re.compile(r"(^|/)(tcl|tk)[0-9.]*/|_tkinter", re.IGNORECASE),
    re.compile(r"opengl32sw", re.IGNORECASE),
)


class BuildFailure(RuntimeError):
    pass


@dataclass
class Report:
    version: str = ""
    platform: str = sys.platform
    ok: bool = False
    built: bool = False
    build_seconds: float | None = None
    bundle_path: str = str(BUNDLE)
    bundle_bytes: int | None = None
    bundle_mb: float | None = None
    bundle_files: int | None = None
    dropped_by_filters: int | None = None
    version_seconds: dict[str, float] = field(default_factory=dict)
    self_test_seconds: float | None = None
    self_test_line: str = ""
    cold_start_method: str = ""
    cold_start_seconds: list[float] = field(default_factory=list)
    cold_start_first_seconds: float | None = None
    cold_start_median_seconds: float | None = None
    ea_install_ok: bool | None = None
    installer_path: str | None = None
    installer_compressor: str | None = None
    installer_bytes: int | None = None
    installer_mb: float | None = None
    makensis_seconds: float | None = None
    makensis_version: str | None = None
    stderr_allowed_seen: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


_JSON_MODE = False  # --json: progress to stderr, the report alone on stdout


def log(message: str) -> None:
    print(message, file=sys.stderr if _JSON_MODE else sys.stdout, flush=True)


def mib(n: int) -> float:
    return round(n / (1024 * 1024), 1)


# --------------------------------------------------------------------------- build


def ensure_pyinstaller() -> str:
    """PyInstaller's version, installing it into this interpreter's environment if missing."""
    if importlib.util.find_spec("PyInstaller") is None:
        log(f"PyInstaller is not installed in {sys.prefix}: "
            f"pip install '{PYINSTALLER_REQUIREMENT}'")
        done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "pip", "install", "-q", PYINSTALLER_REQUIREMENT],
            check=False,
        )
        if done.returncode != 0:
            raise BuildFailure(f"could not install {PYINSTALLER_REQUIREMENT} (pip exit "
                               f"{done.returncode})")
    out = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--version"],
        capture_output=True, text=True, check=False,
    )
    version = out.stdout.strip()
    if out.returncode != 0 or not version.split(".")[0].isdigit() or int(version.split(".")[0]) < 6:
        raise BuildFailure(f"PyInstaller 6 is required, found {version or out.stderr.strip()!r}")
    return version


def build_bundle(report: Report, *, clean: bool) -> None:
    pyinstaller = ensure_pyinstaller()
    log(f"building {buildinfo.BUNDLE_NAME} {report.version} with PyInstaller {pyinstaller} "
        f"(Python {sys.version.split()[0]}, {sys.platform})")
    WORK.mkdir(parents=True, exist_ok=True)
    log_file = WORK / "pyinstaller.log"
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(DIST), "--workpath", str(WORK), str(SPEC)]
    if clean:
        cmd.insert(3, "--clean")
    started = time.perf_counter()
    with log_file.open("w", encoding="utf-8") as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, check=False)  # noqa: S603
    report.build_seconds = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        tail = "\n".join(log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-25:])
        raise BuildFailure(f"PyInstaller failed (exit {done.returncode}); last lines of "
                           f"{log_file}:\n{tail}")
    report.built = True
    log(f"built in {report.build_seconds} s")


# --------------------------------------------------------------------------- bundle checks


def exe(name: str) -> Path:
    return BUNDLE / f"{name}{EXE_SUFFIX}"


def bundle_files() -> list[Path]:
    return [p for p in BUNDLE.rglob("*") if p.is_file() or p.is_symlink()]


def internal_dir() -> Path:
    return BUNDLE / "_internal"


def check_bundle(report: Report) -> None:
    for name in (buildinfo.GUI_EXE, buildinfo.CLI_EXE):
        if not exe(name).is_file():
            raise BuildFailure(f"{exe(name)} is missing: build first (or drop --skip-build)")
    files = bundle_files()
    report.bundle_files = len(files)
    report.bundle_bytes = sum(p.lstat().st_size for p in files)
    report.bundle_mb = mib(report.bundle_bytes)
    dropped = SPEC_WORK / "dropped.txt"
    if dropped.is_file():
        report.dropped_by_filters = len(dropped.read_text(encoding="utf-8").splitlines())

    dangling = [p for p in files if p.is_symlink() and not p.exists()]
    if dangling:
        report.problems.append(f"dangling links in the bundle: {[str(p) for p in dangling]}")

    internal = internal_dir()
    for rel in sorted(p.relative_to(buildinfo.EA_SOURCE) for p in buildinfo.EA_SOURCE.rglob("*")
                      if p.is_file()):
        shipped = internal / buildinfo.EA_BUNDLE_DIR / rel
        if not shipped.is_file():
            report.problems.append(f"EA file {rel.as_posix()} is not in the bundle ({shipped})")
        elif not filecmp.cmp(shipped, buildinfo.EA_SOURCE / rel, shallow=False):
            report.problems.append(f"EA file {rel.as_posix()} in the bundle differs from ea/MQL4")
    schema = internal / buildinfo.SCHEMA_BUNDLE_DIR / buildinfo.SCHEMA_SOURCE.name
    if not schema.is_file():
        report.problems.append(f"the wire schema is not in the bundle ({schema})")
    for name in ("icon-app-256.png", "icon-ok-16.png", "mt4-companion.ico"):
        if not (internal / buildinfo.ASSETS_BUNDLE_DIR / name).is_file():
            report.problems.append(f"asset {name} is not in the bundle")

    for path in files:
        rel = path.relative_to(BUNDLE).as_posix()
        for pattern in FORBIDDEN_PATH_PATTERNS:
            if pattern.search(rel):
                report.problems.append(f"{rel} should not be in the bundle ({pattern.pattern})")
                break

    check_frozen_modules(report)
    if sys.platform.startswith("linux"):
        check_linux_libraries(report)


def archive_modules(pyz: Path) -> set[str]:
    from PyInstaller.archive.readers import ZlibArchiveReader

    return set(ZlibArchiveReader(str(pyz)).toc)


def check_frozen_modules(report: Report) -> None:
    """The PYZ archives PyInstaller built for each executable, read back."""
    pyzs = sorted(SPEC_WORK.glob("PYZ-*.pyz"))
    if len(pyzs) != 2:
        report.problems.append(f"expected two PYZ archives in {SPEC_WORK}, found {len(pyzs)}")
        return
    try:
        contents = [archive_modules(p) for p in pyzs]
    except Exception as exc:  # an unreadable archive is a finding, not a crash
        report.problems.append(f"cannot read the frozen archives: {exc}")
        return
    app_mods = next((c for c in contents if "desktop.app" in c), None)
    gw_mods = next((c for c in contents if "desktop.app" not in c), None)
    if app_mods is None or gw_mods is None:
        report.problems.append("cannot tell the app's archive from the gateway's")
        return

    def present(mods: set[str], name: str) -> bool:
        return name in mods or any(m.startswith(name + ".") for m in mods)

    for name in FORBIDDEN_MODULES:
        for label, mods in (("mt4-companion", app_mods), ("mt4-gateway", gw_mods)):
            if present(mods, name):
                report.problems.append(f"{label} carries the excluded module {name}")
    for name in GATEWAY_FORBIDDEN_MODULES:
        if present(gw_mods, name):
            report.problems.append(f"mt4-gateway carries the desktop module {name}")
    for needed in ("gateway_core.cli", "gateway_core.terminals.cli_commands",
                   "gateway_core.forwarder.cli_support", "gateway_core.demo.runner"):
        if needed not in gw_mods:
            report.problems.append(f"mt4-gateway lacks {needed}")
    for needed in ("desktop.app", "desktop.self_test", "qasync", "keyring.backends"):
        if not present(app_mods, needed):
            report.problems.append(f"mt4-companion lacks {needed}")


def check_linux_libraries(report: Report) -> None:
    """`ldd` on every shared object: none may have an unresolved dependency."""
    if shutil.which("ldd") is None:
        return
    internal = internal_dir()
    env = dict(os.environ, LD_LIBRARY_PATH=str(internal))
    unresolved: set[str] = set()
    for path in internal.rglob("*.so*"):
        if path.is_symlink() or not path.is_file():
            continue
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env,  # noqa: S603, S607
                              check=False)
        for line in done.stdout.splitlines():
            if "not found" in line:
                unresolved.add(f"{path.relative_to(internal)}: {line.strip()}")
    if unresolved:
        report.problems.append("unresolved shared libraries: " + "; ".join(sorted(unresolved)))


# --------------------------------------------------------------------------- smoke tests


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


class Sandbox:
    """Private settings, data, log and temp folders and a user name of its own, so the frozen
    app never touches the builder's real ones (nor meets a running instance of itself)."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="mt4c-smoke-")
        self.root = Path(self._tmp.name)
        runtime = self.root / "xdg-runtime"
        runtime.mkdir(mode=0o700)
        user = f"mt4c-smoke-{os.getpid()}"
        self.env = dict(os.environ)
        for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "QT_PLUGIN_PATH",
                    "QT_QPA_PLATFORM_PLUGIN_PATH", "MT4_COMPANION_EA_SOURCE",
                    "MT4_COMPANION_ASSETS"):
            self.env.pop(key, None)
        self.env.update(
            QT_QPA_PLATFORM="offscreen",
            MT4_COMPANION_CONFIG_DIR=str(self.root / "config"),
            MT4_COMPANION_DATA_DIR=str(self.root / "data"),
            MT4_COMPANION_LOG_DIR=str(self.root / "logs"),
            XDG_RUNTIME_DIR=str(runtime),
            XDG_CONFIG_HOME=str(self.root / "xdg-config"),
            TMPDIR=str(self.root), TEMP=str(self.root), TMP=str(self.root),
            USER=user, LOGNAME=user, USERNAME=user,
            PYTHONIOENCODING="utf-8",
        )
        self.allowed_seen: list[str] = []

    def close(self) -> None:
        self._tmp.cleanup()

    def run(self, args: Sequence[str], *, timeout: float = 60) -> Run:
        started = time.perf_counter()
        try:
            done = subprocess.run(  # noqa: S603 - the executables we just built
                list(args), capture_output=True, text=True, encoding="utf-8", errors="replace",
                env=self.env, cwd=self.root, timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BuildFailure(f"{' '.join(map(str, args))} did not finish in {timeout} s") from exc
        return Run(done.returncode, done.stdout, done.stderr, time.perf_counter() - started)

    def unexpected_stderr(self, stderr: str) -> list[str]:
        bad = []
        for line in stderr.splitlines():
            if not line.strip():
                continue
            for pattern, reason in STDERR_ALLOWED:
                if pattern.match(line.strip()):
                    note = f"{line.strip()} ({reason})"
                    if note not in self.allowed_seen:
                        self.allowed_seen.append(note)
                    break
            else:
                bad.append(line)
        return bad


def _describe(args: Sequence[str], run: Run) -> str:
    name = " ".join([Path(args[0]).name, *map(str, args[1:])])
    out = (run.stdout.strip() + "\n" + run.stderr.strip()).strip()
    return f"`{name}` exited {run.returncode}: {out[-1500:] or '(no output)'}"


def checked(sandbox: Sandbox, report: Report, args: Sequence[str], *, timeout: float = 60,
            expect_rc: int = 0) -> Run | None:
    """Run a frozen command; record a problem for a bad exit code or unexpected stderr."""
    run = sandbox.run(args, timeout=timeout)
    name = " ".join([Path(args[0]).name, *map(str, args[1:])])
    if run.returncode != expect_rc:
        report.problems.append(_describe(args, run))
        return None
    bad = sandbox.unexpected_stderr(run.stderr)
    if bad:
        report.problems.append(f"`{name}` wrote unexpected stderr: {bad[:10]}")
        return None
    return run


def smoke_versions(sandbox: Sandbox, report: Report) -> None:
    for name in (buildinfo.CLI_EXE, buildinfo.GUI_EXE):
        times = []
        for _ in range(3):
            run = checked(sandbox, report, [str(exe(name)), "--version"], timeout=60)
            if run is None:
                return
            expected = f"{name} {report.version}"
            if run.stdout.strip() != expected:
                report.problems.append(f"`{name} --version` printed {run.stdout.strip()!r}, "
                                       f"expected {expected!r}")
                return
            times.append(run.seconds)
        report.version_seconds[name] = round(min(times), 3)
        report.version_seconds[f"{name} (first run)"] = round(times[0], 3)
    log(f"--version ok: {report.version_seconds}")


def smoke_self_test(sandbox: Sandbox, report: Report) -> None:
    args = [str(exe(buildinfo.GUI_EXE)), "--self-test"]
    run = sandbox.run(args, timeout=90)
    if run.returncode == 2 and "unrecognized arguments: --self-test" in run.stderr:
        report.problems.append(
            "mt4-companion has no --self-test yet (desktop/app.py): the frozen trade round trip "
            "cannot be checked"
        )
        return
    if run.returncode != 0:
        report.problems.append("self-test failed: " + _describe(args, run))
        return
    bad = sandbox.unexpected_stderr(run.stderr)
    if bad:
        report.problems.append(f"`mt4-companion --self-test` wrote unexpected stderr: {bad[:10]}")
        return
    line = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    if "self-test ok" not in line:
        report.problems.append(f"self-test exited 0 but printed {run.stdout.strip()!r}")
        return
    report.self_test_seconds = round(run.seconds, 2)
    report.self_test_line = line
    log(f"self-test ok in {report.self_test_seconds} s: {line}")


def smoke_ea_install(sandbox: Sandbox, report: Report) -> None:
    """What the Windows installer's finish page does, against a fake MT4 data folder:
    list terminals as JSON, install the EA (no MetaEditor here), then remove it again."""
    gateway = str(exe(buildinfo.CLI_EXE))
    root = sandbox.root / "MetaQuotes" / "Terminal"
    data = root / ("0123456789ABCDEF" * 2)
    (data / "MQL4" / "Experts").mkdir(parents=True)
    (data / "origin.txt").write_text("C:\\Program Files (x86)\\Smoke Broker MT4 Terminal\n",
                                     encoding="utf-8")
    report.ea_install_ok = False
    run = checked(sandbox, report, [gateway, "terminals", "--json", "--no-default-roots",
                                    "--search-root", str(root)])
    if run is None:
        return
    found = [t["data_folder"] for t in json.loads(run.stdout)["terminals"] if t["supported"]]
    if found != [str(data)]:
        report.problems.append(f"`mt4-gateway terminals --json` found {found}, expected "
                               f"[{str(data)!r}]")
        return
    run = checked(sandbox, report, [gateway, "install-ea", "--terminal", str(data),
                                    "--no-compile", "--json"])
    if run is None:
        return
    shipped = sorted(p.relative_to(buildinfo.EA_SOURCE) for p in buildinfo.EA_SOURCE.rglob("*")
                     if p.is_file())
    missing = [str(rel) for rel in shipped
               if not filecmp.cmp(data / "MQL4" / rel, buildinfo.EA_SOURCE / rel, shallow=False)]
    if missing or not json.loads(run.stdout).get("ok"):
        report.problems.append(f"install-ea from the bundle did not install the EA as shipped "
                               f"(differs: {missing}); output: {run.stdout[-800:]}")
        return
    run = checked(sandbox, report, [gateway, "uninstall-ea", "--terminal", str(data), "--json"])
    if run is None:
        return
    if (data / "MQL4" / "Experts" / "MT4Companion.mq4").exists():
        report.problems.append("uninstall-ea from the bundle left the EA in the terminal")
        return
    report.ea_install_ok = True
    log(f"EA install/uninstall through the frozen mt4-gateway ok ({len(shipped)} files)")


def _wait_for_window(sandbox: Sandbox, log_file: Path, timeout: float) -> tuple[float, str]:
    """Start the app; seconds until it logs that its window is shown; stderr."""
    args = [str(exe(buildinfo.GUI_EXE)), "--port", "0"]
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - the executable we just built
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        encoding="utf-8", errors="replace", env=sandbox.env, cwd=sandbox.root,
    )
    shown: float | None = None
    try:
        while time.perf_counter() - started < timeout:
            if log_file.is_file() and "desktop.app: started in" in log_file.read_text(
                encoding="utf-8", errors="replace"
            ):
                shown = time.perf_counter() - started
                break
            if proc.poll() is not None:
                break
            time.sleep(0.005)
    finally:
        proc.kill()
        _out, err = proc.communicate(timeout=30)
    if shown is None:
        logged = (log_file.read_text(encoding="utf-8", errors="replace")[-800:]
                  if log_file.is_file() else "(none)")
        raise BuildFailure(
            f"mt4-companion did not show its window within {timeout} s (exit {proc.returncode}); "
            f"stderr: {err.strip()[-800:]}; log: {logged}"
        )
    return shown, err


def smoke_cold_start(sandbox: Sandbox, report: Report, runs: int = 3) -> None:
    """Process start to the main window shown (the app logs `started in ...` right after
    `window.show()`), in a fresh settings/log folder each time. The first run after a build is
    the coldest this machine allows (the files were just written, so they are in the page
    cache: a true cold disk read on a trader's PC is slower)."""
    report.cold_start_method = ("spawn -> 'desktop.app: started in' log line, written right "
                                "after the main window's show() (offscreen)")
    times = []
    for index in range(runs):
        logs = sandbox.root / f"cold-logs-{index}"
        sandbox.env["MT4_COMPANION_LOG_DIR"] = str(logs)
        sandbox.env["MT4_COMPANION_CONFIG_DIR"] = str(sandbox.root / f"cold-config-{index}")
        try:
            seconds, err = _wait_for_window(sandbox, logs / "mt4-companion.log", timeout=30)
        except BuildFailure as exc:
            report.problems.append(str(exc))
            return
        bad = sandbox.unexpected_stderr(err)
        if bad:
            report.problems.append(f"`mt4-companion` wrote unexpected stderr: {bad[:10]}")
            return
        times.append(round(seconds, 3))
    report.cold_start_seconds = times
    report.cold_start_first_seconds = times[0]
    report.cold_start_median_seconds = round(statistics.median(times), 3)
    log(f"start to window shown: {times} s")


def smoke_test(report: Report) -> None:
    sandbox = Sandbox()
    try:
        smoke_versions(sandbox, report)
        smoke_self_test(sandbox, report)
        smoke_ea_install(sandbox, report)
        smoke_cold_start(sandbox, report)
    finally:
        report.stderr_allowed_seen = sandbox.allowed_seen
        sandbox.close()


# --------------------------------------------------------------------------- NSIS


def find_makensis() -> str | None:
    found = shutil.which("makensis")
    if found:
        return found
    if IS_WIN:
        for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
            if base and (Path(base) / "NSIS" / "makensis.exe").is_file():
                return str(Path(base) / "NSIS" / "makensis.exe")
    return None


def nsis_defines(version: str, outfile: Path, bundle: Path, compressor: str) -> dict[str, str]:
    quad = ".".join(str(n) for n in buildinfo.version_quad(version))
    return {
        "VERSION": version,
        "VERSION_QUAD": quad,
        "BUNDLE_DIR": str(bundle),
        "OUTFILE": str(outfile),
        "APP_ICON": str(SPEC_WORK / "mt4-companion.ico"),
        "COMPRESSOR": compressor,
    }


def nsis_input() -> tuple[Path, int]:
    """The folder makensis packs, and how many symlinks were left out of it.

    PyInstaller's Linux bundles alias a few libraries with symlinks (`_internal/libQt6Core.so.6
    -> PySide6/Qt/lib/...`); makensis follows links and would pack those ~66 MB twice. Windows
    bundles have no links. So on Linux makensis gets a hard-linked copy without the links."""
    links = [p for p in BUNDLE.rglob("*") if p.is_symlink()]
    if not links:
        return BUNDLE, 0
    stage = WORK / "nsis-stage" / buildinfo.BUNDLE_NAME
    shutil.rmtree(stage.parent, ignore_errors=True)
    for path in sorted(BUNDLE.rglob("*")):
        target = stage / path.relative_to(BUNDLE)
        if path.is_symlink():
            continue
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    return stage, len(links)


def build_installer(report: Report, compressor: str) -> None:
    makensis = find_makensis()
    if makensis is None:
        raise BuildFailure("makensis not found: install NSIS 3 (Debian: apt-get install nsis; "
                           "Windows: choco install nsis)")
    version = subprocess.run([makensis, "-VERSION"], capture_output=True, text=True,  # noqa: S603
                             check=False)
    report.makensis_version = version.stdout.strip()
    outfile = DIST / f"Setup-{report.version}.exe"
    outfile.unlink(missing_ok=True)
    icon = SPEC_WORK / "mt4-companion.ico"
    if not icon.is_file():  # --skip-build against a bundle built elsewhere
        import make_ico

        make_ico.build_app_ico(icon)
    bundle, links = nsis_input()
    report.installer_compressor = compressor
    defines = [f"-D{k}={v}"
               for k, v in nsis_defines(report.version, outfile, bundle, compressor).items()]
    # -WX: any warning is an error; -V2: warnings and errors only; -INPUTCHARSET for the .nsi.
    cmd = [makensis, "-WX", "-V2", "-INPUTCHARSET", "UTF8", *defines, str(NSIS_SCRIPT)]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    report.makensis_seconds = round(time.perf_counter() - started, 1)
    if done.returncode != 0 or not outfile.is_file():
        raise BuildFailure(f"makensis failed (exit {done.returncode}):\n"
                           f"{(done.stdout + done.stderr).strip()[-3000:]}")
    report.installer_path = str(outfile)
    report.installer_bytes = outfile.stat().st_size
    report.installer_mb = mib(report.installer_bytes)
    note = "" if IS_WIN else (" (built against the Linux bundle to prove the script compiles; "
                              f"not a runnable Windows installer; {links} symlinks left out)")
    log(f"installer {outfile.name}: {report.installer_mb} MB ({compressor}) in "
        f"{report.makensis_seconds} s{note}")


# --------------------------------------------------------------------------- main


def summary(report: Report) -> str:
    lines = [
        f"MT4 Companion {report.version} bundle for {report.platform}: "
        + ("OK" if report.ok else "FAILED"),
        f"  bundle:          {report.bundle_mb} MB (MiB) in {report.bundle_files} files "
        f"({report.bundle_path})",
        f"  build time:      {report.build_seconds} s" if report.built else
        "  build time:      (skipped)",
        f"  --version:       {report.version_seconds}",
        f"  --self-test:     {report.self_test_seconds} s wall",
        f"  window shown:    first {report.cold_start_first_seconds} s, median "
        f"{report.cold_start_median_seconds} s of {report.cold_start_seconds}",
        f"  EA install step: {'ok' if report.ea_install_ok else report.ea_install_ok}",
    ]
    if report.installer_path:
        lines.append(f"  installer:       {report.installer_mb} MB ({report.installer_path}, "
                     f"{report.installer_compressor}, makensis {report.makensis_seconds} s)")
    lines.extend(f"  problem: {p}" for p in report.problems)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    global _JSON_MODE
    parser = argparse.ArgumentParser(prog="installer/build.py", description=__doc__.split("\n")[0])
    parser.add_argument("--skip-build", action="store_true",
                        help="smoke-test the bundle already in installer/dist")
    parser.add_argument("--nsis", action="store_true",
                        help="also compile the NSIS installer script with makensis")
    parser.add_argument("--nsis-compressor", default=None,
                        help="makensis SetCompressor argument (default: '/SOLID lzma' on "
                        "Windows, as released; 'zlib' elsewhere, where the compile only "
                        "proves the script and LZMA takes minutes)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    args = parser.parse_args(argv)
    _JSON_MODE = args.json

    report = Report()
    try:
        report.version = buildinfo.app_version()
        if not args.skip_build:
            build_bundle(report, clean=args.clean)
        check_bundle(report)
        log(f"bundle: {report.bundle_mb} MB (MiB), {report.bundle_files} files")
        smoke_test(report)
        if args.nsis:
            build_installer(report, args.nsis_compressor or
                            ("/SOLID lzma" if IS_WIN else "zlib"))
    except (BuildFailure, buildinfo.VersionMismatch) as exc:
        report.problems.append(str(exc))
    report.ok = not report.problems
    DIST.mkdir(parents=True, exist_ok=True)
    REPORT_FILE.write_text(json.dumps(report.as_json(), indent=2) + "\n", encoding="utf-8")
    log(summary(report))
    if args.json:
        print(json.dumps(report.as_json(), indent=2), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
