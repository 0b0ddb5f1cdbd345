"""Tokenizer for MQL4 source.

The translator works on tokens rather than on lines so that comments, string literals and
operators are never confused with each other (a regex over whole lines gets `"a//b"` wrong).
Preprocessor directives are kept as one `pp` token per logical line; the preprocessor module
interprets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class MqlError(Exception):
    """A problem in the MQL4 source (or something the host does not support): file:line: text."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = file
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class Tok:
    """One token. `kind` is id, num, str, chr, dt (D'..'), clr (C'..'), op, pp or a marker."""

    kind: str
    text: str
    file: str
    line: int
    col: int
    value: object = None  # decoded value for str/chr/dt/clr literals

    def at(self) -> str:
        return f"{self.file}:{self.line}"

    def derive(self, kind: str, text: str, value: object = None) -> Tok:
        """A synthesized token that keeps this token's location (for #line and errors)."""
        return Tok(kind, text, self.file, self.line, self.col, value)


# Longest first so that `>>=` wins over `>>` and `>`.
_OPS = [
    ">>=", "<<=", "...", "->", "::", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&",
    "||", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
]
_SINGLE = set("+-*/%=<>!&|^~?:;,.()[]{}#@\\")
_SIMPLE_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0",
               "a": "\a", "b": "\b", "f": "\f", "v": "\v", "?": "?"}


class Lexer:
    def __init__(self, text: str, file: str) -> None:
        self.s = text
        self.file = file
        self.i = 0
        self.line = 1
        self.line_start = 0
        self.toks: list[Tok] = []

    def err(self, msg: str) -> MqlError:
        return MqlError(self.file, self.line, msg)

    def tok(self, kind: str, text: str, start: int, value: object = None) -> None:
        self.toks.append(Tok(kind, text, self.file, self.line, start - self.line_start + 1, value))

    def run(self) -> list[Tok]:
        s = self.s
        n = len(s)
        at_line_start = True
        while self.i < n:
            c = s[self.i]
            if c == "\n":
                self.i += 1
                self.line += 1
                self.line_start = self.i
                at_line_start = True
                continue
            if c in " \t\r\f\v\ufeff":
                self.i += 1
                continue
            if s.startswith("//", self.i):
                while self.i < n and s[self.i] != "\n":
                    self.i += 1
                continue
            if s.startswith("/*", self.i):
                self.block_comment()
                continue
            if c == "#" and at_line_start:
                self.directive()
                continue
            at_line_start = False
            start = self.i
            if c.isalpha() or c == "_":
                if c in "DC" and self.i + 1 < n and s[self.i + 1] == "'":
                    self.special_literal(c)
                    continue
                j = self.i
                while j < n and (s[j].isalnum() or s[j] == "_"):
                    j += 1
                self.i = j
                self.tok("id", s[start:j], start)
            elif c.isdigit() or (c == "." and self.i + 1 < n and s[self.i + 1].isdigit()):
                self.number()
            elif c == '"':
                text = self.quoted('"')
                self.tok("str", s[start:self.i], start, text)
            elif c == "'":
                text = self.quoted("'")
                if len(text) != 1:
                    raise self.err(f"character literal must hold one character: {s[start:self.i]}")
                self.tok("chr", s[start:self.i], start, ord(text))
            else:
                for op in _OPS:
                    if s.startswith(op, self.i):
                        self.i += len(op)
                        self.tok("op", op, start)
                        break
                else:
                    if c not in _SINGLE:
                        raise self.err(f"unexpected character {c!r}")
                    self.i += 1
                    self.tok("op", c, start)
        return self.toks

    def block_comment(self) -> None:
        end = self.s.find("*/", self.i + 2)
        if end < 0:
            raise self.err("unterminated /* comment")
        chunk = self.s[self.i:end + 2]
        nl = chunk.count("\n")
        if nl:
            self.line += nl
            self.line_start = self.i + chunk.rfind("\n") + 1
        self.i = end + 2

    def directive(self) -> None:
        """Collect one logical preprocessor line (with backslash continuations, minus comments)."""
        s = self.s
        start = self.i
        start_line = self.line
        col = start - self.line_start + 1
        parts: list[str] = []
        buf_start = self.i
        while self.i < len(s):
            c = s[self.i]
            if c == "\\" and s.startswith("\n", self.i + 1):
                parts.append(s[buf_start:self.i])
                self.i += 2
                self.line += 1
                self.line_start = self.i
                buf_start = self.i
                continue
            if c == "\\" and s.startswith("\r\n", self.i + 1):
                parts.append(s[buf_start:self.i])
                self.i += 3
                self.line += 1
                self.line_start = self.i
                buf_start = self.i
                continue
            if c == "\n":
                break
            if s.startswith("//", self.i):
                parts.append(s[buf_start:self.i])
                while self.i < len(s) and s[self.i] != "\n":
                    self.i += 1
                buf_start = self.i
                break
            if s.startswith("/*", self.i):
                parts.append(s[buf_start:self.i])
                self.block_comment()
                parts.append(" ")
                buf_start = self.i
                continue
            if c in "\"'":
                self.quoted(c)
                continue
            self.i += 1
        parts.append(s[buf_start:self.i])
        text = "".join(parts).strip()
        del start
        self.toks.append(Tok("pp", text, self.file, start_line, col))

    def quoted(self, q: str) -> str:
        """Decode a string or char literal; returns its text as code points."""
        s = self.s
        self.i += 1
        out: list[str] = []
        while True:
            if self.i >= len(s) or s[self.i] == "\n":
                raise self.err("unterminated literal")
            c = s[self.i]
            if c == q:
                self.i += 1
                return "".join(out)
            if c == "\\":
                self.i += 1
                e = s[self.i] if self.i < len(s) else ""
                if e in _SIMPLE_ESC and not (e == "0" and s[self.i + 1:self.i + 2].isdigit()):
                    out.append(_SIMPLE_ESC[e])
                    self.i += 1
                elif e in "xX":
                    j = self.i + 1
                    while j < len(s) and j < self.i + 5 and s[j] in "0123456789abcdefABCDEF":
                        j += 1
                    if j == self.i + 1:
                        raise self.err("\\x escape without hex digits")
                    out.append(chr(int(s[self.i + 1:j], 16)))
                    self.i = j
                elif e in "01234567":
                    j = self.i
                    while j < len(s) and j < self.i + 3 and s[j] in "01234567":
                        j += 1
                    out.append(chr(int(s[self.i:j], 8)))
                    self.i = j
                else:
                    raise self.err(f"unsupported escape \\{e}")
                continue
            out.append(c)
            self.i += 1

    def number(self) -> None:
        s = self.s
        start = self.i
        if s.startswith(("0x", "0X"), self.i):
            j = self.i + 2
            while j < len(s) and s[j] in "0123456789abcdefABCDEF":
                j += 1
        else:
            j = self.i
            while j < len(s) and s[j].isdigit():
                j += 1
            if j < len(s) and s[j] == ".":
                j += 1
                while j < len(s) and s[j].isdigit():
                    j += 1
            if j < len(s) and s[j] in "eE":
                k = j + 1
                if k < len(s) and s[k] in "+-":
                    k += 1
                if k < len(s) and s[k].isdigit():
                    j = k
                    while j < len(s) and s[j].isdigit():
                        j += 1
        if j < len(s) and (s[j].isalnum() or s[j] == "_"):
            raise self.err(f"unsupported numeric literal {s[start:j + 1]!r} (no suffixes in MQL4)")
        self.i = j
        self.tok("num", s[start:j], start)

    def special_literal(self, kind: str) -> None:
        """D'2024.01.02 10:00' datetime literals and C'255,0,0' color literals."""
        start = self.i
        self.i += 1
        body = self.quoted("'")
        raw = self.s[start:self.i]
        try:
            if kind == "D":
                self.tok("dt", raw, start, parse_datetime_literal(body, self.err))
            else:
                self.tok("clr", raw, start, parse_color_literal(body, self.err))
        except (ValueError, OverflowError) as e:
            raise self.err(f"bad literal {raw}") from e


def parse_datetime_literal(body: str, err: object) -> int:
    import calendar

    date_part, _, time_part = body.strip().partition(" ")
    nums = [int(x) for x in date_part.split(".") if x] if date_part else []
    if len(nums) != 3:
        raise err(f"unsupported datetime literal D'{body}'")  # type: ignore[operator]
    y, m, d = nums if nums[0] > 31 else (nums[2], nums[1], nums[0])
    hms = [int(x) for x in time_part.split(":") if x] if time_part else []
    hms += [0] * (3 - len(hms))
    return calendar.timegm((y, m, d, hms[0], hms[1], hms[2], 0, 0, 0))


def parse_color_literal(body: str, err: object) -> int:
    parts = [p.strip() for p in body.split(",")]
    if len(parts) != 3:
        raise err(f"unsupported color literal C'{body}'")  # type: ignore[operator]
    r, g, b = (int(p, 0) for p in parts)
    return r | (g << 8) | (b << 16)


def read_source(path: Path) -> str:
    """MetaEditor saves UTF-8 (maybe with BOM) or UTF-16LE with BOM; accept all of them."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def tokenize(text: str, file: str) -> list[Tok]:
    return Lexer(text, file).run()
