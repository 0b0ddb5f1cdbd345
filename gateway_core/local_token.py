"""The local token EAs and local clients must present. Created once, kept in a file only
the user can read, rotated on request. Never logged."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from .paths import config_dir

TOKEN_FILE_NAME = "local-token"  # noqa: S105 - a file name, not a secret
MIN_TOKEN_LENGTH = 16


class TokenError(Exception):
    pass


def default_token_path() -> Path:
    return config_dir() / TOKEN_FILE_NAME


def _validate(token: str, source: str) -> str:
    token = token.strip()
    if len(token) < MIN_TOKEN_LENGTH:
        raise TokenError(f"{source}: the token must be at least {MIN_TOKEN_LENGTH} characters")
    if any(c.isspace() or not c.isprintable() for c in token):
        raise TokenError(f"{source}: the token must not contain spaces or control characters")
    return token


def read_token(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TokenError(f"token file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenError(f"cannot read token file {path}: {exc}") from None
    return _validate(text, str(path))


def validate_token(token: str) -> str:
    return _validate(token, "token")


def _write_private(path: Path, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(tmp, flags, 0o600)
    try:
        os.write(fd, (token + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    if sys.platform != "win32":
        os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def load_or_create_token(path: Path | None = None) -> str:
    """The token in `path` (default: the user config dir), created on first use."""
    path = path or default_token_path()
    if path.exists():
        return read_token(path)
    token = secrets.token_urlsafe(32)
    _write_private(path, token)
    return token


def rotate_token(path: Path | None = None) -> str:
    path = path or default_token_path()
    token = secrets.token_urlsafe(32)
    _write_private(path, token)
    return token
