"""desktop.qt works around PySide6 6.12.0's SignalInstance.emit reference bug; without it
the app aborts after enough signals ("bool_dealloc: deallocating True or False")."""

from __future__ import annotations

import sys

from desktop.qt import QObject, Signal


class _Emitter(QObject):
    value = Signal(object)


def test_many_emits_leave_true_alone() -> None:
    e = _Emitter()
    got: list[object] = []
    e.value.connect(got.append)
    before = sys.getrefcount(True)
    for i in range(50_000):
        assert e.value.emit(i) is True
    assert len(got) == 50_000
    assert sys.getrefcount(True) >= before
