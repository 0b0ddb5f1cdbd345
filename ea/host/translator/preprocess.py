"""MQL4 preprocessor: #include, #define (object- and function-like), #ifdef/#ifndef/#else/#endif,
#undef, #property, #import blocks.

We expand macros ourselves (instead of handing #define to g++) so that the translator sees the
code MQL4's compiler sees: a macro that declares an array or a string literal still gets
translated. Each file is included once, as MetaEditor does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .lexer import MqlError, Tok, read_source, tokenize

MQL4_BUILD = 1420


@dataclass
class Macro:
    name: str
    params: list[str] | None  # None: object-like
    body: list[Tok]


@dataclass
class PPResult:
    tokens: list[Tok]
    properties: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)  # every file read, for the cache key


class Preprocessor:
    def __init__(self, include_dirs: list[Path]) -> None:
        self.include_dirs = include_dirs
        self.macros: dict[str, Macro] = {}
        self.included: set[Path] = set()
        self.result = PPResult([])
        self.in_import: Tok | None = None
        for name, val in (("__MQL4__", "1"), ("__MQL__", "1"), ("_RELEASE", "1"),
                          ("__MQLBUILD__", str(MQL4_BUILD)), ("__MQL4BUILD__", str(MQL4_BUILD))):
            self.macros[name] = Macro(name, None, [Tok("num", val, "<builtin>", 0, 0)])

    def run(self, path: Path) -> PPResult:
        self.include_file(path, None)
        if self.in_import is not None:
            raise MqlError(self.in_import.file, self.in_import.line, "#import block not closed")
        return self.result

    # -- files -------------------------------------------------------------------------------

    def include_file(self, path: Path, at: Tok | None) -> None:
        path = path.resolve()
        if path in self.included:
            return
        self.included.add(path)
        self.result.files.append(path)
        try:
            text = read_source(path)
        except OSError as e:
            if at is None:
                raise MqlError(str(path), 0, f"cannot read: {e}") from e
            raise MqlError(at.file, at.line, f"cannot read include {path}: {e}") from e
        self.process(tokenize(text, str(path)))

    def resolve_include(self, tok: Tok, rest: str) -> Path:
        rest = rest.strip()
        if rest.startswith("<") and rest.endswith(">"):
            name = rest[1:-1].replace("\\", "/")
            if "." not in Path(name).name:
                raise MqlError(tok.file, tok.line, f"include file <{name}> is a C++ standard "
                               "header, not MQL4")
            for d in self.include_dirs:
                cand = find_file(d, name)
                if cand is not None:
                    return cand
            raise MqlError(tok.file, tok.line, f"include file <{name}> not found in "
                           + ", ".join(str(d) for d in self.include_dirs))
        if rest.startswith('"') and rest.endswith('"'):
            name = rest[1:-1].replace("\\", "/")
            cand = find_file(Path(tok.file).parent, name)
            if cand is not None:
                return cand
            # MetaEditor falls back to the Include folder for quoted names too.
            for d in self.include_dirs:
                cand = find_file(d, name)
                if cand is not None:
                    return cand
            raise MqlError(tok.file, tok.line, f'include file "{name}" not found')
        raise MqlError(tok.file, tok.line, f"bad #include {rest}")

    # -- directives --------------------------------------------------------------------------

    def process(self, toks: list[Tok]) -> None:
        cond: list[list[bool]] = []  # [active, taken_else]
        pending: list[Tok] = []

        def active() -> bool:
            return all(c[0] for c in cond)

        for t in toks:
            if t.kind != "pp":
                if active():
                    pending.append(t)
                continue
            body = t.text[1:].strip()
            word, _, rest = body.partition(" ")
            if "\t" in word:
                word, _, rest2 = word.partition("\t")
                rest = rest2 + " " + rest
            rest = rest.strip()
            if word in ("ifdef", "ifndef"):
                defined = rest.split()[0] in self.macros if rest else False
                cond.append([defined if word == "ifdef" else not defined, False])
                continue
            if word == "else":
                if not cond or cond[-1][1]:
                    raise MqlError(t.file, t.line, "#else without #ifdef")
                cond[-1] = [not cond[-1][0], True]
                continue
            if word == "endif":
                if not cond:
                    raise MqlError(t.file, t.line, "#endif without #ifdef")
                cond.pop()
                continue
            if not active():
                continue
            self.flush(pending)
            pending = []
            if word == "include":
                self.include_file(self.resolve_include(t, rest), t)
            elif word == "define":
                self.define(t, rest)
            elif word == "undef":
                self.macros.pop(rest.strip(), None)
            elif word == "property":
                key, _, val = rest.partition(" ")
                self.result.properties[key.strip()] = val.strip()
            elif word == "import":
                self.import_directive(t, rest)
            elif word == "resource":
                raise MqlError(t.file, t.line, "#resource is not supported by ea/host")
            else:
                raise MqlError(t.file, t.line, f"unsupported preprocessor directive: {t.text}")
        if cond:
            raise MqlError(toks[-1].file, toks[-1].line, "#ifdef without #endif")
        self.flush(pending)

    def import_directive(self, t: Tok, rest: str) -> None:
        if self.in_import is not None:
            self.result.tokens.append(t.derive("import_end", ""))
            self.in_import = None
        if rest:
            if not (rest.startswith('"') and rest.endswith('"')):
                raise MqlError(t.file, t.line, f"bad #import {rest}")
            dll = rest[1:-1]
            self.result.tokens.append(t.derive("import_begin", dll))
            self.in_import = t

    def define(self, t: Tok, rest: str) -> None:
        toks = tokenize(rest, t.file)
        toks = [Tok(x.kind, x.text, t.file, t.line, x.col, x.value) for x in toks]
        if not toks or toks[0].kind != "id":
            raise MqlError(t.file, t.line, f"bad #define {rest}")
        name = toks[0].text
        params: list[str] | None = None
        body_start = 1
        # Function-like only when "(" follows the name with no space, as in C.
        if len(toks) > 1 and toks[1].text == "(" and rest[len(name):len(name) + 1] == "(":
            params = []
            j = 2
            while j < len(toks) and toks[j].text != ")":
                if toks[j].kind == "id":
                    params.append(toks[j].text)
                elif toks[j].text != ",":
                    raise MqlError(t.file, t.line, f"bad macro parameter list in #define {rest}")
                j += 1
            body_start = j + 1
        body = toks[body_start:]
        for b in body:
            if b.text in ("#", "##"):
                raise MqlError(t.file, t.line, "# and ## in macros are not supported by ea/host")
        self.macros[name] = Macro(name, params, body)

    # -- macro expansion ---------------------------------------------------------------------

    def flush(self, toks: list[Tok]) -> None:
        if toks:
            self.result.tokens.extend(self.expand(toks, frozenset()))

    def expand(self, toks: list[Tok], hidden: frozenset[str]) -> list[Tok]:
        out: list[Tok] = []
        i = 0
        while i < len(toks):
            t = toks[i]
            if t.kind != "id":
                out.append(t)
                i += 1
                continue
            special = self.builtin_macro(t)
            if special is not None:
                out.append(special)
                i += 1
                continue
            m = self.macros.get(t.text)
            if m is None or t.text in hidden:
                out.append(t)
                i += 1
                continue
            if m.params is None:
                body = [self.relocate(b, t) for b in m.body]
                out.extend(self.expand(body, hidden | {m.name}))
                i += 1
                continue
            if i + 1 >= len(toks) or toks[i + 1].text != "(":
                out.append(t)
                i += 1
                continue
            args, i = self.collect_args(toks, i + 1, t)
            if len(args) != len(m.params) and not (len(m.params) == 0 and args == [[]]):
                raise MqlError(t.file, t.line, f"macro {m.name} expects {len(m.params)} "
                               f"arguments, got {len(args)}")
            exp_args = {p: self.expand(a, hidden) for p, a in zip(m.params, args, strict=False)}
            body = []
            for b in m.body:
                if b.kind == "id" and b.text in exp_args:
                    body.extend(exp_args[b.text])
                else:
                    body.append(self.relocate(b, t))
            out.extend(self.expand(body, hidden | {m.name}))
        return out

    @staticmethod
    def relocate(b: Tok, at: Tok) -> Tok:
        # Expanded tokens report the place of use, like MetaEditor's error messages.
        return Tok(b.kind, b.text, at.file, at.line, at.col, b.value)

    @staticmethod
    def collect_args(toks: list[Tok], i: int, at: Tok) -> tuple[list[list[Tok]], int]:
        depth = 0
        args: list[list[Tok]] = [[]]
        j = i
        while j < len(toks):
            x = toks[j]
            if x.text in ("(", "[", "{"):
                depth += 1
                if depth == 1:
                    j += 1
                    continue
            elif x.text in (")", "]", "}"):
                depth -= 1
                if depth == 0:
                    return args, j + 1
            elif x.text == "," and depth == 1:
                args.append([])
                j += 1
                continue
            args[-1].append(x)
            j += 1
        raise MqlError(at.file, at.line, f"unterminated macro call {at.text}(")

    def builtin_macro(self, t: Tok) -> Tok | None:
        if t.text == "__LINE__":
            return t.derive("num", str(t.line))
        if t.text == "__FILE__":
            name = Path(t.file).name
            return t.derive("str", f'"{name}"', name)
        if t.text == "__PATH__":
            return t.derive("str", f'"{t.file}"', t.file)
        if t.text in ("__DATE__", "__DATETIME__"):
            # "Compilation time": the source's modification time, so the build cache still hits
            # until the file changes.
            try:
                now = int(Path(t.file).stat().st_mtime)
            except OSError:
                now = int(time.time())
            if t.text == "__DATE__":
                now -= now % 86400
            return t.derive("num", str(now))
        return None


def find_file(base: Path, rel: str) -> Path | None:
    """`base/rel` matched case-insensitively, as on the Windows file system MT4 runs on."""
    exact = base / rel
    if exact.is_file():
        return exact
    cur = base
    for part in [p for p in rel.split("/") if p and p != "."]:
        if part == "..":
            cur = cur.parent
            continue
        try:
            matches = [c for c in cur.iterdir() if c.name.lower() == part.lower()]
        except OSError:
            return None
        if not matches:
            return None
        cur = matches[0]
    return cur if cur.is_file() else None

