"""Settings persistence, secrets, autostart, single instance, tray logic, notifications,
event log, crash handling and the command line."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from pathlib import Path

import pytest

from desktop import autostart
from desktop.app import build_parser, main
from desktop.crash_handler import CrashHandler
from desktop.event_log import EventLogModel, EventLogWidget
from desktop.logging_setup import RedactSecrets, setup_logging
from desktop.notifications import Notifier, RateLimiter
from desktop.qt import QApplication
from desktop.secret_store import SecretStore
from desktop.settings_store import Settings, SettingsStore
from desktop.single_instance import SingleInstance
from desktop.tray import Tray
from desktop.tray_state import overall_state


def test_settings_persist_and_signal_changes(qapp: QApplication, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    store = SettingsStore(path)
    seen: list[frozenset[str]] = []
    store.changed.connect(lambda _s, changed: seen.append(changed))
    assert store.update(max_lots=2.5, allowed_symbols="EURUSD,XAUUSD", notifications=False)
    assert seen == [frozenset({"max_lots", "allowed_symbols", "notifications"})]
    assert store.update(max_lots=2.5) == frozenset()  # no change, no signal
    again = SettingsStore(path).settings
    assert again.max_lots == 2.5 and not again.notifications
    assert again.allowed_symbol_set() == frozenset({"EURUSD", "XAUUSD"})
    assert "token" not in path.read_text()


def test_bad_settings_file_falls_back(qapp: QApplication, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"local_port": "x", "notifications": False, "local_port2": 1,
                                "max_lots": 3}))
    s = SettingsStore(path).settings
    assert s.local_port == Settings().local_port and not s.notifications and s.max_lots == 3.0
    path.write_text("{not json")
    assert SettingsStore(path).settings == Settings()


def test_secret_store_without_keyring(tmp_path: Path) -> None:
    store = SecretStore(use_keyring=False, fallback_dir=tmp_path)
    assert store.get() is None and store.kind == "memory"
    assert store.set("eyJhbGciOi.session.only") == "memory"
    assert store.get() == "eyJhbGciOi.session.only"
    assert not (tmp_path / "platform-token").exists()
    assert store.set("tok-in-file-1234", remember_in_file=True) == "file"
    assert SecretStore(use_keyring=False, fallback_dir=tmp_path).get() == "tok-in-file-1234"
    if sys.platform != "win32":
        assert (tmp_path / "platform-token").stat().st_mode & 0o077 == 0
    store.clear()
    assert SecretStore(use_keyring=False, fallback_dir=tmp_path).get() is None


def test_log_never_holds_tokens(tmp_path: Path) -> None:
    redactor = RedactSecrets()
    redactor.add("local-secret-token-123")
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlX2hlcmU"
    text = redactor.redact(f"token local-secret-token-123 and {jwt}")
    assert "local-secret" not in text and jwt not in text
    from desktop.logging_setup import REDACTOR

    REDACTOR.add("another-secret-abcdef")
    path = setup_logging(tmp_path)
    logging.getLogger("t").warning("sending %s", "another-secret-abcdef")
    for h in logging.getLogger().handlers:
        h.flush()
    content = path.read_text()
    assert "sending" in content and "another-secret" not in content


def test_xdg_autostart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("XDG autostart is the Linux variant")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    autostart.set_autostart(True, ["/opt/mt4 companion/run", "--minimized"])
    entry = (tmp_path / "autostart" / "mt4-companion.desktop").read_text()
    assert "Exec='/opt/mt4 companion/run' --minimized" in entry
    assert autostart.is_autostart_enabled()
    autostart.set_autostart(False)
    assert not autostart.is_autostart_enabled()


def test_single_instance_brings_the_first_forward(qtbot: object) -> None:
    name = f"mt4c-test-{uuid.uuid4().hex[:8]}"
    first = SingleInstance(name)
    assert first.claim()
    second = SingleInstance(name)
    with qtbot.waitSignal(first.activate_requested, timeout=5000):  # type: ignore[attr-defined]
        assert not second.claim()
    first.release()
    third = SingleInstance(name)
    assert third.claim()  # after the first quit, a new launch runs
    third.release()


def test_overall_state_rules() -> None:
    up = [("a", "connected"), ("b", "connected")]
    assert overall_state(up, None).state == "ok"
    assert overall_state(up, {"state": "connected"}).state == "ok"
    assert overall_state(up, {"state": "reconnecting"}).state == "warn"
    assert overall_state([("a", "stale")], None).state == "warn"
    assert overall_state([], None).state == "warn"
    assert overall_state([("a", "connected"), ("b", "disconnected")], None).state == "error"
    assert overall_state(up, {"state": "auth_failed"}).state == "error"
    assert overall_state(up, None, paused=True).state == "paused"


def test_tray_menu_without_showing_it(qapp: QApplication) -> None:
    tray = Tray()
    texts = [a.text() for a in tray.menu.actions() if a.text()]
    for wanted in ("Open MT4 Companion", "Pause sync", "Install EA...", "Settings...",
                   "Open log folder", "Quit"):
        assert wanted in texts
    assert tray.terminal_texts() == ["none yet"]
    overall = tray.update_state([("demo-1", "connected", "demo-1 (5000001)"),
                                 ("demo-2", "stale", "demo-2")], {"state": "connected"})
    assert overall.state == "warn"
    assert tray.terminal_texts() == ["demo-1 (5000001): connected", "demo-2: stale"]
    quits: list[bool] = []
    tray.quit_requested.connect(lambda: quits.append(True))
    tray.quit_action.trigger()
    paused: list[bool] = []
    tray.pause_toggled.connect(paused.append)
    tray.pause_action.trigger()
    assert quits == [True] and paused == [True]
    assert tray.update_state([("demo-1", "connected", "x")], None).state == "paused"
    if not Tray.available():
        assert not tray.show()


def test_rate_limiter_summarises_bursts() -> None:
    now = [0.0]
    limiter = RateLimiter(interval=5, clock=lambda: now[0])
    assert limiter.offer("t", "first", "trade") is not None
    for i in range(5):
        assert limiter.offer("t", f"close {i}", "trade") is None
    assert limiter.flush() is None  # too early
    now[0] = 5.0
    title, text, _level = limiter.flush()  # type: ignore[misc]
    assert title == "5 updates" and "close 4" in text and "2 more" in text


def test_notifier_respects_switch(qapp: QApplication) -> None:
    shown: list[str] = []
    n = Notifier(lambda t, x, lv: shown.append(x), interval=60)
    n.notify("a", "one")
    n.notify("a", "two")  # held back by the rate limit
    n.enabled = False
    n.notify("a", "three")
    assert shown == ["one"]


def test_event_log_filter_and_copy(qapp: QApplication) -> None:
    model = EventLogModel(max_rows=20)
    widget = EventLogWidget(model)
    for i in range(25):
        model.add("trade" if i % 2 else "error", f"demo-{i % 3}", f"entry {i}")
    assert model.rowCount() <= 20 and model.entries[-1].text == "entry 24"
    widget.filter_edit.setText("demo-1")
    assert all("demo-1" in line for line in widget.selected_text().splitlines())
    widget.level_box.setCurrentIndex(widget.level_box.findData("error"))
    lines = widget.selected_text().splitlines()
    assert lines and all("\terror\tdemo-1\t" in line for line in lines)
    widget.copy()
    assert QApplication.clipboard().text() == "\n".join(lines)


def test_crash_handler_logs_and_shows(caplog: pytest.LogCaptureFixture) -> None:
    shown: list[str] = []
    handler = CrashHandler(show=lambda summary, details: shown.append(summary))
    try:
        raise ValueError("boom")
    except ValueError as exc:
        handler.excepthook(type(exc), exc, exc.__traceback__)
    assert shown == ["ValueError: boom"]
    assert "unexpected exception" in caplog.text


def test_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert "mt4-companion 0.1.0" in capsys.readouterr().out
    args = build_parser().parse_args(["--demo", "4", "--port", "0", "--minimized"])
    assert (args.demo, args.port, args.minimized) == (4, 0, True)
    assert build_parser().parse_args(["--demo"]).demo == 3


def test_quit_flag_stops_the_running_app_cleanly(tmp_path: Path) -> None:
    """What the installer and uninstaller do before touching files: `--quit` asks the
    running app to shut its gateway down and exit 0."""
    import os
    import subprocess
    import sys
    import time

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for name in ("CONFIG", "DATA", "LOG"):
        env[f"MT4_COMPANION_{name}_DIR"] = str(tmp_path / name.lower())
    app = subprocess.Popen([sys.executable, "-m", "desktop.app", "--demo", "1", "--port", "0"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        log_dir = tmp_path / "log"
        deadline = time.monotonic() + 60
        while not any("started in" in p.read_text(errors="replace")
                      for p in log_dir.glob("*.log")):
            assert app.poll() is None, app.stdout.read() if app.stdout else ""
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.05)
        asked = subprocess.run([sys.executable, "-m", "desktop.app", "--quit"], env=env,
                               capture_output=True, text=True, timeout=60)
        assert asked.returncode == 0
        assert "asked MT4 Companion to quit" in asked.stdout
        assert app.wait(timeout=30) == 0
        assert any("stopped" in p.read_text() for p in log_dir.glob("*.log"))
        again = subprocess.run([sys.executable, "-m", "desktop.app", "--quit"], env=env,
                               capture_output=True, text=True, timeout=60)
        assert (again.returncode, again.stdout.strip()) == (0, "MT4 Companion is not running")
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


def test_without_the_desktop_extra_it_says_what_to_install(tmp_path: Path) -> None:
    """`mt4-companion` from a plain `pip install mt4-companion` (no qasync): one readable
    paragraph naming the extra, exit 1, no traceback."""
    import subprocess
    import sys

    # `None` in sys.modules is Python's own "this module cannot be imported" marker: the
    # same ImportError a missing package gives, in a real separate interpreter.
    code = ("import sys; sys.modules['qasync'] = None; from desktop.app import main; "
            "sys.exit(main([]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "no module named 'qasync'" in done.stderr
    assert 'pip install "mt4-companion[desktop]"' in done.stderr
    assert "mt4-gateway serve" in done.stderr
