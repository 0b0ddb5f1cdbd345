"""Which store `--db` names: `postgresql://...` (or `postgres://`), `sqlite:///path`, or a
bare path (SQLite, as before)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class StoreUrl:
    kind: Literal["sqlite", "postgresql"]
    target: str
    """The SQLite file path, or the PostgreSQL DSN as given."""

    def redacted(self) -> str:
        """For logs: never the password."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.target}"
        parts = urlsplit(self.target)
        host = parts.hostname or "(socket)"
        port = f":{parts.port}" if parts.port else ""
        user = f"{parts.username}@" if parts.username else ""
        return f"postgresql://{user}{host}{port}{parts.path}"


def parse_store_url(text: str) -> StoreUrl:
    text = text.strip()
    if not text:
        raise ValueError("--db is empty: give a file path, sqlite:///PATH or postgresql://...")
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in ("postgresql", "postgres"):
        parts = urlsplit(text)
        if not (parts.hostname or "host=" in parts.query) or not parts.path.strip("/"):
            raise ValueError("a PostgreSQL URL needs a host and a database name: "
                             "postgresql://USER@HOST:PORT/DBNAME")
        return StoreUrl("postgresql", text)
    if scheme == "sqlite":
        path = text[len("sqlite://"):]
        if not path.startswith("/") or path == "/":
            raise ValueError("a SQLite URL is sqlite:///PATH (three slashes, then the path)")
        # sqlite:///rel/x.db is relative like SQLAlchemy's; sqlite:////abs/x.db absolute.
        return StoreUrl("sqlite", str(Path(path[1:])))
    if scheme:
        raise ValueError(f"unknown database {scheme!r}: use postgresql://... or sqlite:///PATH")
    return StoreUrl("sqlite", str(Path(text)))
