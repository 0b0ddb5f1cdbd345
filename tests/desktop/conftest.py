"""Desktop tests: Qt offscreen, a qasync loop for async tests, and a real in-process gateway
fed by real demo terminals over loopback WebSockets."""

from __future__ import annotations

import os
import tempfile

# Before anything imports Qt: no display needed, and no tray (tests never show it).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Settings, tokens and logs of the test run stay out of the user's real folders.
_HOME = tempfile.mkdtemp(prefix="mt4c-desktop-tests-")
for _name in ("CONFIG", "DATA", "LOG"):
    os.environ[f"MT4_COMPANION_{_name}_DIR"] = os.path.join(_HOME, _name.lower())

import asyncio  # noqa: E402
import contextlib  # noqa: E402
import secrets  # noqa: E402
from collections.abc import AsyncIterator, Awaitable, Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import qasync  # noqa: E402

from desktop.controller import Controller  # noqa: E402
from desktop.qt import QApplication  # noqa: E402
from desktop.runtime import Runtime, RuntimeOptions  # noqa: E402
from desktop.secret_store import SecretStore  # noqa: E402
from desktop.settings_store import SettingsStore  # noqa: E402


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    # As in the app (desktop/app.py): closing the last dialog must not quit, the tray stays.
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(
    config: object, item: object
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    # Qt timers and signals must run while tests await: one qasync loop per test.
    return {"qasync": _qasync_loop}


async def until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Wait for a condition by polling the running (qasync) loop; never a fixed sleep."""
    try:
        async with asyncio.timeout(timeout):
            while not predicate():  # noqa: ASYNC110 - gateway state has no change event
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what or predicate}") from None


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["mt4-companion-tests"]


@contextlib.asynccontextmanager
async def live_app(tmp_path: Path) -> AsyncIterator[tuple[Runtime, Controller]]:
    """Gateway on a free port, two demo terminals (no pretend trader: tests trade) and the
    app's controller on top.

    A context manager inside the test rather than async fixtures: pytest-qt processes Qt
    events between fixture setup and the test, when no asyncio loop is running, and
    qasync would then run websockets callbacks that need one."""
    rt = Runtime(RuntimeOptions(token=secrets.token_urlsafe(24), port=0, demo=2, demo_seed=11,
                                demo_trade_rate=0.0, demo_tick_interval=0.05,
                                heartbeat_interval=1.0))
    await rt.start()
    ctl: Controller | None = None
    try:
        assert rt.fleet is not None
        await asyncio.wait_for(rt.fleet.wait_connected(), 10)
        await until(lambda: all((a := rt.gateway.registry.get(x)) is not None and a.synced
                                and "EURUSD" in a.symbols for x in rt.fleet.agent_ids),
                    what="demo terminals synced")
        store = SettingsStore(tmp_path / "settings.json")
        secret_store = SecretStore(use_keyring=False, fallback_dir=tmp_path)
        ctl = Controller(rt, store, secret_store, lambda: rt.options.token,
                         lambda: rt.options.token)
        ctl.window.keep_in_tray = False
        # Tests answer every question "yes"; what was asked is kept to check it.
        asked: list[str] = []
        ctl.actions.confirm = lambda title, text: asked.append(text) is None
        ctl.asked = asked  # type: ignore[attr-defined]
        yield rt, ctl
    finally:
        if ctl is not None:
            await ctl.shutdown()
            ctl.window.really_quit = True
            ctl.window.close()
            ctl.window.deleteLater()
        await rt.stop()


LiveTest = Callable[[Controller, Runtime], Awaitable[None]]


def live(test: LiveTest) -> Callable[[Path], Awaitable[None]]:
    """Turns `async def test_x(controller, runtime)` into a test that runs with a live app."""

    async def run(tmp_path: Path) -> None:
        async with live_app(tmp_path) as (rt, ctl):
            await test(ctl, rt)

    run.__name__ = test.__name__
    run.__doc__ = test.__doc__
    return run


@pytest.fixture(autouse=True)
def _delete_widgets_after_each_test() -> object:
    """Destroy every widget a test made while Qt is fully alive. Left to interpreter
    shutdown, views and their selection models die in random order and PySide6 crashes
    the process after the last test passed."""
    yield
    from desktop.qt import QApplication, QEvent

    app = QApplication.instance()
    if app is None:
        return
    for widget in QApplication.topLevelWidgets():
        widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
