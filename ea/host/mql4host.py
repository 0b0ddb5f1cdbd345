"""Run the real MQL4 source of an EA on Linux against a simulated MT4 trade server.

    python ea/host/mql4host.py --ea ea/MQL4/Experts/MT4Companion.mq4 --sandbox /tmp/term \
        [--timer-ms 25] [--inputs Port=8090 Host=127.0.0.1] [--account-login 123] ...

Builds (cached) and then replaces this process with the EA binary, which speaks JSON lines:
control ops on stdin, events on stdout (see ea/host/README.md). Build failures print one
{"event":"build_error",...} line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from ea.host.translator.build import BuildError, build


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--ea", required=True, type=Path, help="path to the .mq4 file")
    p.add_argument("--sandbox", required=True, type=Path, help="terminal data folder (MQL4/Files)")
    p.add_argument("--timer-ms", type=int, help="override the EA's timer interval")
    p.add_argument("--inputs", nargs="*", default=[], metavar="NAME=VALUE",
                   help="override input/extern variables")
    p.add_argument("--account-login", type=int)
    p.add_argument("--balance", type=float)
    p.add_argument("--leverage", type=int)
    p.add_argument("--commission", type=float, help="commission per lot, charged at open")
    p.add_argument("--currency")
    p.add_argument("--server")
    p.add_argument("--company")
    p.add_argument("--account-name")
    p.add_argument("--symbol", help="chart symbol (default EURUSD)")
    p.add_argument("--server-offset", type=int, help="server time minus UTC, seconds")
    p.add_argument("--last-quote-age", type=int,
                   help="start with a stale clock: the last quote came this many seconds ago")
    p.add_argument("--symbols", help="comma separated subset of the default symbols")
    p.add_argument("--terminal-data-path", help="what TerminalInfoString(TERMINAL_DATA_PATH) says")
    p.add_argument("--no-dll", action="store_true", help='start with "Allow DLL imports" off')
    p.add_argument("--no-trade", action="store_true", help="start with AutoTrading off")
    p.add_argument("--build-only", action="store_true", help="build, print the binary path, exit")
    return p.parse_args(argv)


def binary_args(a: argparse.Namespace) -> list[str]:
    args = ["--sandbox", str(a.sandbox.resolve()), "--ea-path", str(a.ea.resolve())]
    if a.timer_ms is not None:
        args += ["--timer-ms", str(a.timer_ms)]
    for kv in a.inputs:
        if "=" not in kv:
            raise SystemExit(f"--inputs expects NAME=VALUE, got {kv!r}")
        args += ["--input", kv]
    for flag in ("account_login", "balance", "leverage", "commission", "currency", "server",
                 "company", "account_name", "symbol", "server_offset", "last_quote_age", "symbols",
                 "terminal_data_path"):
        val = getattr(a, flag)
        if val is not None:
            args += ["--" + flag.replace("_", "-"), str(val)]
    if a.no_dll:
        args.append("--no-dll")
    if a.no_trade:
        args.append("--no-trade")
    return args


def main(argv: list[str] | None = None) -> int:
    a = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        res = build(a.ea, a.sandbox)
    except BuildError as e:
        print(json.dumps({"event": "build_error", "message": str(e)}), flush=True)
        print(str(e), file=sys.stderr)
        return 2
    if a.build_only:
        print(res.binary)
        return 0
    (a.sandbox / "MQL4" / "Files").mkdir(parents=True, exist_ok=True)
    args = binary_args(a)
    os.execv(res.binary, [str(res.binary), *args])  # noqa: S606 - our own freshly built binary
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
