"""Compile the EA with MetaTrader 4's own MetaEditor; any error or warning fails.

    python installer/compile_ea.py --metaeditor "C:\\MT4\\metaeditor.exe" [--out DIR]

The release workflow runs this on Windows against a portable MetaTrader 4 (see
.github/workflows/release.yml). It copies `ea/MQL4` into a scratch MQL4 folder, runs

    metaeditor.exe /portable /compile:"<MQL4>\\Experts\\MT4Companion.mq4" /inc:"<MQL4>" /log:"<log>"

reads the log (UTF-16LE with a BOM), prints it, and exits 1 unless the log's summary says
0 errors and 0 warnings, no line reports an error or a warning, and the .ex4 exists. With `--out`
the .ex4 and the log are copied there (the workflow uploads them). Off Windows a `.exe` runs
under `wine`; anything else named by --metaeditor runs as it is (the tests use a fake).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EA_SOURCE = REPO / "ea" / "MQL4"
MAIN = Path("Experts") / "MT4Companion.mq4"

# `File.mq4(12,5) : error 256: 'x' - undeclared identifier`, `... : warning 43: ...`
_DIAGNOSTIC = re.compile(r"\s:\s*(?P<sev>error|warning)(\s+\d+)?\s*:", re.IGNORECASE)
# `Result: 0 errors, 0 warnings, 123 msec elapsed` (new builds), `0 error(s), 0 warning(s)` (old)
_SUMMARY = re.compile(
    r"(?P<errors>\d+)\s+errors?(\(s\))?\s*,\s*(?P<warnings>\d+)\s+warnings?(\(s\))?",
    re.IGNORECASE,
)


@dataclass
class Verdict:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: tuple[int, int] | None = None

    @property
    def clean(self) -> bool:
        return self.summary == (0, 0) and not self.errors and not self.warnings

    def reasons(self) -> list[str]:
        out = [f"error: {e}" for e in self.errors] + [f"warning: {w}" for w in self.warnings]
        if self.summary is None:
            out.append("the log has no 'N errors, N warnings' summary: did MetaEditor run?")
        elif self.summary != (0, 0):
            out.append(f"summary: {self.summary[0]} error(s), {self.summary[1]} warning(s)")
        return out


def decode_log(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if len(raw) > 1 and raw[1:2] == b"\x00":  # UTF-16LE without a BOM
        return raw.decode("utf-16-le", errors="replace")
    return raw.decode("utf-8", errors="replace")


def judge_log(text: str) -> Verdict:
    verdict = Verdict()
    for line in text.splitlines():
        summary = _SUMMARY.search(line)
        if summary:
            errors, warnings = int(summary["errors"]), int(summary["warnings"])
            previous = verdict.summary or (0, 0)
            verdict.summary = (previous[0] + errors, previous[1] + warnings)
            continue
        diagnostic = _DIAGNOSTIC.search(line)
        if diagnostic:
            target = verdict.errors if diagnostic["sev"].lower() == "error" else verdict.warnings
            target.append(line.strip())
    return verdict


def command(metaeditor: Path, main: Path, include: Path, log: Path) -> list[str] | str:
    args = [f"/compile:{main}", f"/inc:{include}", f"/log:{log}"]
    if metaeditor.suffix.lower() != ".exe":
        return [str(metaeditor), "/portable", *args]
    if sys.platform == "win32":
        # MetaEditor wants /key:"value" (quotes after the colon), which list2cmdline would not
        # write; the scratch paths are ours and hold no quotes.
        quoted = " ".join(f'{a.split(":", 1)[0]}:"{a.split(":", 1)[1]}"' for a in args)
        return f'"{metaeditor}" /portable {quoted}'
    wine = shutil.which("wine")
    if wine is None:
        raise SystemExit("compile_ea: MetaEditor is a Windows program: run this on Windows "
                         "(or install wine)")
    return [wine, str(metaeditor), "/portable", *args]


def compile_ea(metaeditor: Path, out: Path | None, timeout: float = 300) -> int:
    if not metaeditor.is_file():
        print(f"compile_ea: {metaeditor} does not exist", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mt4c-ea-") as tmp:
        mql4 = Path(tmp) / "MQL4"
        shutil.copytree(EA_SOURCE, mql4)
        main = mql4 / MAIN
        log = Path(tmp) / "compile.log"
        cmd = command(metaeditor, main, mql4, log)
        print(f"compile_ea: {cmd if isinstance(cmd, str) else subprocess.list2cmdline(cmd)}")
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,  # noqa: S603
                                  check=False)
        except subprocess.TimeoutExpired:
            print(f"compile_ea: MetaEditor did not finish in {timeout} s", file=sys.stderr)
            return 1
        # MetaEditor's exit code is the number of files it compiled, not a status: the log rules.
        if not log.is_file():
            print(f"compile_ea: MetaEditor wrote no log (exit {done.returncode}); "
                  f"{(done.stdout + done.stderr).strip()[-2000:]}", file=sys.stderr)
            return 1
        text = decode_log(log.read_bytes())
        print(text.rstrip())
        verdict = judge_log(text)
        ex4 = main.with_suffix(".ex4")
        reasons = verdict.reasons()
        if not ex4.is_file():
            reasons.append(f"{ex4.name} was not produced")
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            shutil.copy2(log, out / "MT4Companion-compile.log")
            if ex4.is_file():
                shutil.copy2(ex4, out / ex4.name)
    if reasons:
        print("compile_ea: FAILED\n  " + "\n  ".join(reasons), file=sys.stderr)
        return 1
    print(f"compile_ea: {MAIN.as_posix()} compiled with 0 errors, 0 warnings")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="installer/compile_ea.py", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--metaeditor", type=Path, required=True, help="metaeditor.exe of MT4")
    parser.add_argument("--out", type=Path, default=None, help="copy the .ex4 and log here")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)
    return compile_ea(args.metaeditor, args.out, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
