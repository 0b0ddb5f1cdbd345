"""Expression rewriting: string/char/datetime literals, bounds-checked indexing, checked
division, NULL, `this.`, global `::`, renamed static locals."""

# Token lists are assembled by concatenation throughout; unpacking would not read better.
# ruff: noqa: RUF005
from __future__ import annotations

from .cursor import TokenCursor
from .lexer import Tok


class ExpressionsMixin(TokenCursor):
    def expr(self, i: int, end: int, divcheck: bool = True) -> list[Tok]:
        out: list[Tok] = []
        k = i
        while k < end:
            sub, k = self.expr_item(k, end, divcheck)
            out += sub
        return out

    def expr_list(self, toks: list[Tok]) -> list[Tok]:
        """Translate a token slice that is a copy from self.toks (same objects)."""
        if not toks:
            return []
        start = self.index_of(toks[0])
        return self.expr(start, start + len(toks))

    def index_of(self, tok: Tok) -> int:
        # Tokens are unique objects; find by identity starting near the cached position.
        idx = self._pos.get(id(tok))
        if idx is None:
            raise AssertionError("token not from this translation unit")
        return idx

    @property
    def _pos(self) -> dict[int, int]:
        cache = getattr(self, "_pos_cache", None)
        if cache is None:
            cache = {id(t): n for n, t in enumerate(self.toks)}
            self._pos_cache = cache
        return cache

    def rename(self, name: str) -> str:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return name

    def expr_item(self, k: int, end: int, divcheck: bool) -> tuple[list[Tok], int]:
        t = self.toks[k]
        prev = self.toks[k - 1].text if k else ""
        if t.kind == "str":
            j = k
            parts: list[str] = []
            while j < end and self.toks[j].kind == "str":
                parts.append(str(self.toks[j].value))
                j += 1
            return [t.derive("out", self.string_const("".join(parts)))], j
        if t.kind == "chr":
            return [t.derive("out", str(t.value))], k + 1
        if t.kind == "dt":
            return [t.derive("out", f"((datetime){t.value}LL)")], k + 1
        if t.kind == "clr":
            return [t.derive("out", f"((color){t.value})")], k + 1
        if t.kind == "id":
            if t.text == "new" and prev != ".":
                return self.new_expr(k, end)
            if t.text == "delete" and prev != ".":
                e = self.find(k + 1, {";", ","}, end)
                return ([t.derive("out", "::mql::del("), *self.expr(k + 1, e, divcheck),
                         t.derive("out", ")")], e)
            if t.text == "NULL":
                return [t.derive("out", "::mql4api::NULL_")], k + 1
            if t.text == "this" and self.text(k + 1) == ".":
                return [t.derive("out", "this->")], k + 2
            if t.text in ("__FUNCTION__", "__FUNCSIG__"):
                return [t.derive("out", "::mql4api::string(__func__)")], k + 1
            if prev in (".", "::", "->"):
                return [t.derive("out", t.text)], k + 1
            return [t.derive("out", self.rename(t.text))], k + 1
        if t.kind != "op":
            return [t.derive("out", t.text)], k + 1
        x = t.text
        if x == "::" and (not k or self.toks[k - 1].kind != "id"):
            return [t.derive("out", "::mqlea::")], k + 1
        if x == "[":
            close = self.match(k)
            inner = self.expr(k + 1, close, divcheck)
            return ([t.derive("out", "["), t.derive("out", "::mql::ix(")] + inner
                    + [t.derive("out", ","), t.derive("out", self.loc(t) + ")"),
                       t.derive("out", "]")], close + 1)
        if x == "." and self.pointer_base(k):
            # p.member on an object pointer: checked dereference (MT4: invalid pointer access)
            return [t.derive("out", f".get({self.loc(t)})->")], k + 1
        if x == "(" and k + 3 < end and self.is_type(self.toks[k + 1]) \
                and self.text(k + 2) == "*" and self.text(k + 3) == ")":
            e = self.unary_end(k + 4, end)
            return ([t.derive("out", f"::mql::ptr_cast<{self.text(k + 1)}>(")]
                    + self.expr(k + 4, e, divcheck)
                    + [t.derive("out", ","), t.derive("out", self.loc(t) + ")")], e)
        if x in ("(", "{"):
            close = self.match(k)
            return ([t.derive("out", x)] + self.expr(k + 1, close, divcheck)
                    + [self.toks[close].derive("out", self.toks[close].text)], close + 1)
        if divcheck and x in ("/", "%"):
            e = self.unary_end(k + 1, end)
            return ([t.derive("out", x), t.derive("out", "::mql::dz(")]
                    + self.expr(k + 1, e, divcheck)
                    + [t.derive("out", ","), t.derive("out", self.loc(t) + ")")], e)
        if divcheck and x in ("/=", "%="):
            e = self.find(k + 1, {",", ";", ")", "]", "}"}, end)
            return ([t.derive("out", x), t.derive("out", "::mql::dz((")]
                    + self.expr(k + 1, e, divcheck)
                    + [t.derive("out", "),"), t.derive("out", self.loc(t) + ")")], e)
        return [t.derive("out", x)], k + 1

    def unary_end(self, k: int, end: int) -> int:
        """End of the unary expression starting at k (the right operand of / or %)."""
        while k < end and self.text(k) in ("-", "+", "!", "~", "++", "--"):
            k += 1
        if k >= end:
            raise self.err(self.toks[k - 1], "expression expected after operator")
        if self.text(k) == "(" and k + 2 < end and self.is_type(self.toks[k + 1]) \
                and self.text(k + 2) == ")":
            return self.unary_end(k + 3, end)
        if self.text(k) == "::":
            k += 1
        if self.text(k) in ("(", "{"):
            k = self.match(k) + 1
        else:
            k += 1
        while k < end:
            x = self.text(k)
            if x in ("(", "["):
                k = self.match(k) + 1
            elif x in (".", "::"):
                k += 2
            elif x in ("++", "--"):
                k += 1
            else:
                break
        return k

    def string_const(self, value: str) -> str:
        idx = self.strings.setdefault(value, len(self.strings))
        return f"__mql_s[{idx}]"

    def pointer_base(self, k: int) -> bool:
        """Is the operand left of the `.` at k an object pointer? Looks at the name before it:
        `p.`, `arr[i].` (array of pointers), `Make().` (function returning a pointer)."""
        j = k - 1
        while j >= 0 and self.toks[j].text in (")", "]"):
            j = self.match_back(j) - 1
        # Pointer-ness is by name (members are collected like variables): a name declared as a
        # pointer somewhere and as an object elsewhere makes g++ fail, loudly.
        return j >= 0 and self.toks[j].kind == "id" and self.toks[j].text in self.ptr_names

    def match_back(self, j: int) -> int:
        """Index of the bracket opening the one closing at j."""
        close = self.toks[j].text
        opener = {")": "(", "]": "["}[close]
        depth = 0
        for i in range(j, -1, -1):
            x = self.toks[i].text
            if x == close:
                depth += 1
            elif x == opener:
                depth -= 1
                if depth == 0:
                    return i
        raise self.err(self.toks[j], f"unbalanced '{close}'")

    def new_expr(self, k: int, end: int) -> tuple[list[Tok], int]:
        """`new T(args)` -> `::mql::make_new<T>(args)` (tracked, so stale pointers are caught)."""
        t = self.toks[k]
        j = k + 1
        if not self.is_type(self.tk(j)):
            raise self.err(t, f"'new' must be followed by a class name, not '{self.text(j)}'")
        j += 1
        if self.text(j) == "<":
            j = self.match_angle(j) + 1
        typ = " ".join(x.text for x in self.toks[k + 1:j])
        args: list[Tok] = []
        if self.text(j) == "(":
            close = self.match(j)
            args = self.expr(j + 1, close)
            j = close + 1
        return ([t.derive("out", f"::mql::make_new<{typ}>(")] + args
                + [t.derive("out", ")")]), j
