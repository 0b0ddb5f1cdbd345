"""`mt4-gateway`: the headless gateway and its tools.

Subcommands: serve, token, schema, link, unlink (and the terminal tools from
gateway_core.terminals).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .cli_args import port, positive_number, whole_number
from .defaults import DEFAULT_HOST, DEFAULT_PORT
from .local_token import (
    TokenError,
    default_token_path,
    load_or_create_token,
    read_token,
    rotate_token,
    validate_token,
)

log = logging.getLogger("gateway_core.cli")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line. Heavy parts (server, forwarder) are imported only when the
    command needs them, so `--version` and the terminal tools start fast."""
    parser = argparse.ArgumentParser(
        prog="mt4-gateway",
        description="MT4 Companion gateway: connects MT4 terminals (our EA) to local clients "
        "and the web platform.",
    )
    parser.add_argument("--version", action="version", version=f"mt4-gateway {__version__}")
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the gateway")
    serve.add_argument("--host", default=DEFAULT_HOST,
                       help="address to listen on (default 127.0.0.1; keep it local)")
    serve.add_argument("--port", type=port, default=DEFAULT_PORT,
                       help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    tok = serve.add_mutually_exclusive_group()
    tok.add_argument("--token", help="local token (visible in the process list: "
                     "prefer --token-file)")
    tok.add_argument("--token-file", type=Path, help="file holding the local token")
    serve.add_argument("--demo", type=whole_number(0, 500, "demo terminals"), default=0,
                       metavar="N", help="also run N simulated MT4 terminals (no MT4 needed)")
    serve.add_argument("--demo-seed", type=int, default=None, help=argparse.SUPPRESS)
    serve.add_argument("--demo-manual-rate", type=float, default=3.0, metavar="PER_MINUTE",
                       help="demo: pretend manual trades per minute per terminal (default 3; "
                       "0 turns the pretend trader off)")
    serve.add_argument("--heartbeat-interval", type=positive_number, default=5.0,
                       help="seconds between EA heartbeats; stale after 3 missed (default 5)")
    serve.add_argument("--trade-timeout", type=positive_number, default=30.0,
                       help="seconds to wait for an EA's reply to a trade command")
    serve.add_argument("--query-timeout", type=positive_number, default=10.0,
                       help="seconds to wait for a reply to other commands")
    serve.add_argument("--agent-rate", type=positive_number, default=5000.0,
                       help="messages per second one EA connection may send")
    serve.add_argument("--log-level", default="INFO",
                       choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    if argv is None or "serve" in argv:
        from .forwarder.cli_support import add_backend_arguments

        add_backend_arguments(serve)

    token = sub.add_parser("token", help="where the local token is; --show prints it")
    token.add_argument("--show", action="store_true", help="print the token itself")
    token.add_argument("--rotate", action="store_true",
                       help="replace the token (EAs and clients need the new one)")
    token.add_argument("--token-file", type=Path, default=None, help=argparse.SUPPRESS)

    sub.add_parser("schema", help="print the JSON Schema of every wire message")

    from .terminals.cli_commands import add_subcommands

    add_subcommands(sub)
    from .forwarder.link_commands import add_subcommands as add_link_subcommands

    add_link_subcommands(sub)
    return parser


def _resolve_token(args: argparse.Namespace) -> str:
    if args.token is not None:
        return validate_token(args.token)
    if args.token_file is not None:
        return read_token(args.token_file)
    return load_or_create_token()


async def _serve(args: argparse.Namespace) -> int:
    from .forwarder.cli_support import start_forwarder
    from .server import Gateway, GatewayConfig, RateLimit

    token = _resolve_token(args)
    config = GatewayConfig(
        token=token,
        host=args.host,
        port=args.port,
        heartbeat_interval=args.heartbeat_interval,
        trade_timeout=args.trade_timeout,
        query_timeout=args.query_timeout,
        agent_rate=RateLimit(args.agent_rate, int(args.agent_rate * 2)),
    )
    gateway = Gateway(config)
    try:
        port = await gateway.start()
    except OSError as exc:
        print(f"mt4-gateway: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: KeyboardInterrupt instead
            loop.add_signal_handler(sig, stop.set)

    forwarder = await start_forwarder(gateway, args)

    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"mt4-gateway {__version__} listening on ws://{host}:{port} "
          f"(EAs: /mt4/<agent_id>, clients: /commands, GET /health)", flush=True)

    demo_task: asyncio.Task[None] | None = None
    if args.demo:
        from .demo.runner import run_demo_terminals

        demo_task = asyncio.create_task(
            run_demo_terminals(
                f"ws://{host}:{port}",
                token,
                args.demo,
                seed=args.demo_seed,
                manual_trade_rate=args.demo_manual_rate / 60.0,
                heartbeat_interval=args.heartbeat_interval,
                stop=stop,
            )
        )
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        if demo_task is not None:
            # The fleet saw `stop` too: let it close its connections with a clean 1000.
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(demo_task, 5)
        if forwarder is not None:
            await forwarder.stop()
        await gateway.stop()
    return 0


def _token_cmd(args: argparse.Namespace) -> int:
    path = args.token_file or default_token_path()
    if args.rotate:
        token = rotate_token(path)
        print(f"new token written to {path}")
        print("Re-install the EA (or update its config) so terminals use the new token.")
        if args.show:
            print(token)
        return 0
    token = load_or_create_token(path)
    print(token if args.show else path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.cmd == "serve":
        logging.basicConfig(
            level=getattr(logging, args.log_level),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        # websockets logs every failed handshake at ERROR with a traceback; ours are
        # refusals we already log in one line.
        logging.getLogger("gateway_core.server.websockets").setLevel(logging.CRITICAL)
        try:
            return asyncio.run(_serve(args))
        except TokenError as exc:
            print(f"mt4-gateway: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 0
    if args.cmd == "token":
        try:
            return _token_cmd(args)
        except TokenError as exc:
            print(f"mt4-gateway: {exc}", file=sys.stderr)
            return 2
    if args.cmd == "schema":
        from .protocol.schema import render_schema

        sys.stdout.write(render_schema())
        return 0
    handler = getattr(args, "handler", None)
    if handler is not None:
        result: int = handler(args)
        return result
    parser.error(f"unknown command {args.cmd}")
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
