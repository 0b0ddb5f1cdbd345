"""Reject C++-only constructs so the EA source stays valid MQL4.

g++ would happily compile `auto`, `std::`, lambdas and friends, and then the EA would fail in
MetaEditor on the trader's machine. Every finding names file:line and the offending text.

Decision on templates: MQL4 (build 600+) supports function and class templates with the same
`template<typename T>` syntax as C++, so they are allowed.
"""

from __future__ import annotations

from .lexer import MqlError, Tok

# Identifiers that are keywords or library names in C++ but mean nothing (or something else)
# in MQL4.
_CXX_ONLY = {
    "auto": "`auto` type deduction",
    "nullptr": "`nullptr` (use NULL)",
    "namespace": "namespaces",
    "using": "`using` declarations",
    "constexpr": "`constexpr`",
    "consteval": "`consteval`",
    "try": "exceptions (try)",
    "catch": "exceptions (catch)",
    "throw": "exceptions (throw)",
    "noexcept": "`noexcept`",
    "static_cast": "C++ casts (use (type)x)",
    "dynamic_cast": "C++ casts (use (type)x)",
    "reinterpret_cast": "C++ casts (use (type)x)",
    "const_cast": "C++ casts (use (type)x)",
    "decltype": "`decltype`",
    "typeid": "`typeid`",
    "mutable": "`mutable`",
    "volatile": "`volatile`",
    "register": "`register`",
    "unsigned": "`unsigned` (use uint/ushort/uchar/ulong)",
    "signed": "`signed`",
    "inline": "`inline`",
    "thread_local": "`thread_local`",
    "static_assert": "`static_assert`",
    "alignas": "`alignas`",
    "alignof": "`alignof`",
    "wchar_t": "`wchar_t` (use ushort)",
    "char16_t": "`char16_t` (use ushort)",
    "char32_t": "`char32_t`",
    "int64_t": "<cstdint> types (use long)",
    "int32_t": "<cstdint> types (use int)",
    "uint32_t": "<cstdint> types (use uint)",
    "uint64_t": "<cstdint> types (use ulong)",
    "uint8_t": "<cstdint> types (use uchar)",
    "size_t": "`size_t` (use int/uint)",
    "friend": "`friend`",
    "explicit": "`explicit`",
    "goto": "`goto`",
    "asm": "`asm`",
    "export": "`export`",
    "concept": "`concept`",
    "requires": "`requires`",
    "co_await": "coroutines",
    "co_return": "coroutines",
    "co_yield": "coroutines",
    "union": "`union` (not in MQL4)",
    "std": "the C++ standard library (std::)",
}

_BUILTIN_TYPES = {"void", "bool", "char", "uchar", "short", "ushort", "int", "uint", "long",
                  "ulong", "float", "double", "string", "datetime", "color"}

# Tokens after which `[` starts an expression, i.e. would be a lambda or attribute in C++.
_EXPR_START = {"=", "(", ",", "return", "{", ";", "?", ":", "&&", "||", "!", "+=", "-=", "["}


def lint(toks: list[Tok], class_names: set[str]) -> None:
    """Raise MqlError on the first C++-only construct found."""
    n = len(toks)
    for i, t in enumerate(toks):
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < n else None

        def bad(what: str, tok: Tok = t) -> MqlError:
            return MqlError(tok.file, tok.line, f"C++-only construct not allowed in MQL4: {what}"
                            f" (near '{tok.text}')")

        if t.kind == "id":
            if t.text in _CXX_ONLY and not (prev is not None and prev.text == "."):
                raise bad(_CXX_ONLY[t.text])
            if t.text in ("R", "u8", "u", "U", "L") and nxt is not None and nxt.kind in (
                    "str", "chr") and nxt.line == t.line and nxt.col == t.col + len(t.text):
                raise bad("prefixed/raw string literals")
            if t.text == "long" and nxt is not None and nxt.text == "long":
                raise bad("`long long` (MQL4 long is already 64-bit)")
            if t.text in _BUILTIN_TYPES and nxt is not None and nxt.text == "*" and i + 2 < n \
                    and toks[i + 2].kind == "id":
                raise bad("pointers to simple types (MQL4 has object pointers only)")
            if t.text == "new" and nxt is not None and nxt.text in _BUILTIN_TYPES:
                raise bad("`new` on a non-class type")
            if t.text == "delete" and nxt is not None and nxt.text == "[":
                raise bad("`delete[]`")
            if t.text == "enum" and nxt is not None and nxt.text in ("class", "struct"):
                raise bad("scoped enums (enum class)")
            if t.text == "for" and nxt is not None and nxt.text == "(":
                _check_range_for(toks, i + 1, bad)
        elif t.kind == "op":
            if t.text == "->":
                raise bad("`->` (MQL4 uses `.` on objects and pointers)")
            if t.text == "::" and prev is not None and prev.kind == "id" \
                    and prev.text not in class_names and prev.text not in ("return", "case"):
                raise bad(f"`{prev.text}::` scope (only Class:: and global :: exist in MQL4)")
            if t.text == "[" and (prev is None or prev.text in _EXPR_START
                                  or (prev.kind == "id" and prev.text in ("return",))):
                raise bad("lambdas / attributes")
            if t.text == "&&" and prev is not None and (
                    prev.text in _BUILTIN_TYPES or prev.text in class_names) \
                    and nxt is not None and nxt.kind == "id":
                raise bad("rvalue references")


def _check_range_for(toks: list[Tok], i: int, bad: object) -> None:
    depth = 0
    j = i
    saw_question = False
    while j < len(toks):
        x = toks[j].text
        if x in ("(", "[", "{"):
            depth += 1
        elif x in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return
        elif x == ";" and depth == 1:
            return
        elif x == "?":
            saw_question = True
        elif x == ":" and depth == 1 and not saw_question:
            raise bad("range-based for", toks[j])  # type: ignore[operator]
        j += 1
