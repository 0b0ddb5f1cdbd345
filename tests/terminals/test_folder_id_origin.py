"""The data folder id and origin.txt: the two ways a data folder is tied to its installation."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway_core.terminals.data_folder_id import (
    data_folder_id,
    host_path_from_windows,
    windows_path_in_prefix,
)
from gateway_core.terminals.origin import decode_origin, read_origin

from .trees import origin_bytes


@pytest.mark.parametrize(
    ("install_path", "expected"),
    [
        (r"C:\Program Files (x86)\MetaTrader 4", "50CA3DFB510CC5A8F28B48D1BF2A5702"),
        (r"C:\Program Files\MetaTrader 5", "D0E8209F77C8CF37AD8BF550E51FF075"),
    ],
)
def test_known_folder_id_vectors(install_path: str, expected: str) -> None:
    assert data_folder_id(install_path) == expected


def test_folder_id_ignores_case_trailing_backslash_and_forward_slashes() -> None:
    expected = "50CA3DFB510CC5A8F28B48D1BF2A5702"
    assert data_folder_id(r"c:\program files (x86)\metatrader 4\\") == expected
    assert data_folder_id("C:/Program Files (x86)/MetaTrader 4/") == expected


def test_windows_path_of_a_folder_in_a_wine_prefix(tmp_path: Path) -> None:
    prefix = tmp_path / ".mt4"
    install = prefix / "drive_c" / "Program Files (x86)" / "MetaTrader 4"
    install.mkdir(parents=True)
    assert windows_path_in_prefix(install) == r"C:\Program Files (x86)\MetaTrader 4"
    assert windows_path_in_prefix(tmp_path) is None
    # and back, matching case like Windows does
    assert host_path_from_windows(r"C:\PROGRAM FILES (X86)\metatrader 4", prefix) == install
    assert host_path_from_windows(r"Q:\elsewhere", prefix) is None


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-nobom", "utf-8", "utf-8-bom"])
def test_origin_in_every_encoding_seen(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "origin.txt").write_bytes(
        origin_bytes(r"C:\Program Files (x86)\IC Markets MetaTrader 4", encoding)
    )
    info = read_origin(tmp_path)
    assert info.problem is None
    assert info.install_path == r"C:\Program Files (x86)\IC Markets MetaTrader 4"


def test_origin_with_trailing_newline_and_nul() -> None:
    raw = b"\xff\xfe" + "C:\\MT4\\\r\n\x00".encode("utf-16-le")
    assert decode_origin(raw).install_path == "C:\\MT4\\"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "not readable text"),
        (b"", "empty"),
        (b"\xff\xfe", "empty"),
        (b"hello world", "does not hold an installation path"),
    ],
)
def test_broken_origin_is_reported_not_raised(tmp_path: Path, raw: bytes, problem: str) -> None:
    (tmp_path / "origin.txt").write_bytes(raw)
    info = read_origin(tmp_path)
    assert info.install_path is None
    assert info.problem is not None and problem in info.problem


def test_missing_origin(tmp_path: Path) -> None:
    assert read_origin(tmp_path).problem == "origin.txt is missing"
