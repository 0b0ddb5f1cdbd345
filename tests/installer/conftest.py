"""Tests of the packaging in installer/ (the spec's policy, the NSIS script, the frozen build).

The full build is marked `slow` (registered in pyproject.toml); deselect it locally with
`-m "not slow"`.
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


@pytest.fixture
def makensis() -> str:
    found = shutil.which("makensis")
    if found is None:
        pytest.skip("makensis is not installed (Debian: apt-get install nsis; scripts/setup-dev "
                    "installs it)")
    return found
