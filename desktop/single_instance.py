"""One app per user: a second launch asks the running one to come forward, then exits.

A QLocalServer (named pipe on Windows, Unix socket elsewhere) named after the user; a
server left behind by a crash is removed when nobody answers on it.
"""

from __future__ import annotations

import getpass
import hashlib
import logging

from .qt import QLocalServer, QLocalSocket, QObject, Signal

log = logging.getLogger(__name__)

ACTIVATE = b"activate\n"
QUIT = b"quit\n"


def server_name(suffix: str = "") -> str:
    """One name per user and settings folder: two copies sharing settings would fight over
    the port and the outbox, while a separate settings folder is a separate app."""
    from gateway_core.paths import config_dir

    try:
        user = getpass.getuser()
    except Exception:  # no user name in some service contexts
        user = "user"
    digest = hashlib.sha256(f"{user}|{config_dir()}{suffix}".encode()).hexdigest()[:12]
    return f"mt4-companion-{digest}"


class SingleInstance(QObject):
    activate_requested = Signal()
    quit_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server: QLocalServer | None = None

    def notify_running(self, timeout_ms: int = 1000, message: bytes = ACTIVATE) -> bool:
        """True if another instance answered (and was asked to come forward, or to quit
        with `message=QUIT`)."""
        sock = QLocalSocket()
        sock.connectToServer(self.name)
        if not sock.waitForConnected(timeout_ms):
            return False
        sock.write(message)
        sock.waitForBytesWritten(timeout_ms)
        sock.disconnectFromServer()
        return True

    def claim(self) -> bool:
        """Become the instance; False if one is already running (it was notified)."""
        if self.notify_running():
            return False
        QLocalServer.removeServer(self.name)  # a crashed instance's leftover
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            log.warning("single instance: cannot listen on %s: %s", self.name,
                        server.errorString())
            return True  # run anyway: better two windows than none
        server.newConnection.connect(self._on_connection)
        self.server = server
        return True

    def _on_connection(self) -> None:
        assert self.server is not None
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            # The message is a few bytes sent right after connecting: wait for it here rather
            # than keep per-socket callbacks alive (that raced with socket deletion).
            ready = sock.bytesAvailable() > 0 or sock.waitForReadyRead(500)
            data = bytes(sock.readAll().data()) if ready else b""
            if QUIT.strip() in data:
                self.quit_requested.emit()
            elif ACTIVATE.strip() in data:
                self.activate_requested.emit()
            sock.abort()
            sock.deleteLater()

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server.deleteLater()
            self.server = None
