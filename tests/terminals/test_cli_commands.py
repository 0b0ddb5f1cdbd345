"""The terminals, install-ea, uninstall-ea and launch subcommands: exit codes and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway_core.terminals.cli_commands import run
from gateway_core.terminals.ea_config import parse_ea_config
from gateway_core.terminals.ea_package import EA_SOURCE_ENV

from .trees import make_appdata_terminal, make_data_folder, make_ea_package, make_portable

REPO = Path(__file__).resolve().parents[2]
TOKEN = "cli-token-0123456789abcdef"


@pytest.fixture
def ea_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_ea_package(tmp_path / "ea-build", version="1.1.0")
    monkeypatch.setenv(EA_SOURCE_ENV, str(root))
    monkeypatch.setenv("MT4_COMPANION_CONFIG_DIR", str(tmp_path / "config"))
    return root


@pytest.fixture
def terminal(tmp_path: Path) -> Path:
    data = make_data_folder(tmp_path / "Terminal" / "50CA3DFB510CC5A8F28B48D1BF2A5702")
    (data / "MQL4" / "Experts" / "Mine.mq4").write_text("// trader's EA\n")
    return data


def test_terminals_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_appdata_terminal(tmp_path / "Terminal", r"C:\Program Files (x86)\MetaTrader 4")
    portable = make_portable(tmp_path / "MetaTrader 5", mt5=True)
    code = run(["terminals", "--json", "--no-default-roots", "--search-root", str(tmp_path)])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    kinds = {Path(t["data_folder"]): t["kind"] for t in payload["terminals"]}
    assert kinds == {data: "mt4", portable: "mt5-not-supported"}


def test_terminals_human(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_portable(tmp_path / "Pepperstone MetaTrader 4")
    code = run(["terminals", "--no-default-roots", "--search-root", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Found 1 terminal:\n1. Pepperstone (MT4)\n")
    assert "   MT4 Companion EA: not installed\n" in out
    assert "terminal.exe: yes, metaeditor.exe: yes" in out


def test_terminals_none_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["terminals", "--no-default-roots", "--search-root", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "No MetaTrader terminals found.\n"


def test_install_update_uninstall_round_trip(
    ea_source: Path, terminal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["install-ea", "--terminal", str(terminal), "--port", "8123", "--token", TOKEN]
    assert run([*argv, "--json", "--no-compile"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is True
    assert payload["install"]["ea_version"] == "1.1.0"
    assert {f["action"] for f in payload["install"]["files"]} == {"installed"}
    cfg = terminal / "MQL4" / "Files" / "MT4Companion" / "companion.cfg"
    values = parse_ea_config(cfg.read_text("utf-8"))
    assert values["gateway_url"] == "ws://127.0.0.1:8123/mt4"
    assert values["token"] == TOKEN

    assert run([*argv, "--no-compile"]) == 0
    assert capsys.readouterr().out == (
        "MT4 Companion EA 1.1.0 is already installed; nothing changed.\n"
    )

    assert run(["uninstall-ea", "--terminal", str(terminal)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("The MT4 Companion EA was removed.\n")
    assert "  removed    Experts/MT4Companion.mq4: installed by MT4 Companion\n" in out
    assert (terminal / "MQL4" / "Experts" / "Mine.mq4").is_file()
    assert not (terminal / "MQL4" / "Experts" / "MT4Companion.mq4").exists()


def test_install_without_token_uses_the_gateway_token_file(
    ea_source: Path, terminal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["install-ea", "--terminal", str(terminal)]) == 0
    out = capsys.readouterr().out
    # No metaeditor.exe in this data folder's installation: the terminal compiles it.
    assert "The terminal compiles MT4Companion.mq4 itself the next time it starts" in out
    token = (tmp_path / "config" / "local-token").read_text().strip()
    cfg = terminal / "MQL4" / "Files" / "MT4Companion" / "companion.cfg"
    assert parse_ea_config(cfg.read_text("utf-8"))["token"] == token


@pytest.mark.parametrize(
    "argv",
    [
        ["install-ea", "--terminal", "{documents}"],
        ["install-ea", "--terminal", "{missing}"],
        ["install-ea", "--terminal", "{terminal}", "--token", "short"],
        ["install-ea", "--terminal", "{terminal}", "--token", "a-long-enough-token\nx=1"],
        ["uninstall-ea", "--terminal", "{documents}"],
        ["launch", "--terminal", "{documents}"],
        ["launch", "--terminal", "{terminal}", "--period", "H2"],
    ],
)
def test_bad_arguments_exit_2_and_change_nothing(
    ea_source: Path,
    terminal: Path,
    tmp_path: Path,
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    documents = tmp_path / "Documents"
    documents.mkdir()
    (documents / "letter.txt").write_text("hello")
    if argv[0] == "launch" and "{terminal}" in argv:
        run(["install-ea", "--terminal", str(terminal), "--token", TOKEN, "--no-compile"])
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    filled = [
        a.format(documents=documents, missing=tmp_path / "missing", terminal=terminal) for a in argv
    ]
    capsys.readouterr()
    assert run(filled) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mt4-gateway {argv[0]}: ")
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_bad_argument_json_output(
    ea_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["install-ea", "--terminal", str(tmp_path), "--json"]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False
    assert "not an MT4 data folder" in payload["error"]


def test_launch_without_the_ea_exits_1(terminal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["launch", "--terminal", str(terminal), "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["launch"]["started"] is False
    assert "install it first" in payload["launch"]["message"]


def test_python_dash_m(tmp_path: Path) -> None:
    make_portable(tmp_path / "FXCM MetaTrader 4")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway_core.terminals.cli_commands",
            "terminals",
            "--json",
            "--no-default-roots",
            "--search-root",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    (terminal,) = json.loads(completed.stdout)["terminals"]
    assert terminal["broker"] == "FXCM"


def test_wired_into_mt4_gateway(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli = pytest.importorskip("gateway_core.cli")
    make_portable(tmp_path / "MT4")
    code = cli.main(["terminals", "--json", "--no-default-roots", "--search-root", str(tmp_path)])
    assert code == 0
    assert len(json.loads(capsys.readouterr().out)["terminals"]) == 1
