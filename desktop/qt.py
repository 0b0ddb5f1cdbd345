"""The one module that imports the Qt binding; every other desktop module imports from here.

Keeping the binding behind one name means a switch (or a version quirk) is handled in one
place, and tests can see at a glance which Qt classes the app relies on.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QCoreApplication,
    QDateTime,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    QUrl,
    Signal,
    SignalInstance,
    Slot,
    qVersion,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QCloseEvent,
    QColor,
    QDesktopServices,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QIcon,
    QImage,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
    QShortcut,
    QShowEvent,
)
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QStatusBar,
    QStyle,
    QSystemTrayIcon,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)


def _emit_loses_a_reference() -> bool:
    """PySide6 6.12.0 on Python 3.11: `SignalInstance.emit()` returns True without taking a
    reference, so every emit from Python takes one reference off `True` until the
    interpreter aborts ("bool_dealloc: deallocating True or False") - a tray app that
    emits ten signals a second would die within minutes. Detect it rather than trust the
    version number, so a fixed release turns the workaround off by itself."""

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(10):
        probe.ping.emit()
    return sys.getrefcount(True) < before


_original_emit = SignalInstance.emit
EMIT_WORKAROUND = _emit_loses_a_reference()
if EMIT_WORKAROUND:
    _incref = ctypes.pythonapi.Py_IncRef
    _incref.argtypes = [ctypes.py_object]

    def _emit(self: SignalInstance, *args: object) -> bool:
        result = _original_emit(self, *args)
        _incref(result)  # the reference emit() should have taken for its return value
        return bool(result)

    SignalInstance.emit = _emit  # type: ignore[method-assign,assignment]


__all__ = [
    "EMIT_WORKAROUND",
    "QAbstractItemView",
    "QAbstractTableModel",
    "QAction",
    "QApplication",
    "QBrush",
    "QButtonGroup",
    "QByteArray",
    "QCheckBox",
    "QCloseEvent",
    "QColor",
    "QComboBox",
    "QCoreApplication",
    "QDateTime",
    "QDesktopServices",
    "QDialog",
    "QDialogButtonBox",
    "QDoubleSpinBox",
    "QEvent",
    "QFileDialog",
    "QFont",
    "QFontMetrics",
    "QFormLayout",
    "QFrame",
    "QGridLayout",
    "QGroupBox",
    "QGuiApplication",
    "QHBoxLayout",
    "QHeaderView",
    "QIcon",
    "QImage",
    "QItemSelectionModel",
    "QKeySequence",
    "QLabel",
    "QLineEdit",
    "QLocalServer",
    "QLocalSocket",
    "QMainWindow",
    "QMenu",
    "QMessageBox",
    "QModelIndex",
    "QObject",
    "QPaintEvent",
    "QPainter",
    "QPainterPath",
    "QPen",
    "QPersistentModelIndex",
    "QPixmap",
    "QPlainTextEdit",
    "QPoint",
    "QPointF",
    "QPolygonF",
    "QProgressBar",
    "QPushButton",
    "QRadioButton",
    "QRect",
    "QRectF",
    "QShortcut",
    "QShowEvent",
    "QSize",
    "QSizePolicy",
    "QSortFilterProxyModel",
    "QSpinBox",
    "QSplitter",
    "QStackedWidget",
    "QStatusBar",
    "QStyle",
    "QSystemTrayIcon",
    "QTabWidget",
    "QTableView",
    "QTimer",
    "QToolBar",
    "QUrl",
    "QVBoxLayout",
    "QWidget",
    "Qt",
    "Signal",
    "Slot",
    "qVersion",
]
