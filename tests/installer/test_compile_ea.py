"""installer/compile_ea.py: the release's strict MetaEditor gate (the log decides)."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import compile_ea
import pytest

CLEAN_NEW = """MT4Companion.mq4 : information: compiling 'MT4Companion.mq4'
MT4Companion.mq4 : information: including 'Include\\MT4Companion\\Json.mqh'
Result: 0 errors, 0 warnings, 812 msec elapsed
"""
CLEAN_OLD = "MT4Companion.mq4 : information: compiling\n0 error(s), 0 warning(s)\n"
WARNING = """MT4Companion.mq4 : information: compiling 'MT4Companion.mq4'
Json.mqh(20,3) : warning 43: possible loss of data due to type conversion
Result: 0 errors, 1 warnings, 812 msec elapsed
"""
ERROR = """MT4Companion.mq4(12,5) : error 256: 'x' - undeclared identifier
Result: 1 errors, 0 warnings
"""


@pytest.mark.parametrize("log", [CLEAN_NEW, CLEAN_OLD])
def test_clean_logs_pass(log: str) -> None:
    verdict = compile_ea.judge_log(log)
    assert verdict.clean, verdict.reasons()


def test_a_warning_fails() -> None:
    verdict = compile_ea.judge_log(WARNING)
    assert not verdict.clean
    assert verdict.warnings == ["Json.mqh(20,3) : warning 43: possible loss of data due to type "
                                "conversion"]
    assert "summary: 0 error(s), 1 warning(s)" in verdict.reasons()


def test_an_error_fails() -> None:
    verdict = compile_ea.judge_log(ERROR)
    assert not verdict.clean
    assert len(verdict.errors) == 1


def test_a_log_without_summary_fails() -> None:
    verdict = compile_ea.judge_log("MT4Companion.mq4 : information: compiling\n")
    assert not verdict.clean
    assert "summary" in verdict.reasons()[0]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8"])
def test_log_encodings(encoding: str) -> None:
    assert compile_ea.decode_log(CLEAN_NEW.encode(encoding)) == CLEAN_NEW


def _fake_metaeditor(tmp_path: Path, log_text: str, make_ex4: bool = True) -> Path:
    """A stand-in for metaeditor.exe: writes `log_text` as UTF-16 and the .ex4."""
    script = tmp_path / "fake-metaeditor"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib\n"
        "args = dict(a[1:].split(':', 1) for a in sys.argv[1:] if ':' in a)\n"
        "main = pathlib.Path(args['compile'])\n"
        "assert (pathlib.Path(args['inc']) / 'Include' / 'MT4Companion').is_dir()\n"
        "assert '/portable' in sys.argv\n"
        f"pathlib.Path(args['log']).write_text({log_text!r}, encoding='utf-16')\n"
        + ("main.with_suffix('.ex4').write_bytes(b'EX4')\n" if make_ex4 else "")
        + "sys.exit(1)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.skipif(sys.platform == "win32", reason="the fake MetaEditor is a POSIX script")
def test_end_to_end_with_a_fake_metaeditor(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    out = tmp_path / "out"
    assert compile_ea.main(["--metaeditor", str(_fake_metaeditor(tmp_path, CLEAN_NEW)),
                            "--out", str(out)]) == 0
    assert (out / "MT4Companion.ex4").read_bytes() == b"EX4"
    assert "0 errors, 0 warnings" in capsys.readouterr().out

    assert compile_ea.main(["--metaeditor", str(_fake_metaeditor(tmp_path, WARNING))]) == 1
    assert "warning 43" in capsys.readouterr().err

    assert compile_ea.main(["--metaeditor",
                            str(_fake_metaeditor(tmp_path, CLEAN_NEW, make_ex4=False))]) == 1
    assert "MT4Companion.ex4 was not produced" in capsys.readouterr().err


def test_missing_metaeditor(tmp_path: Path) -> None:
    assert compile_ea.main(["--metaeditor", str(tmp_path / "metaeditor.exe")]) == 2
