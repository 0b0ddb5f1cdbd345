"""The EA's configuration file ``MQL4/Files/MT4Companion/companion.cfg``.

Contract with the EA (it parses this file at start-up): UTF-8, one ``key=value`` per line, ``#``
starts a comment line. Keys:

- ``gateway_url``: ``ws://127.0.0.1:<port>/mt4``; the EA appends ``/<agent_id>``.
- ``token``: the local gateway token (a secret: the file is readable by the user only).
- ``agent_id``: empty means "derive it with agent_id_rule".
- ``agent_id_rule``: ``login`` (``mt4-<account login>``) or ``data_folder`` (``mt4-`` + the first
  12 hex digits of the MD5 of the terminal's data folder name).
- ``heartbeat_ms``, ``timer_ms``: the EA's heartbeat and timer periods.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gateway_core.terminals.atomic_file import atomic_write_bytes

__all__ = [
    "CONFIG_RELATIVE_PATH",
    "DEFAULT_GATEWAY_PORT",
    "AgentIdRule",
    "EaConfig",
    "EaConfigError",
    "agent_id_for_data_folder",
    "agent_id_for_login",
    "parse_ea_config",
    "render_ea_config",
    "write_ea_config",
]

# Relative to the MQL4 folder; the EA opens it as "MT4Companion\\companion.cfg" (file functions are
# rooted at MQL4\Files).
CONFIG_RELATIVE_PATH = "Files/MT4Companion/companion.cfg"
DEFAULT_GATEWAY_PORT = 8090

AgentIdRule = Literal["login", "data_folder"]
_AGENT_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_LOOPBACK_HOST = "127.0.0.1"


class EaConfigError(ValueError):
    """A value cannot be written into the EA config file."""


@dataclass(frozen=True)
class EaConfig:
    """Everything the EA needs to reach the local gateway."""

    token: str
    gateway_port: int = DEFAULT_GATEWAY_PORT
    agent_id: str = ""
    agent_id_rule: AgentIdRule = "login"
    heartbeat_ms: int = 5000
    timer_ms: int = 25

    @property
    def gateway_url(self) -> str:
        return f"ws://{_LOOPBACK_HOST}:{self.gateway_port}/mt4"

    def validate(self) -> None:
        """Raise :class:`EaConfigError` for a value the EA would misread."""
        if not 1 <= self.gateway_port <= 65535:
            raise EaConfigError(f"port {self.gateway_port} is not between 1 and 65535")
        if not self.token:
            raise EaConfigError("the local gateway token is empty")
        for name, value in (("token", self.token), ("agent_id", self.agent_id)):
            # A line break would end the value early and could smuggle in another key.
            if any(ch in value for ch in "\r\n\x00"):
                raise EaConfigError(f"{name} must not contain line breaks or NUL characters")
            if value != value.strip():
                raise EaConfigError(f"{name} must not start or end with spaces")
        if self.agent_id and not _AGENT_ID_RE.match(self.agent_id):
            raise EaConfigError(
                "agent_id may hold only letters, digits, '-', '_' and '.' (at most 64)"
            )
        if self.agent_id_rule not in ("login", "data_folder"):
            raise EaConfigError(f"unknown agent_id_rule {self.agent_id_rule!r}")
        if self.heartbeat_ms <= 0 or self.timer_ms <= 0:
            raise EaConfigError("heartbeat_ms and timer_ms must be positive")


def render_ea_config(config: EaConfig) -> str:
    """The exact text of companion.cfg for ``config`` (validated first)."""
    config.validate()
    lines = [
        "# MT4 Companion EA configuration, written by the MT4 Companion app.",
        "# Re-installing the EA from the app rewrites this file.",
        f"gateway_url={config.gateway_url}",
        f"token={config.token}",
        f"agent_id={config.agent_id}",
        f"agent_id_rule={config.agent_id_rule}",
        f"heartbeat_ms={config.heartbeat_ms}",
        f"timer_ms={config.timer_ms}",
    ]
    return "\n".join(lines) + "\n"


def write_ea_config(path: Path, config: EaConfig) -> None:
    """Write companion.cfg atomically, readable by the current user only."""
    atomic_write_bytes(path, render_ea_config(config).encode("utf-8"), private=True)


def parse_ea_config(text: str) -> dict[str, str]:
    """Parse companion.cfg as the EA does: ``key=value`` lines, ``#`` comments, blanks skipped."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def agent_id_for_login(login: int) -> str:
    """The agent id the EA derives with ``agent_id_rule=login``."""
    return f"mt4-{login}"


def agent_id_for_data_folder(data_folder_name: str) -> str:
    """The agent id the EA derives with ``agent_id_rule=data_folder``.

    MD5 over the UTF-8 bytes of the folder name (a data folder id is plain ASCII hex, so ANSI and
    UTF-8 agree), lower-case hex, first 12 digits.
    """
    digest = hashlib.md5(data_folder_name.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"mt4-{digest[:12]}"
