"""Fixtures for ea/host tests: sample EAs built once per session (in parallel, through the
content-hash cache) and a small driver for the host's JSON-lines protocol."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from ea.host.translator.build import build, build_runtime  # noqa: E402

from .hostproc import Host  # noqa: E402

SAMPLES = Path(__file__).resolve().parent / "samples" / "MQL4" / "Experts"
SAMPLE_NAMES = ["StringsArrays", "Lang", "Pointers", "Trader", "FilesCrypt", "NetClient"]

@pytest.fixture(scope="session")
def binaries() -> dict[str, Path]:
    """All sample EAs compiled (cache hits after the first run on a machine)."""
    build_runtime()
    with ThreadPoolExecutor(max_workers=2) as ex:
        results = dict(zip(SAMPLE_NAMES, ex.map(lambda n: build(SAMPLES / f"{n}.mq4").binary,
                                                SAMPLE_NAMES), strict=True))
    return results


@pytest.fixture
def run_host(tmp_path: Path) -> Iterator[Callable[..., Host]]:
    hosts: list[Host] = []

    def start(binary: Path, args: list[str] | None = None, sandbox: Path | None = None) -> Host:
        h = Host(binary, sandbox or tmp_path / "terminal", args)
        hosts.append(h)
        return h

    yield start
    for h in hosts:
        h.close()


