"""Token cursor shared by the translator modules: bracket matching, type names, locations."""

from __future__ import annotations

from .lexer import MqlError, Tok

BUILTIN_TYPES = {"void", "bool", "char", "uchar", "short", "ushort", "int", "uint", "long",
                 "ulong", "float", "double", "string", "datetime", "color"}
RUNTIME_TYPES = {"MqlDateTime", "MqlTick"}
OPEN = {"(": ")", "[": "]", "{": "}"}

# Valid MQL4 identifiers that C++ reads as operators (alternative tokens) or that the C/C++
# headers define as macros: renamed consistently so the EA may use them as names.
RENAMED_IDS = {
    "and", "or", "not", "xor", "bitand", "bitor", "compl", "and_eq", "or_eq", "xor_eq",
    "not_eq", "errno", "stdin", "stdout", "stderr", "EOF", "assert", "BUFSIZ", "FILENAME_MAX",
    "RAND_MAX", "EXIT_SUCCESS", "EXIT_FAILURE", "CLOCKS_PER_SEC", "CHAR_BIT", "MB_CUR_MAX",
    "L_tmpnam", "TMP_MAX", "FOPEN_MAX", "offsetof", "setjmp", "alloca", "main",
}


class TokenCursor:
    """State and helpers over the preprocessed token list of one EA."""

    def __init__(self, toks: list[Tok]) -> None:
        toks = [t.derive("id", "__mql_id_" + t.text) if t.kind == "id" and t.text in RENAMED_IDS
                else t for t in toks]
        self.toks = toks
        self.n = len(toks)
        self.types: set[str] = set(BUILTIN_TYPES) | RUNTIME_TYPES
        self.class_names: set[str] = set()
        self.struct_names: set[str] = set()
        self.ptr_names: set[str] = set()  # variables, members, params, functions of pointer type
        self.collect_types()
        self.collect_pointer_names()
        self.pre: list[Tok] = []  # hoisted statics for the current top-level item
        self.reset: list[Tok] = []
        # Inputs only: a parameters change re-applies them while the other globals keep
        # their values (MT4 does not reload the program).
        self.inputs: list[Tok] = []
        self.locs: list[tuple[str, int, int]] = []
        self.strings: dict[str, int] = {}
        self.scopes: list[dict[str, str]] = []
        self.static_n = 0
        self.func_name = ""

    def err(self, t: Tok, msg: str) -> MqlError:
        return MqlError(t.file, t.line, msg)

    def tk(self, i: int) -> Tok:
        if i >= self.n:
            last = self.toks[-1] if self.toks else Tok("op", "", "<eof>", 0, 0)
            raise self.err(last, "unexpected end of file")
        return self.toks[i]

    def text(self, i: int) -> str:
        return self.toks[i].text if i < self.n else ""

    def match(self, i: int) -> int:
        """Index of the bracket closing the one at i."""
        t = self.tk(i)
        if t.text not in OPEN:
            raise self.err(t, f"ea/host cannot translate this: expected a bracket, got '{t.text}'")
        close = OPEN[t.text]
        depth = 0
        for j in range(i, self.n):
            x = self.toks[j].text
            if x in OPEN and self.toks[j].kind == "op":
                depth += 1
            elif x in (")", "]", "}") and self.toks[j].kind == "op":
                depth -= 1
                if depth == 0:
                    if x != close:
                        raise self.err(self.toks[j], f"mismatched '{x}'")
                    return j
        raise self.err(self.toks[i], f"unclosed '{self.toks[i].text}'")

    def match_angle(self, i: int) -> int:
        depth = 0
        for j in range(i, self.n):
            x = self.toks[j].text
            if x == "<":
                depth += 1
            elif x == ">":
                depth -= 1
            elif x == ">>":
                depth -= 2
            if depth <= 0 and x in (">", ">>"):
                return j
            if x in (";", "{"):
                break
        raise self.err(self.toks[i], "unclosed '<'")

    def find(self, i: int, stops: set[str], end: int | None = None) -> int:
        """First index >= i of a token in stops at bracket depth 0."""
        end = self.n if end is None else end
        j = i
        while j < end:
            x = self.toks[j].text
            if x in stops and self.toks[j].kind == "op":
                return j
            if x in OPEN and self.toks[j].kind == "op":
                j = self.match(j) + 1
                continue
            j += 1
        return end

    def loc(self, t: Tok) -> str:
        self.locs.append((t.file, t.line, t.col))
        return str(len(self.locs) - 1)

    def is_type(self, t: Tok) -> bool:
        return t.kind == "id" and (t.text in self.types or t.text.startswith("ENUM_"))

    def collect_types(self) -> None:
        toks = self.toks
        for i, t in enumerate(toks[:-1]):
            nxt = toks[i + 1]
            if t.text in ("struct", "class", "enum") and nxt.kind == "id":
                self.types.add(nxt.text)
                self.class_names.add(nxt.text)
                if t.text != "enum" and not (i and toks[i - 1].text in ("<", ",")):
                    self.struct_names.add(nxt.text)
            elif t.text == "typedef":
                j = i + 1
                while j < len(toks) and toks[j].text != ";":
                    j += 1
                # `typedef R (*Name)(...)` or `typedef T Name;`
                for k in range(i + 1, j):
                    if toks[k].text == "*" and toks[k + 1].kind == "id":
                        self.types.add(toks[k + 1].text)
                        break
                else:
                    self.types.add(toks[j - 1].text)
            elif (t.text == "typename" or (t.text == "class" and i and toks[i - 1].text in (
                    "<", ","))) and nxt.kind == "id":
                self.types.add(nxt.text)

    def collect_pointer_names(self) -> None:
        """Names declared as object pointers anywhere (`T *p`, `Box<int> *p`, `T *a, *b`).
        MQL4 uses `.` on pointers and objects alike; C++ needs `->` for the former. MQL4 has no
        unary `*`, so `type *name` and `, *name` only occur in declarations."""
        toks = self.toks
        for i in range(len(toks) - 2):
            if toks[i + 1].text != "*" or toks[i + 2].kind != "id":
                continue
            t = toks[i]
            if self.is_type(t) or t.text in (",", ">"):
                self.ptr_names.add(toks[i + 2].text)

    def out(self, buf: list[Tok], at: Tok, *texts: str) -> None:
        for s in texts:
            buf.append(at.derive("out", s))
