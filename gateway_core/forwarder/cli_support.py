"""`mt4-gateway serve` flags for the platform link, and starting the forwarder from them.

Where the link comes from, first match wins: `--backend-url` (with `--backend-token-file`
or MT4_BACKEND_TOKEN), else the link `mt4-gateway link` stored. The stored token is only
ever sent to the stored link address.

"Confirm trades from the web" is a desktop setting: a headless gateway has no one to
click, so its forwarder never turns desk confirmation on.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..cli_args import positive_number, whole_number
from ..paths import data_dir
from .connector import Forwarder, GatewayLike
from .link_store import LinkFileError, StoredLink, load_link
from .outbox import DEFAULT_MAX_ITEMS, Outbox
from .reply_journal import ReplyJournal
from .risk_guard import RiskPolicy
from .sqlite_store import open_store

log = logging.getLogger(__name__)

TOKEN_ENV = "MT4_BACKEND_TOKEN"  # noqa: S105 - the name of a variable, not a secret
OUTBOX_FILE = "platform-outbox.sqlite3"


def default_outbox_path() -> Path:
    return data_dir() / OUTBOX_FILE


def _symbols(text: str) -> frozenset[str]:
    items = frozenset(s.strip().upper() for s in text.split(",") if s.strip())
    if not items:
        raise argparse.ArgumentTypeError("give at least one symbol, e.g. EURUSD,GBPUSD")
    return items


def _backend_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            "the backend URL must look like wss://platform.example/mt4 (or ws:// for a "
            "local backend)"
        )
    return text


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("web platform link")
    g.add_argument("--backend-url", type=_backend_url, default=None, metavar="URL",
                   help="platform backend to keep in sync, e.g. wss://platform.example/mt4 "
                        "(default: no platform link)")
    g.add_argument("--backend-token-file", type=Path, default=None, metavar="FILE",
                   help=f"file holding your platform JWT (or set {TOKEN_ENV}); the token is "
                        "never logged")
    g.add_argument("--outbox", type=Path, default=None, metavar="PATH",
                   help="SQLite outbox of events not yet stored by the platform (default: "
                        f"{OUTBOX_FILE} in the user data folder)")
    g.add_argument("--outbox-max-items", type=whole_number(1), default=DEFAULT_MAX_ITEMS,
                   metavar="N", help="unacknowledged items kept before live updates are "
                   f"dropped with a warning (default {DEFAULT_MAX_ITEMS})")
    g.add_argument("--remote-trading", action=argparse.BooleanOptionalAction, default=True,
                   help="let the platform place, modify and close trades (default: on)")
    g.add_argument("--max-lots", type=positive_number, default=None, metavar="LOTS",
                   help="largest order the platform may place (default: no limit)")
    g.add_argument("--allowed-symbols", type=_symbols, default=None, metavar="SYM,SYM",
                   help="symbols the platform may open orders in (default: any)")


class ForwarderSetupError(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"mt4-gateway: {message}")


def read_backend_token(path: Path | None) -> str:
    if path is not None:
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ForwarderSetupError(
                f"cannot read the platform token file {path}: {exc.strerror or exc}"
            ) from None
        source = str(path)
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
        source = TOKEN_ENV
    if not token:
        raise ForwarderSetupError(
            f"--backend-url needs your platform token: --backend-token-file FILE or {TOKEN_ENV}"
            + (f" ({source} is empty)" if path is not None else "")
        )
    return token


def policy_from_args(args: Any) -> RiskPolicy:
    return RiskPolicy(
        remote_trading=bool(getattr(args, "remote_trading", True)),
        max_lots=getattr(args, "max_lots", None),
        allowed_symbols=getattr(args, "allowed_symbols", None),
    )


def resolve_link(args: Any) -> tuple[str, str] | None:
    """(link URL, token) from the flags or the stored link; None: no platform link."""
    url: str | None = getattr(args, "backend_url", None)
    token_file: Path | None = getattr(args, "backend_token_file", None)
    explicit_token = token_file is not None or bool(os.environ.get(TOKEN_ENV, "").strip())
    stored: StoredLink | None = None
    if not url or not explicit_token:
        try:
            stored = load_link(getattr(args, "link_file", None))
        except LinkFileError as exc:
            raise ForwarderSetupError(str(exc)) from None
    if not url:
        if stored is None:
            return None
        url = stored.link_url
        log.info("platform link from `mt4-gateway link`: user %s at %s", stored.user_id,
                 stored.platform_url)
    if explicit_token or stored is None or stored.link_url != url:
        return url, read_backend_token(token_file)
    return url, stored.gateway_token


async def start_forwarder(gateway: GatewayLike, args: Any) -> Forwarder | None:
    """Start the platform link from the flags or the stored link; the caller awaits
    `stop()`."""
    resolved = resolve_link(args)
    if resolved is None:
        return None
    url, token = resolved
    parts = urlsplit(url)
    if parts.scheme == "ws" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        log.warning("the platform link uses ws:// to %s: your token travels unencrypted; "
                    "use wss://", parts.hostname)
    path = getattr(args, "outbox", None) or default_outbox_path()
    try:
        conn = open_store(path)
    except Exception as exc:
        raise ForwarderSetupError(f"cannot open the outbox {path}: {exc}") from None
    outbox = Outbox(conn, max_items=getattr(args, "outbox_max_items", DEFAULT_MAX_ITEMS))
    forwarder = Forwarder(
        gateway,
        url=url,
        token=token,
        outbox=outbox,
        journal=ReplyJournal(conn),
        policy=policy_from_args(args),
    )
    log.info("platform link to %s (outbox %s, %d items pending; %s)",
             forwarder.status.url, path, outbox.depth, forwarder.policy.describe())
    forwarder.start()
    return forwarder
