"""The headless gateway's platform link, as `mt4-gateway link` left it: platform address,
link address and gateway token in one JSON file in the user's config folder, readable by
that user only, so a later `mt4-gateway serve` forwards with no flags.

The desktop app keeps its token in the OS keyring instead (desktop/secret_store.py).
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..paths import config_dir
from .pairing import Pairing

log = logging.getLogger(__name__)

LINK_FILE = "platform-link.json"


class StoredLink(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    platform_url: Annotated[str, Field(min_length=1, max_length=2048)]
    link_url: Annotated[str, Field(min_length=1, max_length=2048)]
    gateway_token: Annotated[str, Field(min_length=16, max_length=8192)]
    token_id: Annotated[str, Field(min_length=1, max_length=128)]
    user_id: Annotated[str, Field(min_length=1, max_length=128)]
    linked_at: datetime


class LinkFileError(Exception):
    pass


def default_link_path() -> Path:
    return config_dir() / LINK_FILE


def save_link(pairing: Pairing, path: Path | None = None) -> Path:
    """Write atomically with mode 0600 from the start (never readable by others)."""
    path = path or default_link_path()
    stored = StoredLink(platform_url=pairing.platform_url, link_url=pairing.link_url,
                        gateway_token=pairing.gateway_token, token_id=pairing.token_id,
                        user_id=pairing.user_id, linked_at=datetime.now(UTC))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, stored.model_dump_json(indent=2).encode() + b"\n")
    finally:
        os.close(fd)
    if sys.platform != "win32":
        os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def load_link(path: Path | None = None) -> StoredLink | None:
    """The stored link, None when there is none; LinkFileError when it is unreadable."""
    path = path or default_link_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LinkFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return StoredLink.model_validate_json(raw)
    except ValidationError:
        raise LinkFileError(f"{path} is damaged: run `mt4-gateway link` again") from None


def remove_link(path: Path | None = None) -> bool:
    path = path or default_link_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
