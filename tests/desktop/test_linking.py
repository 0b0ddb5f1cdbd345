"""Settings -> Link to platform, end to end in the app: the code is exchanged over real
HTTP with the platform test peer (tests/forwarder/platform_peer.py), the gateway token
lands in a real keyring (keyrings.alt's file backend, the way the OS keyring is used),
forwarding starts, a revoke stops it and says so, and linking again delivers what was
kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyrings.alt.file import PlaintextKeyring

from desktop.secret_store import ACCOUNT, SERVICE, SecretStore
from tests.forwarder.platform_peer import PlatformPeer

from .conftest import live_app, until

pytestmark = [pytest.mark.timeout(90)]


@pytest.fixture
def file_keyring(tmp_path: Path) -> Iterator[PlaintextKeyring]:
    before: KeyringBackend = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")  # type: ignore[misc]
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)


@pytest.mark.asyncio
async def test_link_revoke_link_again(tmp_path: Path, file_keyring: PlaintextKeyring) -> None:
    peer = PlatformPeer()
    await peer.start()
    try:
        async with live_app(tmp_path) as (_rt, ctl):
            shown: list[str] = []
            ctl.notifier.show = lambda _title, text, _level: shown.append(text)
            ctl.notifier.limiter.interval = 0
            ctl.secrets = SecretStore()
            assert ctl.secrets.kind == "keyring"
            ctl.link.outbox_path = tmp_path / "outbox.sqlite3"
            ctl._on_second()
            assert ctl.window.connection_page.linked_label.text() == "Not linked"
            assert not ctl.tray.web_panel_action.isVisible()

            dialog = ctl.open_link_dialog()
            assert dialog.isVisible() and not dialog.unlink_button.isVisible()
            assert dialog.link_button.text() == "Link"
            dialog.url.setText(peer.url)
            dialog.code.setText("WRONG234")
            assert await dialog.start_link() is None  # type: ignore[misc]
            assert dialog.state.text().startswith("Could not link: the platform did not accept")
            assert ctl.store.settings.platform_enabled is False
            assert keyring.get_password(SERVICE, ACCOUNT) is None

            code = peer.new_code()
            dialog.code.setText(code.lower())
            pairing = await dialog.start_link()  # type: ignore[misc]
            assert pairing is not None
            assert dialog.state.text() == f"Linked to 42 at {peer.url}."
            assert dialog.link_button.text() == "Link again" and dialog.unlink_button.isVisible()
            assert keyring.get_password(SERVICE, ACCOUNT) == pairing.gateway_token
            assert pairing.gateway_token not in Path(ctl.store.path).read_text()
            s = ctl.store.settings
            assert (s.platform_url, s.platform_web_url, s.platform_user) == (
                f"ws://127.0.0.1:{peer.port}/mt4", peer.url, "42")
            await until(lambda: (ctl.bridge.backend() or {}).get("state") == "connected",
                        what="forwarding")
            await until(lambda: any(e["event"].get("type") == "snapshot"
                                    for e in peer.events), what="snapshots at the platform")
            ctl._on_second()
            assert ctl.window.connection_page.linked_label.text() == (
                f"Linked to 42 at {peer.url}")
            assert ctl.tray.web_panel_action.isVisible()

            # Revoked from the web panel: stop, say so, keep what is not delivered.
            await peer.revoke(pairing.token_id)
            acked_at_revoke = peer.acked
            await until(lambda: (ctl.bridge.backend() or {}).get("state") == "revoked",
                        what="revoked")
            ctl._on_second()
            page = ctl.window.connection_page
            assert "revoked by the platform, link again" in page.link_labels["state"].text()
            assert ctl.tray.overall.state == "error"
            assert "platform revoked" in ctl.tray.icon.toolTip()
            assert any("revoked by the platform, link again" in t for t in shown)
            await until(lambda: ctl.link.outbox_depth() > 0, what="events kept")
            assert page.clear_outbox_button.isEnabled()

            # Link again (a new code): the kept events arrive, in order, nothing twice.
            dialog.code.setText(peer.new_code())
            again = await dialog.start_link()  # type: ignore[misc]
            assert again is not None and again.token_id != pairing.token_id
            assert keyring.get_password(SERVICE, ACCOUNT) == again.gateway_token
            await until(lambda: (ctl.bridge.backend() or {}).get("state") == "connected",
                        what="linked again")
            await until(lambda: peer.acked > acked_at_revoke + 1, what="backlog delivered")
            seqs = [e["seq"] for e in peer.events]
            assert seqs == list(range(1, len(seqs) + 1))

            # Revoked again, and this time the trader discards what waits (asked first).
            await peer.revoke(again.token_id)
            await until(lambda: (ctl.bridge.backend() or {}).get("state") == "revoked",
                        what="revoked again")
            await until(lambda: ctl.link.outbox_depth() > 0, what="events kept again")
            ctl._on_second()  # the once-a-second refresh enables the button
            assert page.clear_outbox_button.isEnabled()
            page.clear_outbox_button.click()
            assert ctl.link.outbox_depth() == 0
            assert any("Discard" in q and "not received" in q
                       for q in ctl.asked)  # type: ignore[attr-defined]
            assert any("Discarded" in e.text for e in ctl.log_model.entries)

            # Unlink: the token leaves the keyring and forwarding stops.
            dialog.unlink_button.click()
            assert keyring.get_password(SERVICE, ACCOUNT) is None
            await until(lambda: ctl.bridge.backend() is None, what="link stopped")
            ctl._on_second()
            assert ctl.window.connection_page.linked_label.text() == "Not linked"
            assert not ctl.tray.web_panel_action.isVisible()
    finally:
        await peer.stop()
