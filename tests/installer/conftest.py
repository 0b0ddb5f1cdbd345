"""Tests of the packaging in installer/ (the spec's policy, the NSIS script, the frozen build).

The `slow` marker is registered here because pyproject.toml belongs to the lead; it should move
to `[tool.pytest.ini_options] markers`. Deselect the full build locally with `-m "not slow"`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"

# installer/ is a folder of scripts, not a package: its modules import each other by name.
if str(INSTALLER) not in sys.path:
    sys.path.insert(0, str(INSTALLER))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: builds the frozen app and the installer (minutes); "
        "deselect with -m 'not slow'"
    )


@pytest.fixture
def makensis() -> str:
    found = shutil.which("makensis")
    if found is None:
        pytest.skip("makensis is not installed (Debian: apt-get install nsis; scripts/setup-dev "
                    "installs it)")
    return found
