"""`mt4-gateway link` and `mt4-gateway unlink`: pair this gateway with a platform account
using the one-time code from the platform's "Link a terminal" page, or forget the link."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli_args import whole_number

# The rest is imported by the handlers: `mt4-gateway --version` stays fast.
MAX_NAME = 64


def _name(text: str) -> str:
    text = text.strip()
    if not 1 <= len(text) <= MAX_NAME:
        raise argparse.ArgumentTypeError(f"a name of 1 to {MAX_NAME} characters")
    return text


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    link = subparsers.add_parser(
        "link", help="link this gateway to your platform account with a one-time code")
    link.add_argument("--backend-url", required=True, metavar="URL",
                      help="the platform's address, e.g. https://platform.example")
    link.add_argument("--code", required=True,
                      help="the 8-character code from the platform's 'Link a terminal' page")
    link.add_argument("--name", type=_name, default=None,
                      help="how the platform lists this gateway (default: this computer's name)")
    link.add_argument("--timeout", type=whole_number(1, 300), default=15,
                      help=argparse.SUPPRESS)
    link.set_defaults(handler=_link_cmd)

    unlink = subparsers.add_parser("unlink", help="forget the platform link on this computer")
    unlink.add_argument("--clear-outbox", action="store_true",
                        help="also discard the events the platform has not received yet")
    unlink.add_argument("--outbox", type=Path, default=None, metavar="PATH",
                        help=argparse.SUPPRESS)
    unlink.set_defaults(handler=_unlink_cmd)


def _link_cmd(args: argparse.Namespace) -> int:
    from .link_store import save_link
    from .pairing import PairingError, pair

    try:
        pairing = pair(args.backend_url, args.code, gateway_name=args.name,
                       timeout=float(args.timeout))
    except PairingError as exc:
        print(f"mt4-gateway: not linked: {exc.message}", file=sys.stderr)
        return 1
    try:
        path = save_link(pairing)
    except OSError as exc:
        print(f"mt4-gateway: linked, but the link could not be saved: {exc}", file=sys.stderr)
        return 1
    print(f"Linked to user {pairing.user_id} at {pairing.platform_url}.")
    print(f"The gateway token is kept in {path} (readable by you only).")
    print("`mt4-gateway serve` now keeps the platform in sync with no further flags.")
    return 0


def _unlink_cmd(args: argparse.Namespace) -> int:
    from .cli_support import default_outbox_path
    from .link_store import LinkFileError, default_link_path, load_link, remove_link

    try:
        stored = load_link()
    except LinkFileError:
        stored = None  # a damaged file is removed all the same
    removed = remove_link()
    if removed:
        who = f" (user {stored.user_id} at {stored.platform_url})" if stored else ""
        print(f"Unlinked{who}: removed {default_link_path()}.")
        print("To stop the platform using the token too, revoke this gateway in the web "
              "panel's linked gateways list.")
    else:
        print("This gateway was not linked.")
    outbox = args.outbox or default_outbox_path()
    if not outbox.exists():
        return 0
    from .outbox import Outbox
    from .sqlite_store import open_store

    conn = open_store(outbox)
    try:
        box = Outbox(conn)
        if args.clear_outbox:
            print(f"Discarded {box.clear()} undelivered events.")
        elif box.depth:
            print(f"{box.depth} undelivered events stay in the outbox until you link again "
                  "(`mt4-gateway unlink --clear-outbox` discards them).")
    finally:
        conn.close()
    return 0
