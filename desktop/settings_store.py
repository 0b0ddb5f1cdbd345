"""The app's settings: a dataclass persisted as JSON in the user config folder.

JSON rather than QSettings so the headless tools and support staff can read it, and so
it holds no secrets by construction: the platform token lives in secret_store.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from gateway_core.paths import config_dir
from gateway_core.server.config import DEFAULT_PORT

from .qt import QObject, Signal

log = logging.getLogger(__name__)

SETTINGS_FILE = "desktop-settings.json"


@dataclass(frozen=True)
class Settings:
    local_port: int = DEFAULT_PORT
    platform_url: str = ""
    platform_enabled: bool = False
    remote_trading: bool = True
    max_lots: float = 0.0
    """0 means no limit beyond the broker's."""
    allowed_symbols: str = ""
    """Comma-separated; empty means any symbol."""
    start_with_os: bool = False
    start_minimized: bool = False
    notifications: bool = True
    sync_paused: bool = False
    confirm_web_trades: bool = False
    """Each trade the platform sends waits for a click in a dialog (until it expires)."""
    platform_web_url: str = ""
    """The platform's address as the trader typed it when linking (the web panel)."""
    platform_user: str = ""
    """Who the link belongs to, as the platform said when linking."""
    link_offered: bool = False
    """The first-run offer to link was shown once."""

    def allowed_symbol_set(self) -> frozenset[str] | None:
        names = {s.strip().upper() for s in self.allowed_symbols.split(",") if s.strip()}
        return frozenset(names) if names else None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        """Known keys with the right type are taken; anything else keeps its default, so an
        old or hand-edited file never stops the app from starting."""
        defaults = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value, default = data[f.name], getattr(defaults, f.name)
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, float):
                ok = isinstance(value, int | float) and not isinstance(value, bool)
                value = float(value) if ok else value
            elif isinstance(default, int):
                ok = isinstance(value, int) and not isinstance(value, bool)
            else:
                ok = isinstance(value, str)
            if ok:
                values[f.name] = value
            else:
                log.warning("settings: ignoring %s=%r (wrong type)", f.name, value)
        settings = replace(defaults, **values)
        if not 1 <= settings.local_port <= 65535:
            settings = replace(settings, local_port=DEFAULT_PORT)
        return settings


class SettingsStore(QObject):
    """Loads once, saves on every change and tells listeners which fields changed."""

    changed = Signal(object, object)  # (Settings, frozenset[str] of changed field names)

    def __init__(self, path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path or (config_dir() / SETTINGS_FILE)
        self.settings = self._load()

    def _load(self) -> Settings:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Settings()
        except (OSError, ValueError) as exc:
            log.warning("settings file %s unreadable (%s): using defaults", self.path, exc)
            return Settings()
        return Settings.from_json(data) if isinstance(data, dict) else Settings()

    def update(self, **changes: Any) -> frozenset[str]:
        new = replace(self.settings, **changes)
        diff = frozenset(
            f.name
            for f in fields(Settings)
            if getattr(new, f.name) != getattr(self.settings, f.name)
        )
        if not diff:
            return diff
        self.settings = new
        self.save()
        self.changed.emit(new, diff)
        return diff

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self.settings), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
