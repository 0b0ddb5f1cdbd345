"""A stand-in for metaeditor.exe: same switches, same UTF-16LE log, same exit code rule.

Run as ``python fake_metaeditor.py /compile:<file> [/include:<dir>] /log:<file>``. Paths may be
relative to the working directory and use backslashes, as MetaEditor accepts them. A source that
contains ``undeclared_thing`` fails with an error; otherwise the .ex4 is written. Every compile
also reports one warning, as real EAs often do. Exit code: number of files compiled.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _path(value: str) -> Path:
    value = value.strip('"')
    if len(value) > 2 and value[1] == ":":  # C:\... as the Windows side sees it
        value = value[2:]
    return Path(value.replace("\\", "/"))


def main(argv: list[str]) -> int:
    switches = {}
    for arg in argv:
        name, _, value = arg.partition(":")
        switches[name.lower()] = value
    source = _path(switches["/compile"])
    log = _path(switches["/log"])
    text = source.read_text(encoding="utf-8")
    name = source.name
    shown = str(source).replace("/", "\\")
    lines = [f"{shown} : information: compiling '{name}'"]
    lines.append(f"{shown} : information: including C:\\x\\error : warning 1: not a real warning")
    failed = "undeclared_thing" in text
    if failed:
        lines.append(f"{shown}(12,5) : error 256: 'undeclared_thing' - undeclared identifier")
    lines.append(f"{shown}(20,3) : warning 43: possible loss of data due to type conversion")
    lines.append(f"Result: {1 if failed else 0} errors, 1 warnings, 143 msec elapsed")
    log.write_bytes(b"\xff\xfe" + ("\r\n".join(lines) + "\r\n").encode("utf-16-le"))
    if failed:
        return 0
    source.with_suffix(".ex4").write_bytes(b"EX4 compiled " + text.encode("utf-8")[:40])
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
