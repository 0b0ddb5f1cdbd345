"""An unexpected exception is logged and shown, never a silent crash: sys.excepthook for
Qt slots and the asyncio loop's exception handler for tasks and callbacks."""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from .logging_setup import REDACTOR
from .qt import QApplication, QMessageBox, Qt

log = logging.getLogger("desktop.crash")

Show = Callable[[str, str], None]


def _dialog(summary: str, details: str) -> None:
    if QApplication.instance() is None:
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "MT4 Companion - unexpected error",
                      f"{summary}\n\nThe gateway keeps running. Details are in the log file.")
    box.setDetailedText(details)
    # Not exec(): a nested event loop inside an asyncio task would re-enter other tasks.
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()


class CrashHandler:
    def __init__(self, show: Show = _dialog, max_dialogs: int = 3) -> None:
        self.show = show
        self.shown = 0
        self.max_dialogs = max_dialogs
        self._showing = False

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        sys.excepthook = self.excepthook
        if loop is not None:
            loop.set_exception_handler(self.loop_handler)

    def excepthook(self, etype: type[BaseException], value: BaseException,
                   tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            sys.__excepthook__(etype, value, tb)
            return
        log.error("unexpected exception", exc_info=(etype, value, tb))
        details = REDACTOR.redact("".join(traceback.format_exception(etype, value, tb)))
        self._show(f"{etype.__name__}: {REDACTOR.redact(str(value))}", details)

    def loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, asyncio.CancelledError):
            return
        if exc is None:
            log.error("event loop: %s", context.get("message"))
            return
        self.excepthook(type(exc), exc, exc.__traceback__)

    def _show(self, summary: str, details: str) -> None:
        # One dialog at a time, and not a flood: the log has everything.
        if self._showing or self.shown >= self.max_dialogs:
            return
        self._showing = True
        self.shown += 1
        try:
            self.show(summary, details)
        finally:
            self._showing = False
