"""The Windows release workflow cannot run here (no Windows runner, no GitHub): these checks
keep it wired to the same scripts the Linux build runs and tests."""

from __future__ import annotations

import re

import pytest

from .conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


@pytest.fixture(scope="module")
def text() -> str:
    return WORKFLOW.read_text(encoding="utf-8")


def test_it_is_valid_yaml_with_both_jobs(text: str) -> None:
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(text)
    assert set(doc["jobs"]) == {"windows", "linux"}
    assert doc["jobs"]["windows"]["runs-on"].startswith("windows")
    names = [s.get("name", s.get("uses", "")) for s in doc["jobs"]["windows"]["steps"]]
    order = ["Tests that make sense", "Build the bundle", "Compile the EA", "Build Setup-"]
    positions = [next(i for i, n in enumerate(names) if n.startswith(o)) for o in order]
    assert positions == sorted(positions)


def test_windows_job_builds_tests_compiles_and_ships(text: str) -> None:
    assert re.search(r"runs-on: windows-\d{4}", text)
    assert 'python-version: "3.11"' in text
    assert "python installer/build.py --json" in text  # bundle + smoke test
    assert "python installer/compile_ea.py --metaeditor" in text  # MetaEditor, strict
    assert "install-ea --terminal" in text  # the finish page's command, frozen, real MT4
    assert "python installer/build.py --skip-build --nsis" in text  # Setup-<version>.exe
    assert "Setup-${{ steps.version.outputs.version }}.exe" in text
    assert "actions/upload-artifact@v4" in text
    assert "gh release create" in text
    assert '-m "not slow"' in text


def test_linux_job_runs_the_same_build(text: str) -> None:
    assert "scripts/setup-dev" in text
    assert ".venv/bin/python installer/build.py --nsis --json" in text


def test_every_script_it_calls_exists(text: str) -> None:
    for path in re.findall(r"(?<![\w/])(installer/[\w./-]+\.py|scripts/[\w-]+)", text):
        assert (ROOT / path).exists(), path
