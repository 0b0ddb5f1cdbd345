"""The one overall state the tray icon shows, decided from the agents and the platform link.

Pure logic so it is tested without a tray: ok (all good), warn (something stale, connecting
or reconnecting, or nothing connected yet), error (a terminal lost or the platform refused
our sign-in), paused (the trader paused the sync).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .icons import IconState

WARN_LINK = {"starting", "connecting", "reconnecting"}
ERROR_LINK = {"auth_failed", "revoked"}


@dataclass(frozen=True)
class Overall:
    state: IconState
    summary: str


def overall_state(statuses: Iterable[tuple[str, str]], link: Mapping[str, Any] | None,
                  paused: bool = False) -> Overall:
    """`statuses`: (agent_id, connected/stale/disconnected); `link`: backend_status()."""
    statuses = list(statuses)
    down = [a for a, s in statuses if s == "disconnected"]
    stale = [a for a, s in statuses if s == "stale"]
    up = [a for a, s in statuses if s == "connected"]
    link_state = str(link.get("state", "")) if link else ""
    parts: list[str] = []
    if statuses:
        parts.append(f"{len(up)} of {len(statuses)} terminals connected")
    else:
        parts.append("no terminal connected yet")
    if link_state:
        parts.append(f"platform {link_state.replace('_', ' ')}")
    summary = "; ".join(parts)
    if paused:
        return Overall("paused", "sync paused; " + summary)
    if down or link_state in ERROR_LINK:
        return Overall("error", summary)
    if stale or not statuses or link_state in WARN_LINK:
        return Overall("warn", summary)
    return Overall("ok", summary)
