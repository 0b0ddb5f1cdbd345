"""Translate an EA and build it with g++, cached by content hash.

Cache layout under $MT4HOST_CACHE (default ~/.cache/mt4host):
  rt-<hash>/libmql4rt.a   the runtime, keyed by runtime sources + flags + compiler
  ea-<hash>/ea            one binary per (generated C++, runtime hash)
Builds write to a temporary name and rename, so parallel test workers never see a half
written binary.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .emit import assemble
from .lexer import MqlError
from .lint import lint
from .preprocess import Preprocessor
from .translator import Translator

HOST_DIR = Path(__file__).resolve().parent.parent
RUNTIME_DIR = HOST_DIR / "runtime"
CXX = os.environ.get("CXX") or shutil.which("g++") or "g++"
AR = shutil.which("ar") or "/usr/bin/ar"
KEEP_BUILDS = 60  # EA binaries kept in the cache (each a few MB)
CXXFLAGS = ["-std=c++17", "-O1", "-fwrapv", "-fno-strict-aliasing", "-w", "-pipe"]


class BuildError(Exception):
    """Translation or compilation failed; the message names file:line where possible."""


@dataclass
class BuildResult:
    binary: Path
    cpp: Path
    cached: bool


def cache_root() -> Path:
    root = Path(os.environ.get("MT4HOST_CACHE") or Path.home() / ".cache" / "mt4host")
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_tool(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the compiler or archiver; arguments are our own paths, never shell-interpreted."""
    return subprocess.run(args, capture_output=True, text=True, check=False, cwd=cwd)  # noqa: S603


def compiler_id() -> str:
    out = run_tool([CXX, "--version"])
    return out.stdout.splitlines()[0] if out.stdout else CXX


def runtime_hash() -> str:
    h = hashlib.sha256()
    h.update(" ".join(CXXFLAGS).encode())
    h.update(compiler_id().encode())
    for p in sorted(RUNTIME_DIR.glob("*.[ch]pp")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:20]


def build_runtime() -> Path:
    """Compile runtime/*.cpp once per content hash into a static library."""
    key = runtime_hash()
    out_dir = cache_root() / f"rt-{key}"
    lib = out_dir / "libmql4rt.a"
    if lib.exists():
        return lib
    with locked(cache_root() / f"rt-{key}.lock"):
        if lib.exists():
            return lib
        tmp = Path(tempfile.mkdtemp(prefix="tmp-rt-", dir=cache_root()))
        sources = sorted(RUNTIME_DIR.glob("*.cpp"))

        def compile_one(src: Path) -> tuple[Path, str]:
            obj = tmp / (src.stem + ".o")
            r = run_tool([CXX, *CXXFLAGS, "-I", str(RUNTIME_DIR), "-c", str(src), "-o", str(obj)])
            return obj, (r.stderr if r.returncode else "")

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
            results = list(ex.map(compile_one, sources))
        errors = [e for _, e in results if e]
        if errors:
            shutil.rmtree(tmp, ignore_errors=True)
            raise BuildError("runtime failed to compile:\n" + "\n".join(errors))
        ar = run_tool([AR, "rcs", str(tmp / "libmql4rt.a"), *(str(o) for o, _ in results)])
        if ar.returncode != 0:
            raise BuildError("ar failed: " + ar.stderr)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
        prune("rt-", 3, keep=out_dir)
    return lib


def include_dirs(ea: Path, sandbox: Path | None) -> list[Path]:
    dirs = []
    if sandbox is not None:
        dirs.append(sandbox / "MQL4" / "Include")
    # The .mq4 lives in .../MQL4/Experts/: its own MQL4/Include is the fallback.
    mql4 = ea.resolve().parent.parent
    dirs.append(mql4 / "Include")
    return dirs


def translate(ea: Path, sandbox: Path | None) -> str:
    """MQL4 source -> C++ text. Raises MqlError for anything unsupported."""
    pp = Preprocessor(include_dirs(ea, sandbox)).run(ea)
    tr = Translator(pp.tokens)
    lint(pp.tokens, tr.class_names)
    tr.run()
    return assemble(tr, ea.stem, "ea_generated.cpp")


def build(ea: Path, sandbox: Path | None = None) -> BuildResult:
    try:
        cpp_text = translate(ea, sandbox)
    except MqlError as e:
        raise BuildError(str(e)) from e
    lib = build_runtime()
    h = hashlib.sha256()
    h.update(cpp_text.encode())
    h.update(lib.parent.name.encode())
    key = h.hexdigest()[:24]
    out_dir = cache_root() / f"ea-{key}"
    binary = out_dir / ea.stem
    if binary.exists():
        os.utime(out_dir)  # recently used builds survive pruning
        return BuildResult(binary, out_dir / "ea_generated.cpp", cached=True)
    tmp = Path(tempfile.mkdtemp(prefix="tmp-ea-", dir=cache_root()))
    cpp = tmp / "ea_generated.cpp"
    cpp.write_text(cpp_text, encoding="utf-8")
    r = run_tool([CXX, *CXXFLAGS, "-I", str(RUNTIME_DIR), "-o", str(tmp / ea.stem), str(cpp),
                  str(lib)], cwd=tmp)
    if r.returncode != 0:
        keep = cache_root() / "last-failed.cpp"
        shutil.copy(cpp, keep)
        shutil.rmtree(tmp, ignore_errors=True)
        raise BuildError(summarize_errors(r.stderr) + f"\n(generated C++ kept at {keep})")
    try:
        tmp.rename(out_dir)
    except OSError:  # another process finished the same build first
        shutil.rmtree(tmp, ignore_errors=True)
    prune("ea-", KEEP_BUILDS, keep=out_dir)
    return BuildResult(binary, out_dir / "ea_generated.cpp", cached=False)


def prune(prefix: str, count: int, keep: Path) -> None:
    """Drop the oldest cached builds beyond `count`, so edits do not fill the disk."""
    dirs = [d for d in cache_root().glob(prefix + "*") if d.is_dir() and d != keep]
    dirs.sort(key=lambda d: d.stat().st_mtime, reverse=True)
    for d in dirs[max(count - 1, 0):]:
        shutil.rmtree(d, ignore_errors=True)


def summarize_errors(stderr: str, limit: int = 25) -> str:
    """g++ output with the #line mapping already pointing at .mq4/.mqh files; keep the
    error lines (and their notes) so the EA author sees file:line first."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    errs = [ln for ln in lines if ": error:" in ln or ": fatal error:" in ln]
    shown = errs[:limit] if errs else lines[:limit]
    text = "compile failed:\n" + "\n".join(shown)
    if any("was not declared in this scope" in ln for ln in shown):
        text += ("\n(an undeclared name is a typo, a variable used before its declaration, or "
                 "an MQL4 builtin ea/host does not implement yet: see ea/host/README.md)")
    return text
