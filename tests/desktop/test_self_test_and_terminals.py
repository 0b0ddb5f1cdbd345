"""`--self-test` end to end, and the Terminals page on a folder tree built like a portable
MT4 install."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.self_test import run
from desktop.terminals_page import TerminalsPage

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


async def test_self_test_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run(limit=30) == 0
    out = capsys.readouterr().out
    assert "self-test ok" in out and "closed it" in out


async def test_terminals_page_install_and_uninstall(qapp: object, tmp_path: Path) -> None:
    install = tmp_path / "Broker MT4"
    (install / "MQL4" / "Experts").mkdir(parents=True)
    (install / "MQL4" / "Files").mkdir(parents=True)
    (install / "terminal.exe").write_bytes(b"MZ")
    page = TerminalsPage(lambda: "t" * 32, lambda: 8090)
    page.include_default_roots = False
    page.extra_roots = [tmp_path]
    result = await page.start(page.refresh())
    assert result is not None and page.model.rowCount() == 1, page.output.toPlainText()
    page.view.selectRow(0)
    assert page.install_button.isEnabled() and not page.uninstall_button.isEnabled()
    task = page.start(page.install(page.selected()))  # type: ignore[arg-type]
    assert page.progress.isVisibleTo(page) and not page.refresh_button.isEnabled()
    await task
    assert page.model.rows[0].ea_installed, page.output.toPlainText()
    assert "Compile:" in page.output.toPlainText()
    page.view.selectRow(0)
    assert page.uninstall_button.isEnabled()
    await page.start(page.uninstall(page.selected()))  # type: ignore[arg-type]
    assert not page.model.rows[0].ea_installed
