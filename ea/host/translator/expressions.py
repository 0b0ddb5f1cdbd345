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
            if t.text in ("new", "delete", "GetPointer", "CheckPointer") and prev != ".":
                raise self.err(t, f"'{t.text}': object pointers are not supported by ea/host")
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
