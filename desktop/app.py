"""`mt4-companion`: the tray app. Runs the gateway in-process on one qasync event loop.

    mt4-companion [--demo N] [--port P] [--minimized] [--version] [--self-test]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from gateway_core import __version__

log = logging.getLogger("desktop.app")

DESKTOP_EXTRA = ("PySide6", "qasync", "keyring")
"""What `pip install "mt4-companion[desktop]"` adds; the window cannot start without it."""


def missing_desktop_extra() -> str | None:
    """The first module of the desktop extra that cannot be imported, or None."""
    for name in DESKTOP_EXTRA:
        try:
            importlib.import_module(name)
        except ImportError:
            return name
    return None


def explain_missing_extra(module: str) -> str:
    return (f"mt4-companion: the window needs the desktop extra, which is not installed here "
            f"(no module named {module!r}).\n"
            f"Install it with:   pip install \"mt4-companion[desktop]\"\n"
            f"No window needed (a VPS)? Run the gateway alone:   mt4-gateway serve")


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is out of range 0-65535")
    return value


def _count(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError("choose between 0 and 100 demo terminals")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mt4-companion",
                                description="MT4 Companion: the tray app for your MT4 terminals")
    p.add_argument("--demo", type=_count, nargs="?", const=3, default=0, metavar="N",
                   help="also run N simulated MT4 terminals (default 3): try it without MT4")
    p.add_argument("--port", type=_port, default=None,
                   help="local gateway port for this run (default: from Settings, 8090)")
    p.add_argument("--minimized", action="store_true", help="start in the tray")
    p.add_argument("--version", action="version", version=f"mt4-companion {__version__}")
    p.add_argument("--quit", action="store_true",
                   help="ask the running MT4 Companion to stop cleanly (the installer uses it)")
    p.add_argument("--self-test", action="store_true",
                   help="headless check: gateway + 2 demo terminals + a trade round trip")
    p.add_argument("--demo-seed", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--demo-rate", type=float, default=3.0, help=argparse.SUPPRESS)
    p.add_argument("--screenshot", type=Path, default=None, help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_test:
        from .self_test import run

        return asyncio.run(run())
    missing = missing_desktop_extra()
    if missing is not None:
        print(explain_missing_extra(missing), file=sys.stderr)
        return 1
    if args.quit:
        return quit_running()
    return run_app(args)


def quit_running() -> int:
    """Ask a running instance to quit (it shuts the gateway down cleanly); 0 either way,
    so an installer can call it unconditionally."""
    from .qt import QCoreApplication
    from .single_instance import QUIT, SingleInstance

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    asked = SingleInstance(parent=app).notify_running(message=QUIT)
    print("asked MT4 Companion to quit" if asked else "MT4 Companion is not running")
    return 0


def run_app(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    import qasync

    from gateway_core.local_token import load_or_create_token, rotate_token

    from .assets import app_icon
    from .controller import Controller
    from .crash_handler import CrashHandler
    from .logging_setup import REDACTOR, setup_logging
    from .qt import QApplication, QMessageBox
    from .runtime import Runtime, RuntimeOptions
    from .secret_store import SecretStore
    from .settings_store import SettingsStore
    from .single_instance import SingleInstance

    app = QApplication(sys.argv[:1])
    app.setApplicationName("MT4 Companion")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # the tray keeps the app (and gateway) alive
    app.setWindowIcon(app_icon())
    log_file = setup_logging()
    log.info("mt4-companion %s starting (%s)", __version__, " ".join(sys.argv[1:]))

    instance = SingleInstance(parent=app)
    if args.screenshot is None and not instance.claim():
        print("MT4 Companion is already running: brought it to the front.")
        return 0

    token = load_or_create_token()
    REDACTOR.add(token)
    store = SettingsStore()
    secrets = SecretStore()
    port = args.port if args.port is not None else store.settings.local_port
    if args.screenshot is not None:
        port = 0
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    CrashHandler().install(loop)
    runtime = Runtime(RuntimeOptions(token=token, port=port, demo=args.demo,
                                     demo_seed=args.demo_seed,
                                     demo_trade_rate=args.demo_rate / 60.0))
    current = {"token": token}

    def rotate() -> str:
        current["token"] = rotate_token()
        REDACTOR.add(current["token"])
        return current["token"]

    async def amain() -> int:
        # One coroutine for the whole life of the app: the loop is "running" whenever Qt
        # dispatches anything, which websockets' callbacks require.
        try:
            await runtime.start()
        except OSError as exc:
            log.error("cannot listen on port %s: %s", port, exc)
            QMessageBox.critical(None, "MT4 Companion",
                                 f"The local gateway cannot use port {port}: "
                                 f"{exc.strerror or exc}.\n\nIs another gateway running? Start "
                                 "with --port or change the port in the settings file.")
            return 1
        controller = Controller(runtime, store, secrets, lambda: current["token"], rotate,
                                log_file=log_file)
        instance.activate_requested.connect(controller.window.bring_forward)
        await controller.start_link()
        tray_shown = controller.tray.show()
        controller.window.keep_in_tray = tray_shown
        if not (args.minimized or store.settings.start_minimized) or not tray_shown:
            controller.window.show()
        if (args.screenshot is None and not store.settings.link_offered
                and not store.settings.platform_url):
            # First run: offer the link once; Settings and the tray keep it at hand.
            store.update(link_offered=True)
            controller.open_link_dialog()
        log.info("started in %.2f s on port %s (tray %s)", time.perf_counter() - started,
                 runtime.port, "shown" if tray_shown else "not available")
        quit_now = asyncio.Event()
        controller.quit_requested.connect(quit_now.set)
        instance.quit_requested.connect(quit_now.set)
        app.aboutToQuit.connect(quit_now.set)
        shots: asyncio.Task[None] | None = None
        if args.screenshot is not None:
            from .screenshot import take_screenshots

            shots = asyncio.ensure_future(take_screenshots(controller, args.screenshot))
            shots.add_done_callback(lambda _t: quit_now.set())
        await quit_now.wait()
        controller.window.really_quit = True
        await controller.shutdown()
        await runtime.stop()
        instance.release()
        controller.window.close()
        if shots is not None and shots.done() and not shots.cancelled() and shots.exception():
            return 1
        return 0

    with loop:
        code: int = loop.run_until_complete(amain())
    log.info("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
