"""Install, upgrade and uninstall our EA in one terminal's ``MQL4`` folder.

Rules the trader can rely on:

- Every file we write is recorded with its SHA-256 in
  ``MQL4/Files/MT4Companion/install-manifest.json``.
- A file at a target path that we did not write (no manifest entry, or its content differs from
  what we wrote: the trader edited it) is saved as ``<name>.bak-<timestamp>`` before we replace it.
- Installing twice changes nothing the second time. An older version of our EA is replaced.
- Uninstall removes only the manifest's files whose content is still ours, then our folders if
  they are empty. The trader's other files are never touched.
- Each file is written to a temporary file and moved into place, so a running terminal never reads
  half a file. A file the terminal keeps locked (Windows) is reported, and the rest carries on.
- Before the first write we make sure every target folder can be written; if one cannot, nothing
  is written at all.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from gateway_core.terminals.atomic_file import atomic_write_bytes
from gateway_core.terminals.ea_config import (
    CONFIG_RELATIVE_PATH,
    DEFAULT_GATEWAY_PORT,
    AgentIdRule,
    EaConfig,
    render_ea_config,
)
from gateway_core.terminals.ea_package import (
    EA_MAIN_FILE,
    EaPackage,
    decode_mql_source,
    load_ea_package,
    parse_ea_version,
)
from gateway_core.terminals.layout import require_mt4_data_folder

__all__ = [
    "MANIFEST_RELATIVE_PATH",
    "FileAction",
    "FileOutcome",
    "InstallResult",
    "InstalledState",
    "Manifest",
    "ManifestEntry",
    "install_ea",
    "installed_state",
    "read_manifest",
    "record_compiled_file",
    "uninstall_ea",
]

logger = logging.getLogger(__name__)

MANIFEST_RELATIVE_PATH = "Files/MT4Companion/install-manifest.json"
_MANIFEST_FORMAT = 1

FileKind = Literal["source", "config", "compiled"]


class FileAction(enum.StrEnum):
    """What happened to one file, in the words the result reports."""

    INSTALLED = "installed"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    BACKED_UP = "backed-up"
    SKIPPED = "skipped"
    REMOVED = "removed"
    KEPT = "kept"
    MISSING = "missing"


@dataclass(frozen=True)
class FileOutcome:
    """One file's fate. ``relative_path`` is relative to the terminal's MQL4 folder."""

    relative_path: str
    action: FileAction
    reason: str
    backup_path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.relative_path,
            "action": self.action.value,
            "reason": self.reason,
            "backup": str(self.backup_path) if self.backup_path else None,
        }


@dataclass(frozen=True)
class InstallResult:
    """The outcome of an install or uninstall, file by file."""

    operation: Literal["install", "uninstall"]
    data_folder: Path
    ok: bool
    changed: bool
    message: str
    ea_version: str | None = None
    previous_version: str | None = None
    files: tuple[FileOutcome, ...] = ()
    error: str | None = None

    def outcomes(self, action: FileAction) -> tuple[FileOutcome, ...]:
        return tuple(f for f in self.files if f.action is action)

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "data_folder": str(self.data_folder),
            "ok": self.ok,
            "changed": self.changed,
            "message": self.message,
            "ea_version": self.ea_version,
            "previous_version": self.previous_version,
            "error": self.error,
            "files": [f.to_json() for f in self.files],
        }


@dataclass(frozen=True)
class ManifestEntry:
    sha256: str
    kind: FileKind = "source"


@dataclass(frozen=True)
class Manifest:
    """What we installed: file path (relative to MQL4) -> hash, and the folders we created."""

    ea_version: str | None
    files: dict[str, ManifestEntry] = field(default_factory=dict)
    directories: tuple[str, ...] = ()
    installed_at: str = ""

    def to_bytes(self) -> bytes:
        payload = {
            "format": _MANIFEST_FORMAT,
            "product": "MT4 Companion EA",
            "ea_version": self.ea_version,
            "installed_at": self.installed_at,
            "files": {
                path: {"sha256": entry.sha256, "kind": entry.kind}
                for path, entry in sorted(self.files.items())
            },
            "directories": sorted(self.directories),
        }
        return (json.dumps(payload, indent=2) + "\n").encode("utf-8")

    def same_content(self, other: Manifest | None) -> bool:
        """Equal apart from the timestamp: used to leave an unchanged manifest alone."""
        return (
            other is not None
            and self.ea_version == other.ea_version
            and self.files == other.files
            and sorted(self.directories) == sorted(other.directories)
        )


@dataclass(frozen=True)
class InstalledState:
    """Whether our EA is in a terminal, and which version."""

    installed: bool
    version: str | None
    has_manifest: bool


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _target(mql4: Path, relative: str) -> Path:
    return mql4.joinpath(*PurePosixPath(relative).parts)


def _safe_relative(relative: str) -> bool:
    # A manifest is a file on disk someone could edit: never let it point outside MQL4.
    parts = PurePosixPath(relative).parts
    return bool(parts) and not PurePosixPath(relative).is_absolute() and ".." not in parts


def read_manifest(mql4: Path) -> Manifest | None:
    """Read our manifest; None when missing or unusable (it is then treated as absent)."""
    path = _target(mql4, MANIFEST_RELATIVE_PATH)
    try:
        payload = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        logger.warning("ignoring unreadable install manifest %s: %s", path, exc)
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("files"), dict):
        logger.warning("ignoring install manifest %s: unexpected layout", path)
        return None
    files: dict[str, ManifestEntry] = {}
    for relative, entry in payload["files"].items():
        if not isinstance(entry, dict) or not _safe_relative(str(relative)):
            continue
        sha = entry.get("sha256")
        kind = entry.get("kind", "source")
        if isinstance(sha, str) and kind in ("source", "config", "compiled"):
            files[str(relative)] = ManifestEntry(sha, kind)
    directories = tuple(
        str(d) for d in payload.get("directories", []) if isinstance(d, str) and _safe_relative(d)
    )
    version = payload.get("ea_version")
    return Manifest(
        ea_version=version if isinstance(version, str) else None,
        files=files,
        directories=directories,
        installed_at=str(payload.get("installed_at", "")),
    )


def installed_state(mql4: Path) -> InstalledState:
    """Is our EA in this MQL4 folder, and which version? From the .mq4, else the manifest."""
    manifest = read_manifest(mql4)
    main = _target(mql4, EA_MAIN_FILE)
    compiled = main.with_suffix(".ex4")
    try:
        source_text: str | None = decode_mql_source(main.read_bytes())
    except OSError:
        source_text = None
    version = parse_ea_version(source_text) if source_text is not None else None
    if manifest is not None and manifest.ea_version and version is None:
        version = manifest.ea_version
    try:
        has_binary = compiled.is_file()
    except OSError:
        has_binary = False
    installed = source_text is not None or has_binary
    return InstalledState(installed=installed, version=version, has_manifest=manifest is not None)


# --------------------------------------------------------------------------- preflight


class _PreflightError(Exception):
    pass


def _prepare_directories(mql4: Path, relative_dirs: Iterable[str]) -> list[str]:
    """Create the target folders and prove each one is writable.

    Returns the folders (relative to MQL4) this call created. On failure removes them again and
    raises :class:`_PreflightError` with a sentence for the trader, so nothing is left half-done.
    """
    created: list[str] = []
    created_mql4 = False
    try:
        if not mql4.exists():
            # A portable install that was never started has no MQL4 folder yet.
            mql4.mkdir()
            created_mql4 = True
        elif not mql4.is_dir():
            raise _PreflightError(f"{mql4} is a file, not a folder. Nothing was installed.")
        for relative in sorted(set(relative_dirs)):
            current = mql4
            accumulated: list[str] = []
            for part in PurePosixPath(relative).parts:
                accumulated.append(part)
                current = current / part
                if current.is_dir():
                    continue
                if current.exists():
                    raise _PreflightError(
                        f"{current} is a file, not a folder, so the EA cannot be put there. "
                        "Nothing was installed."
                    )
                current.mkdir()
                created.append("/".join(accumulated))
            # Creating a folder can succeed where creating a file does not (ACLs, read-only
            # attribute on Windows): try the real operation once.
            try:
                fd, probe = tempfile.mkstemp(prefix=".mt4companion-probe-", dir=current)
                os.close(fd)
                os.unlink(probe)
            except OSError as exc:
                exc.filename = str(current)  # name the folder, not the probe file
                raise
    except _PreflightError:
        _undo_directories(mql4, created, created_mql4)
        raise
    except OSError as exc:
        _undo_directories(mql4, created, created_mql4)
        where = exc.filename or mql4
        raise _PreflightError(
            f"cannot write to {where}: {exc.strerror or exc}. Nothing was installed. "
            "Check that the folder is not read-only and that you may write to it."
        ) from exc
    return created


def _undo_directories(mql4: Path, created: list[str], created_mql4: bool) -> None:
    _remove_empty_dirs(mql4, created)
    if created_mql4:
        with contextlib.suppress(OSError):
            mql4.rmdir()


def _remove_empty_dirs(mql4: Path, relative_dirs: Iterable[str]) -> list[str]:
    """Remove the given folders if empty, deepest first; return the ones that stayed."""
    stayed: list[str] = []
    for relative in sorted(set(relative_dirs), key=lambda d: d.count("/"), reverse=True):
        folder = _target(mql4, relative)
        try:
            folder.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            stayed.append(relative)
    return stayed


# --------------------------------------------------------------------------- install


def _backup_path(target: Path, stamp: str) -> Path:
    candidate = target.with_name(f"{target.name}.bak-{stamp}")
    counter = 2
    while candidate.exists():
        candidate = target.with_name(f"{target.name}.bak-{stamp}-{counter}")
        counter += 1
    return candidate


def _write_error_reason(exc: OSError) -> str:
    return (
        f"could not write it ({exc.strerror or exc}); if the terminal keeps it open, close the "
        "terminal and install again"
    )


@dataclass
class _Desired:
    relative_path: str
    data: bytes
    kind: FileKind
    private: bool


def _place_file(
    mql4: Path,
    item: _Desired,
    old: Manifest | None,
    stamp: str,
    versions: tuple[str | None, str | None],
) -> tuple[FileOutcome, ManifestEntry | None]:
    """Put one file in place; return what happened and the manifest entry to keep for it."""
    target = _target(mql4, item.relative_path)
    new_sha = _sha256(item.data)
    new_entry = ManifestEntry(new_sha, item.kind)
    old_entry = old.files.get(item.relative_path) if old else None
    try:
        current: bytes | None = target.read_bytes()
    except FileNotFoundError:
        current = None
    except IsADirectoryError:
        return FileOutcome(item.relative_path, FileAction.SKIPPED, "a folder is in the way"), None
    except OSError as exc:
        return (
            FileOutcome(item.relative_path, FileAction.SKIPPED, f"cannot read it ({exc.strerror})"),
            old_entry,
        )

    if current is not None and _sha256(current) == new_sha:
        if item.private and os.name == "posix":
            # An identical file may still have been readable by others (copied by hand).
            with contextlib.suppress(OSError):
                os.chmod(target, 0o600)
        return FileOutcome(
            item.relative_path, FileAction.UNCHANGED, "already up to date"
        ), new_entry

    backup: Path | None = None
    if current is None:
        action, reason = FileAction.INSTALLED, "new file"
    elif old_entry is not None and old_entry.sha256 == _sha256(current):
        old_version, new_version = versions
        action = FileAction.UPDATED
        if item.kind == "config":
            reason = "settings changed"
        elif old_version and new_version and old_version != new_version:
            reason = f"replaced version {old_version} with {new_version}"
        else:
            reason = "replaced our previous copy"
    else:
        backup = _backup_path(target, stamp)
        try:
            atomic_write_bytes(backup, current, private=item.private)
        except OSError as exc:
            # Never overwrite what we cannot save first.
            return (
                FileOutcome(
                    item.relative_path,
                    FileAction.SKIPPED,
                    f"not replaced: a copy could not be saved first ({exc.strerror or exc})",
                ),
                old_entry,
            )
        action = FileAction.BACKED_UP
        why = (
            "it was changed after we installed it"
            if old_entry is not None
            else "it was not installed by MT4 Companion"
        )
        reason = f"replaced; {why}, so the previous file was saved as {backup.name}"

    try:
        atomic_write_bytes(target, item.data, private=item.private)
    except OSError as exc:
        outcome = FileOutcome(item.relative_path, FileAction.SKIPPED, _write_error_reason(exc))
        if backup is not None:
            # The original stays in place, so the backup is a needless duplicate.
            with contextlib.suppress(OSError):
                backup.unlink()
        return outcome, old_entry
    return FileOutcome(item.relative_path, action, reason, backup), new_entry


def _compiled_sibling(relative: str) -> str | None:
    path = PurePosixPath(relative)
    return str(path.with_suffix(".ex4")) if path.suffix.lower() == ".mq4" else None


def _now_utc() -> datetime:
    return datetime.now(UTC)


def install_ea(
    data_folder: Path,
    *,
    token: str | None = None,
    token_provider: Callable[[], str] | None = None,
    gateway_port: int = DEFAULT_GATEWAY_PORT,
    agent_id: str = "",
    agent_id_rule: AgentIdRule = "login",
    package: EaPackage | None = None,
    clock: Callable[[], datetime] = _now_utc,
) -> InstallResult:
    """Install or upgrade our EA in the MT4 data folder ``data_folder``.

    ``token`` is the local gateway token; without it ``token_provider()`` is called (the app passes
    the gateway's token store). Raises :class:`~gateway_core.terminals.layout.NotAnMt4DataFolder`,
    :class:`~gateway_core.terminals.ea_config.EaConfigError` or
    :class:`~gateway_core.terminals.ea_package.EaPackageError` before touching anything; problems
    while writing come back in the result.
    """
    mql4 = require_mt4_data_folder(data_folder)
    if token is None:
        if token_provider is None:
            raise ValueError("install_ea needs a token or a token_provider")
        token = token_provider()
    config = EaConfig(
        token=token, gateway_port=gateway_port, agent_id=agent_id, agent_id_rule=agent_id_rule
    )
    config_bytes = render_ea_config(config).encode("utf-8")  # validates before any write
    ea = package if package is not None else load_ea_package()

    desired = [_Desired(f.relative_path, f.data, "source", False) for f in ea.files]
    desired.append(_Desired(CONFIG_RELATIVE_PATH, config_bytes, "config", True))
    old = read_manifest(mql4)
    previous_version = old.ea_version if old else installed_state(mql4).version

    needed_dirs = {str(PurePosixPath(d.relative_path).parent) for d in desired}
    needed_dirs.add(str(PurePosixPath(MANIFEST_RELATIVE_PATH).parent))
    needed_dirs.discard(".")
    try:
        created = _prepare_directories(mql4, needed_dirs)
    except _PreflightError as exc:
        return InstallResult(
            operation="install",
            data_folder=data_folder,
            ok=False,
            changed=False,
            message=str(exc),
            ea_version=ea.version,
            previous_version=previous_version,
            error=str(exc),
        )

    stamp = clock().strftime("%Y%m%d-%H%M%S")
    outcomes: list[FileOutcome] = []
    entries: dict[str, ManifestEntry] = {}
    for item in desired:
        outcome, entry = _place_file(mql4, item, old, stamp, (previous_version, ea.version))
        outcomes.append(outcome)
        if entry is not None:
            entries[item.relative_path] = entry

    # Files of an older version that this one no longer has, and binaries compiled from a source
    # we just replaced (they would run the old code until recompiled).
    replaced_sources = {
        o.relative_path
        for o in outcomes
        if o.action in (FileAction.INSTALLED, FileAction.UPDATED, FileAction.BACKED_UP)
    }
    stale_binaries = {_compiled_sibling(p) for p in replaced_sources} - {None}
    if old is not None:
        for relative, entry in sorted(old.files.items()):
            if relative in entries or any(d.relative_path == relative for d in desired):
                continue
            if entry.kind == "compiled" and relative not in stale_binaries:
                entries[relative] = entry  # still matches its (unchanged) source
                continue
            outcome = _remove_if_ours(
                mql4,
                relative,
                entry,
                "compiled from the previous version; it is compiled again from the new source"
                if entry.kind == "compiled"
                else "no longer part of the EA",
            )
            outcomes.append(outcome)
            if outcome.action is FileAction.SKIPPED:
                entries[relative] = entry

    directories = tuple(sorted(set(old.directories if old else ()) | set(created)))
    manifest = Manifest(
        ea_version=ea.version,
        files=entries,
        directories=directories,
        installed_at=clock().isoformat(timespec="seconds"),
    )
    manifest_changed = not manifest.same_content(old)
    error: str | None = None
    if manifest_changed:
        try:
            atomic_write_bytes(_target(mql4, MANIFEST_RELATIVE_PATH), manifest.to_bytes())
        except OSError as exc:
            error = f"could not write the install manifest ({exc.strerror or exc})"

    skipped = [o for o in outcomes if o.action is FileAction.SKIPPED]
    changed = manifest_changed or any(
        o.action not in (FileAction.UNCHANGED, FileAction.SKIPPED) for o in outcomes
    )
    ok = not skipped and error is None
    return InstallResult(
        operation="install",
        data_folder=data_folder,
        ok=ok,
        changed=changed,
        message=_install_message(outcomes, ea.version, previous_version, changed, error),
        ea_version=ea.version,
        previous_version=previous_version,
        files=tuple(outcomes),
        error=error
        if error
        else (f"{len(skipped)} file(s) could not be written" if skipped else None),
    )


def _install_message(
    outcomes: list[FileOutcome],
    version: str | None,
    previous: str | None,
    changed: bool,
    error: str | None,
) -> str:
    label = f"MT4 Companion EA {version}" if version else "MT4 Companion EA"
    skipped = [o for o in outcomes if o.action is FileAction.SKIPPED]
    backed_up = [o for o in outcomes if o.action is FileAction.BACKED_UP]
    if error:
        text = f"{label}: files copied, but {error}."
    elif skipped:
        names = ", ".join(o.relative_path for o in skipped)
        text = f"{label} only partly installed: could not write {names}."
    elif not changed:
        text = f"{label} is already installed; nothing changed."
    elif previous and version and previous != version:
        text = f"{label} installed (upgraded from {previous})."
    else:
        text = f"{label} installed."
    if backed_up:
        text += f" {len(backed_up)} file(s) you had were saved with a .bak- name first."
    return text


def record_compiled_file(mql4: Path, relative_path: str) -> bool:
    """Add a binary our compiler produced (e.g. ``Experts/MT4Companion.ex4``) to the manifest.

    So uninstall and later upgrades know it is ours. False when there is no manifest or the file
    cannot be read.
    """
    manifest = read_manifest(mql4)
    if manifest is None:
        return False
    try:
        data = _target(mql4, relative_path).read_bytes()
    except OSError:
        return False
    files = dict(manifest.files)
    files[relative_path] = ManifestEntry(_sha256(data), "compiled")
    updated = Manifest(manifest.ea_version, files, manifest.directories, manifest.installed_at)
    if updated.same_content(manifest):
        return True
    try:
        atomic_write_bytes(_target(mql4, MANIFEST_RELATIVE_PATH), updated.to_bytes())
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------- uninstall


def _remove_if_ours(mql4: Path, relative: str, entry: ManifestEntry, why: str) -> FileOutcome:
    target = _target(mql4, relative)
    try:
        current = target.read_bytes()
    except FileNotFoundError:
        return FileOutcome(relative, FileAction.MISSING, "already gone")
    except OSError as exc:
        return FileOutcome(relative, FileAction.SKIPPED, f"cannot read it ({exc.strerror or exc})")
    if _sha256(current) != entry.sha256:
        return FileOutcome(
            relative,
            FileAction.KEPT,
            "changed since MT4 Companion installed it, so it is yours now",
        )
    try:
        target.unlink()
    except OSError as exc:
        return FileOutcome(
            relative,
            FileAction.SKIPPED,
            f"could not delete it ({exc.strerror or exc}); if the terminal keeps it open, close "
            "the terminal and uninstall again",
        )
    return FileOutcome(relative, FileAction.REMOVED, why)


def uninstall_ea(data_folder: Path) -> InstallResult:
    """Remove what :func:`install_ea` put into ``data_folder``, keeping anything the trader changed.

    Besides the manifest's files, the ``.ex4`` the terminal compiled from our ``.mq4`` is removed
    too (it is our EA in binary form; left behind, the EA would stay in the Navigator).
    """
    mql4 = require_mt4_data_folder(data_folder)
    manifest = read_manifest(mql4)
    if manifest is None:
        state = installed_state(mql4)
        if state.installed:
            text = (
                "The MT4 Companion EA is here, but without MT4 Companion's install record, so "
                "nothing was removed (it was copied by hand, or the record was deleted)."
            )
            return InstallResult(
                "uninstall", data_folder, False, False, text, state.version, error=text
            )
        return InstallResult(
            "uninstall", data_folder, True, False, "The MT4 Companion EA is not installed here."
        )

    outcomes: list[FileOutcome] = []
    remaining: dict[str, ManifestEntry] = {}
    for relative, entry in sorted(manifest.files.items()):
        outcome = _remove_if_ours(mql4, relative, entry, "installed by MT4 Companion")
        outcomes.append(outcome)
        if outcome.action is FileAction.SKIPPED:
            remaining[relative] = entry
        compiled = _compiled_sibling(relative)
        if (
            entry.kind == "source"
            and outcome.action is FileAction.REMOVED
            and compiled
            and compiled not in manifest.files
        ):
            binary = _target(mql4, compiled)
            try:
                binary.unlink()
                outcomes.append(
                    FileOutcome(
                        compiled, FileAction.REMOVED, f"compiled by the terminal from {relative}"
                    )
                )
            except FileNotFoundError:
                pass
            except OSError as exc:
                outcomes.append(
                    FileOutcome(
                        compiled,
                        FileAction.SKIPPED,
                        f"could not delete it ({exc.strerror or exc}); close the terminal and "
                        "uninstall again",
                    )
                )

    manifest_path = _target(mql4, MANIFEST_RELATIVE_PATH)
    error: str | None = None
    try:
        if remaining:
            # Keep a record of what is still ours so a second uninstall can finish the job.
            atomic_write_bytes(
                manifest_path,
                Manifest(manifest.ea_version, remaining, manifest.directories).to_bytes(),
            )
        else:
            manifest_path.unlink(missing_ok=True)
    except OSError as exc:
        error = f"could not update the install record ({exc.strerror or exc})"
    if not remaining:
        _remove_empty_dirs(mql4, manifest.directories)

    skipped = [o for o in outcomes if o.action is FileAction.SKIPPED]
    kept = [o for o in outcomes if o.action is FileAction.KEPT]
    if skipped:
        names = ", ".join(o.relative_path for o in skipped)
        text = f"The MT4 Companion EA was only partly removed: could not delete {names}."
    else:
        text = "The MT4 Companion EA was removed."
    if kept:
        names = ", ".join(o.relative_path for o in kept)
        text += f" Kept {names}: changed after installation, so treated as yours."
    if error:
        text += f" But {error}."
    ok = not skipped and error is None
    changed = any(o.action is FileAction.REMOVED for o in outcomes) or not remaining
    if skipped and error is None:
        error = f"{len(skipped)} file(s) could not be removed"
    return InstallResult(
        operation="uninstall",
        data_folder=data_folder,
        ok=ok,
        changed=changed,
        message=text,
        ea_version=manifest.ea_version,
        previous_version=manifest.ea_version,
        files=tuple(outcomes),
        error=error,
    )
