"""Our EA's files as shipped with the app, and the version they carry.

The files live in the repository at ``ea/MQL4/`` laid out exactly as they go into a terminal's
``MQL4/`` folder. Packaging maps that folder onto the resource package
``gateway_core.terminals.ea_files`` (its placeholder folder sits next to this module) so a wheel or
a PyInstaller build carries them; ``importlib.resources`` finds them there. Running from a source
checkout without an install, we fall back to ``<repo>/ea/MQL4``. Tests pass their own folder.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path

__all__ = [
    "EA_MAIN_FILE",
    "EA_NAME",
    "EA_SOURCE_ENV",
    "RESOURCE_PACKAGE",
    "RESOURCE_PACKAGES",
    "EaFile",
    "EaPackage",
    "EaPackageError",
    "decode_mql_source",
    "default_package_root",
    "load_ea_package",
    "parse_ea_inputs",
    "parse_ea_version",
]

logger = logging.getLogger(__name__)

EA_NAME = "MT4Companion"
# Relative to the MQL4 folder; "/" separated on every platform.
EA_MAIN_FILE = f"Experts/{EA_NAME}.mq4"
RESOURCE_PACKAGE = "gateway_core.terminals.ea_files"
RESOURCE_PACKAGES = (RESOURCE_PACKAGE, "gateway_core.ea_files")
EA_SOURCE_ENV = "MT4_COMPANION_EA_SOURCE"

_DEFINE_RE = re.compile(r'^\s*#define\s+COMPANION_EA_VERSION\s+"([^"\r\n]+)"', re.MULTILINE)
_PROPERTY_RE = re.compile(r'^\s*#property\s+version\s+"([^"\r\n]+)"', re.MULTILINE)
_INPUT_RE = re.compile(
    r"^\s*(?:input|extern)\s+(?:const\s+)?(?P<type>\w+)\s+(?P<name>\w+)\s*"
    r"(?:=\s*(?P<value>\"[^\"\r\n]*\"|[^;\r\n]*))?\s*;",
    re.MULTILINE,
)
# Packaging artefacts that may sit next to the EA files in a resource package but are not EA files.
_SKIP_NAMES = {"__init__.py", "__pycache__", "py.typed"}
_SKIP_SUFFIXES = (".pyc", ".pyo")


class EaPackageError(RuntimeError):
    """The EA files cannot be found or are incomplete."""


@dataclass(frozen=True)
class EaFile:
    """One file of the EA: where it goes under ``MQL4/`` and its exact bytes."""

    relative_path: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class EaPackage:
    """The complete set of EA files to install, and the version they declare."""

    files: tuple[EaFile, ...]
    version: str | None
    source: str

    def relative_paths(self) -> tuple[str, ...]:
        return tuple(f.relative_path for f in self.files)


def parse_ea_version(source_text: str) -> str | None:
    """The EA version in the .mq4 text: ``COMPANION_EA_VERSION``, else ``#property version``.

    The #define carries the full X.Y.Z; ``#property version`` is limited by MQL4 to X.YY and is only
    a fallback for files that lack the define.
    """
    match = _DEFINE_RE.search(source_text) or _PROPERTY_RE.search(source_text)
    return match.group(1).strip() if match else None


def parse_ea_inputs(source_text: str) -> dict[str, str]:
    """The EA's ``input``/``extern`` parameters with their default values, in source order.

    Used to write a ``.set`` preset that puts every input back to its default, so settings a
    trader once typed into the EA's dialog cannot override companion.cfg.
    """
    inputs: dict[str, str] = {}
    for match in _INPUT_RE.finditer(source_text):
        value = (match.group("value") or "").strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        inputs[match.group("name")] = value
    return inputs


def decode_mql_source(data: bytes) -> str:
    """Decode an .mq4/.mqh file: MetaEditor saves UTF-16LE with a BOM when the text is not ASCII."""
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    return data.decode("utf-8", errors="replace")


def _source_checkout_root() -> Path:
    # gateway_core/terminals/ea_package.py -> repository root is three levels up.
    return Path(__file__).resolve().parents[2] / "ea" / "MQL4"


def _has_main_file(root: Traversable) -> bool:
    node = root
    # One segment at a time: a namespace package's MultiplexedPath takes one name per call on
    # Python 3.11.
    for part in EA_MAIN_FILE.split("/"):
        node = node.joinpath(part)
    return node.is_file()


def default_package_root(environ: Mapping[str, str] | None = None) -> Traversable:
    """Where the shipped EA files are. The first of these that holds the EA wins:

    1. the folder named by ``$MT4_COMPANION_EA_SOURCE`` (an EA build under test; the CLI tests);
    2. the resource package ``gateway_core.terminals.ea_files`` (wheel: pyproject maps ``ea/MQL4``
       onto it), or ``gateway_core.ea_files`` should packaging choose that name;
    3. the folder ``ea_files`` next to this module (a frozen app that copied ``ea/MQL4`` there as
       plain data without an importable package);
    4. ``ea/MQL4`` of the source checkout this module runs from.
    """
    env = os.environ if environ is None else environ
    override = env.get(EA_SOURCE_ENV)
    if override:
        folder = Path(override).expanduser()
        if not (folder / EA_MAIN_FILE).is_file():
            raise EaPackageError(f"{EA_SOURCE_ENV}={override} does not hold {EA_MAIN_FILE}")
        return folder
    for package in RESOURCE_PACKAGES:
        try:
            root = importlib.resources.files(package)
            if _has_main_file(root):
                return root
        except (ModuleNotFoundError, TypeError, OSError) as exc:
            logger.debug("resource package %s not available: %s", package, exc)
    for folder in (Path(__file__).resolve().parent / "ea_files", _source_checkout_root()):
        if (folder / EA_MAIN_FILE).is_file():
            return folder
    raise EaPackageError(
        "the EA files are not part of this installation (looked in the resource packages "
        f"{', '.join(RESOURCE_PACKAGES)} and in {_source_checkout_root()})"
    )


def _walk(node: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        name = child.name
        if name in _SKIP_NAMES or name.startswith(".") or name.endswith(_SKIP_SUFFIXES):
            continue
        relative = f"{prefix}{name}"
        if child.is_dir():
            yield from _walk(child, relative + "/")
        elif child.is_file():
            yield relative, child


def load_ea_package(root: Traversable | Path | None = None) -> EaPackage:
    """Read every EA file under ``root`` (default: :func:`default_package_root`).

    Raises :class:`EaPackageError` when the main ``.mq4`` is missing: installing a package without
    it would leave the trader with include files and nothing to attach to a chart.
    """
    base: Traversable = default_package_root() if root is None else root
    try:
        files = tuple(EaFile(rel, node.read_bytes()) for rel, node in _walk(base, ""))
    except OSError as exc:
        raise EaPackageError(f"cannot read the EA files in {base}: {exc}") from exc
    main = next((f for f in files if f.relative_path == EA_MAIN_FILE), None)
    if main is None:
        raise EaPackageError(f"the EA files in {base} do not include {EA_MAIN_FILE}")
    version = parse_ea_version(decode_mql_source(main.data))
    return EaPackage(files=files, version=version, source=str(base))
