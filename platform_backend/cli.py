"""`platform-backend`: the reference platform backend (serve) and a token tool (issue-token)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .cli_args import port, store_url

SECRET_ENV = "PLATFORM_JWT_SECRET"  # noqa: S105 - the name of a variable, not a secret


def _add_secret(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--jwt-secret", help="HS256 secret (visible in the process list: prefer "
                   f"--jwt-secret-file or the {SECRET_ENV} environment variable)")
    g.add_argument("--jwt-secret-file", type=Path, help="file holding the HS256 secret")


def _secret(args: argparse.Namespace) -> str:
    if args.jwt_secret:
        secret = str(args.jwt_secret)
    elif args.jwt_secret_file is not None:
        try:
            secret = args.jwt_secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SystemExit(f"platform-backend: cannot read {args.jwt_secret_file}: "
                             f"{exc.strerror or exc}") from None
    else:
        secret = os.environ.get(SECRET_ENV, "").strip()
    if not secret:
        raise SystemExit(f"platform-backend: give the JWT secret: --jwt-secret-file FILE, "
                         f"{SECRET_ENV} or --jwt-secret")
    if len(secret) < 32:
        raise SystemExit("platform-backend: the JWT secret must be at least 32 characters")
    return secret


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="platform-backend",
        description="Reference web platform backend: gateway endpoint ws://HOST:PORT/mt4 "
        "and Socket.IO namespace /mt4 for web clients, on one port.",
    )
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the backend")
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--port", type=port, default=3082, help="port (default 3082; 0: any)")
    _add_secret(serve)
    serve.add_argument("--db", type=store_url, default=store_url("platform-backend.sqlite3"),
                       help="the store: postgresql://USER@HOST:PORT/DB (nodes on several "
                       "hosts), or sqlite:///PATH or a bare PATH (default "
                       "./platform-backend.sqlite3; nodes sharing --redis-url must share it)")
    serve.add_argument("--redis-url", default=None,
                       help="redis://HOST:PORT/0: several backend processes serve the same "
                       "users (per-user event fan-out + command routing)")
    serve.add_argument("--node-id", default=None, help="name of this node (default: unique)")
    serve.add_argument("--command-ttl", type=float, default=30.0,
                       help="expiry given to web commands that carry none (seconds)")
    serve.add_argument("--cors-origin", action="append", default=[],
                       help="web origin allowed to connect to Socket.IO (repeatable)")
    serve.add_argument("--log-level", default="INFO",
                       choices=["DEBUG", "INFO", "WARNING", "ERROR"])

    tok = sub.add_parser("issue-token", help="print a JWT for a user (development, tests)")
    tok.add_argument("--user", required=True, help="user id (the token's subject)")
    _add_secret(tok)
    tok.add_argument("--ttl", type=float, default=24 * 3600,
                     help="seconds until it expires (default one day; negative: expired)")
    tok.add_argument("--kind", choices=["web", "gateway"], default="web",
                     help="web: signs a person in (Socket.IO, /api); gateway: opens the "
                     "gateway door only, recorded in --db so it can be listed and revoked "
                     "(default web)")
    tok.add_argument("--db", type=store_url, default=store_url("platform-backend.sqlite3"),
                     help="the backend's store, where gateway tokens are recorded (default "
                     "./platform-backend.sqlite3, as for serve)")
    tok.add_argument("--name", type=_label, default="issued by issue-token",
                     help="gateway tokens: the name shown in the gateway list")
    tok.add_argument("--machine", type=_label, default=socket.gethostname()[:64] or "unknown",
                     help="gateway tokens: the machine shown in the gateway list")
    tok.add_argument("--url", type=panel_url, default=None, metavar="http://HOST:PORT/",
                     help="web tokens: print a sign-in link to the web panel at this address "
                     "instead of the bare token (the token travels in the #token= fragment, "
                     "which browsers never send to a server)")
    return parser


def panel_url(text: str) -> str:
    """The web panel's address, checked so the sign-in link works when pasted."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) address: {text!r} "
                                         "(example: http://127.0.0.1:3082/)")
    if parts.fragment or parts.query:
        raise argparse.ArgumentTypeError("give the panel address without ?query or #fragment")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad port in {text!r}: {exc}") from None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


def sign_in_link(url: str, token: str) -> str:
    return f"{url}#token={token}"


def _label(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 64 or not value.isprintable():
        raise argparse.ArgumentTypeError("1-64 printable characters")
    return value


def _issue_token(args: argparse.Namespace) -> int:
    from .auth import USER_ID, issue_token
    from .pairing import new_token_id
    from .store import StoreUnavailable, open_store
    from .store_postgres_pairing import pairing_storage_for

    if not USER_ID.match(args.user):
        print("platform-backend: a user id is 1-64 letters, digits or _.:@-", file=sys.stderr)
        return 2
    secret = _secret(args)
    if args.kind == "web":
        token = issue_token(args.user, secret, args.ttl)
        print(sign_in_link(args.url, token) if args.url else token)
        return 0
    if args.url:
        print("platform-backend: --url signs a person in: it needs --kind web",
              file=sys.stderr)
        return 2
    token_id = new_token_id()

    async def record() -> None:
        store = open_store(args.db)
        await asyncio.wait_for(store.open(), 30)
        pairing = pairing_storage_for(store)
        try:
            await pairing.add_gateway_token(token_id, args.user, args.name, args.machine,
                                            time.time())
        finally:
            await pairing.close()
            await store.close()

    try:
        asyncio.run(record())
    except (OSError, sqlite3.Error, StoreUnavailable, TimeoutError) as exc:
        print(f"platform-backend: cannot record the token in {args.db.redacted()}: {exc}",
              file=sys.stderr)
        return 1
    print(issue_token(args.user, secret, args.ttl, kind="gateway", token_id=token_id))
    return 0


async def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import Settings, create_app

    kwargs = {}
    if args.node_id:
        kwargs["node_id"] = args.node_id
    settings = Settings(
        jwt_secret=_secret(args),
        db_path=args.db,
        redis_url=args.redis_url,
        command_ttl=args.command_ttl,
        cors_origins=tuple(args.cors_origin),
        **kwargs,
    )
    app = create_app(settings)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"platform-backend: cannot listen on {args.host}:{args.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level=args.log_level.lower(), access_log=False,
                            lifespan="on", ws_max_size=32 * 1024 * 1024,
                            ws_ping_interval=20, ws_ping_timeout=20,
                            # Frames are small and many (acks, events): compressing them
                            # costs more CPU than it saves on a platform's network.
                            ws_per_message_deflate=False)
    server = uvicorn.Server(config)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"platform-backend listening on http://{host}:{port} (gateways: ws://{host}:{port}"
          f"/mt4, web: Socket.IO namespace /mt4, GET /health)", flush=True)
    print(_panel_hint(settings.panel_dir, args.host, port), flush=True)
    await server.serve(sockets=[sock])
    return 0


def _panel_hint(panel_dir: Path, host: str, port: int) -> str:
    from .web_panel import panel_available

    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(  # noqa: S104
        host, f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{port}/"
    if not panel_available(panel_dir):
        return (f"web panel NOT BUILT ({panel_dir} has no index.html): run scripts/setup-dev "
                f"or `cd web && npm ci && npm run build`; {url} says so meanwhile")
    return (f"web panel: open {url} with a sign-in link from "
            f"`platform-backend issue-token --user ID --url {url}`")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd == "issue-token":
        return _issue_token(args)
    logging.basicConfig(level=getattr(logging, args.log_level),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
