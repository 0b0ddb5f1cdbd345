"""Translate preprocessed MQL4 tokens into C++17 for the runtime in ea/host/runtime.

g++ does most of the grammar work: MQL4 is close to C++. This module rewrites only what
differs, and parses just enough (declarations, parameter lists, struct bodies) to do that:

* arrays: `T a[]` / `T a[N]` / `T a[][M]` become `::mql::Array<...>` objects; `T &a[]`
  parameters become `::mql::Array<T>&`; `a[i]` becomes `a[::mql::ix(i, LOC)]` so an out of
  range index stops the EA with MT4's message and the source position;
* `x / y`, `x % y` check for zero (MT4 stops the EA on "zero divide");
* string literals become shared `string` constants (MQL4 strings are UTF-16 values, and
  `"a" + 1` must not be pointer arithmetic);
* globals are zero-initialised and (re)assigned in `__mql_reset()` so `restart_ea` re-runs
  their initialisers like MT4 reloading the program; `static` locals are hoisted for the same
  reason; `input`/`extern` variables take `--inputs` overrides;
* functions get prototypes up front (MQL4 allows calling a function defined further down);
* `#import` declarations become wrappers that call the runtime's DLL implementations.
"""

# Token lists are assembled by concatenation throughout; unpacking would not read better.
# ruff: noqa: RUF005
from __future__ import annotations

from dataclasses import dataclass, field

from .dll import KNOWN_DLLS, normalize_dll
from .emit import cxx_string_literal
from .expressions import ExpressionsMixin
from .lexer import MqlError, Tok

SPECIFIERS = {"static", "const", "input", "extern", "sinput", "virtual"}
ACCESS = {"public", "private", "protected"}
HANDLERS = {"OnInit", "OnDeinit", "OnTimer", "OnTick", "OnChartEvent", "init", "deinit", "start"}


@dataclass
class Declarator:
    name: Tok
    dims: list[list[Tok]]  # [] for scalars; an empty inner list is a dynamic dimension
    init: list[Tok] | None = None  # tokens after '='
    ctor: list[Tok] | None = None  # tokens inside (...) for `T x(args)`
    ref: bool = False
    ptr: bool = False  # `T *name`: an object pointer


@dataclass
class Param:
    text: list[Tok]
    default: list[Tok] | None
    name: str
    kind: str  # scalar | ref | array | string


@dataclass
class Function:
    ret: str
    name: str
    params: list[Param] = field(default_factory=list)


def signature_key(name: str, params: list[Param]) -> str:
    """Overloads differ by parameter types; names and defaults do not matter."""
    types = [" ".join(x.text for x in p.text if not (p.name and x.text == p.name)) for p in params]
    return name + "(" + ";".join(types) + ")"


class Translator(ExpressionsMixin):
    def __init__(self, toks: list[Tok]) -> None:
        super().__init__(toks)
        self.fwd: list[Tok] = []
        self.enums: list[Tok] = []
        self.protos: dict[str, list[Tok]] = {}
        self.body: list[Tok] = []
        self.handlers: dict[str, str] = {}  # handler name -> return type
        self.enum_names: dict[str, list[str]] = {}  # enum -> enumerator names

    # -- entry point ---------------------------------------------------------------------------

    def run(self) -> None:
        i = 0
        while i < self.n:
            t = self.toks[i]
            self.pre = []
            item: list[Tok] = []
            if t.kind == "import_begin":
                i = self.import_block(i, item)
            elif t.kind == "import_end" or t.text == ";":
                i += 1
            elif t.text in ("struct", "class") and self.text(i + 2) in ("{", ":", ";"):
                i = self.struct_def(i, item, top=True)
            elif t.text == "enum":
                i = self.enum_def(i, self.enums)
            elif t.text == "typedef":
                j = self.find(i, {";"})
                item.extend(self.expr(i, j + 1))
                i = j + 1
            elif t.text == "template":
                j = self.match_angle(i + 1)
                prefix = [x.derive("out", x.text) for x in self.toks[i:j + 1]]
                if self.text(j + 1) in ("struct", "class"):
                    item.extend(prefix)
                    i = self.struct_def(j + 1, item, top=True, prefix=prefix)
                else:
                    i = self.declaration(j + 1, item, "global", prefix)
            else:
                i = self.declaration(i, item, "global", [])
            self.body.extend(self.pre)
            self.body.extend(item)

    # -- declarations --------------------------------------------------------------------------

    def read_type(self, i: int) -> tuple[list[Tok], int]:
        t = self.tk(i)
        if not self.is_type(t):
            raise self.err(t, f"ea/host cannot translate this (expected a type): '{t.text}'")
        j = i + 1
        if self.text(j) == "<":
            j = self.match_angle(j) + 1
        typ = [x.derive("out", x.text) for x in self.toks[i:j]]
        return typ, j

    def ptr_type(self, typ: list[Tok], at: Tok) -> list[Tok]:
        return [at.derive("out", "::mql::Ptr<")] + typ + [at.derive("out", ">")]

    def declaration(self, i: int, buf: list[Tok], ctx: str, prefix: list[Tok],
                    cls: str = "") -> int:
        start = self.tk(i)
        specs: list[str] = []
        while self.text(i) in SPECIFIERS:
            specs.append(self.text(i))
            i += 1
        t = self.tk(i)
        # constructor / destructor inside a class, or Class::method out of class
        if ctx == "member" and ((t.text == cls and self.text(i + 1) == "(")
                                or (t.text == "~" and self.text(i + 1) == cls)):
            name_end = i + (2 if t.text == "~" else 1)
            return self.function(i, [], self.toks[i:name_end], name_end, buf, ctx, prefix, specs)
        if t.kind == "id" and self.text(i + 1) == "::" and self.text(i + 3) == "(":
            return self.function(i, [], self.toks[i:i + 3], i + 3, buf, ctx, prefix, specs)
        if t.kind == "id" and self.text(i + 1) == "::" and self.text(i + 2) == "~":
            return self.function(i, [], self.toks[i:i + 4], i + 4, buf, ctx, prefix, specs)
        typ, j = self.read_type(i)
        if self.text(j) == "*" and self.tk(j + 1).kind == "id" and self.text(j + 2) in ("(", "::"):
            typ = self.ptr_type(typ, self.tk(j))  # function returning an object pointer
            self.ptr_names.add(self.text(j + 1) if self.text(j + 2) == "(" else self.text(j + 3))
            j += 1
        ref = False
        if self.text(j) == "&":
            ref = True
            j += 1
        nt = self.tk(j)
        if nt.text == "operator":
            k = j + 1
            k = k + 2 if self.text(k) in ("(", "[") else k + 1
            if self.text(k) != "(":
                raise self.err(nt, "unsupported operator declaration")
            rtyp = typ + ([nt.derive("out", "&")] if ref else [])
            return self.function(j, rtyp, self.toks[j:k], k, buf, ctx, prefix, specs)
        if nt.kind == "id" and self.text(j + 1) == "::" and self.text(j + 3) == "(":
            rtyp = typ + ([nt.derive("out", "&")] if ref else [])
            return self.function(j, rtyp, self.toks[j:j + 3], j + 3, buf, ctx, prefix, specs)
        if nt.kind == "id" and self.text(j + 1) == "::":
            return self.static_member_def(i, typ, j, buf)
        if nt.kind != "id" and nt.text != "*":
            raise self.err(nt, f"ea/host cannot translate this declaration near '{nt.text}'")
        if self.text(j + 1) == "(" and not self.looks_like_ctor_call(j + 1, ctx):
            rtyp = typ + ([nt.derive("out", "&")] if ref else [])
            return self.function(j, rtyp, [nt], j + 1, buf, ctx, prefix, specs)
        if prefix:
            raise self.err(start, "templates are supported for functions and classes only")
        end = self.find(i, {";"})
        decls = self.declarators(j, end)
        if ctx == "global":
            self.global_vars(specs, typ, decls, buf)
        elif ctx == "member":
            self.member_vars(specs, typ, decls, buf)
        else:
            raise AssertionError(ctx)
        return end + 1

    def static_member_def(self, start: int, typ: list[Tok], j: int, buf: list[Tok]) -> int:
        """`int CFoo::s_count = 0;`: defined once; re-assigned when the program reloads."""
        end = self.find(j, {";"})
        name = [x.derive("out", x.text) for x in self.toks[j:j + 3]]
        if self.text(j + 3) == "[":
            raise self.err(self.tk(j), "ea/host does not support static array members")
        buf.extend(typ + name + [self.tk(j).derive("out", "{"), self.tk(j).derive("out", "}"),
                                 self.tk(end).derive("out", ";")])
        init = self.expr(j + 4, end) if self.text(j + 3) == "=" else [
            self.tk(j).derive("out", "{}")]
        self.reset.extend(name + [self.tk(j).derive("out", "=")] + init
                          + [self.tk(end).derive("out", ";")])
        del start
        return end + 1

    def looks_like_ctor_call(self, i: int, ctx: str) -> bool:
        """`CFoo obj(1, 2);` declares an object; `int f(int a)` declares a function."""
        if ctx == "member":
            return False
        close = self.match(i)
        if self.text(close + 1) in ("{", "const") or self.text(i + 1) == ")":
            return False
        if self.text(close + 1) == ";":
            first = self.tk(i + 1)
            return not (self.is_type(first) or first.text == "const")
        return False

    def declarators(self, i: int, end: int) -> list[Declarator]:
        out: list[Declarator] = []
        while i < end:
            ref = False
            if self.text(i) == "&":
                ref = True
                i += 1
            ptr = False
            if self.text(i) == "*":
                ptr = True
                i += 1
            name = self.tk(i)
            if name.kind != "id":
                raise self.err(name, f"ea/host cannot translate declaration near '{name.text}'")
            i += 1
            d = Declarator(name, [], ref=ref, ptr=ptr)
            if ptr:
                self.ptr_names.add(name.text)
            while self.text(i) == "[":
                close = self.match(i)
                d.dims.append(self.toks[i + 1:close])
                i = close + 1
            nxt = self.find(i, {","}, end)
            if self.text(i) == "=":
                d.init = self.toks[i + 1:nxt]
            elif self.text(i) == "(":
                close = self.match(i)
                d.ctor = self.toks[i + 1:close]
            elif i != nxt:
                raise self.err(self.tk(i), f"ea/host cannot translate declaration near "
                               f"'{self.text(i)}'")
            out.append(d)
            i = nxt + 1
        return out

    def array_type(self, typ: list[Tok], dims: list[list[Tok]], at: Tok) -> list[Tok]:
        inner = list(typ)
        for dim in reversed(dims[1:]):
            if not dim:
                raise self.err(at, "only the first array dimension may be dynamic")
            inner = ([at.derive("out", "::mql::Row<")] + inner + [at.derive("out", ",")]
                     + self.expr_list(dim) + [at.derive("out", ">")])
        return [at.derive("out", "::mql::Array<")] + inner + [at.derive("out", ">")]

    def array_ctor(self, d: Declarator, at: Tok) -> list[Tok]:
        """Constructor arguments (inside braces) for an array declarator."""
        size = self.expr_list(d.dims[0]) if d.dims[0] else [at.derive("out", "-1")]
        if d.init is not None:
            if not d.init or d.init[0].text != "{":
                raise self.err(at, "array initializer must be a {...} list")
            return ([at.derive("out", "::mql::fixed_init,")] + size
                    + [at.derive("out", ",")] + self.expr_list(d.init))
        if d.dims[0]:
            return [at.derive("out", "::mql::fixed_size,")] + size
        return []

    def decl_tokens(self, specs: list[str], typ: list[Tok], d: Declarator,
                    with_init: bool, name: str | None = None) -> list[Tok]:
        at = d.name
        if d.ptr:
            typ = self.ptr_type(typ, at)
        res = [at.derive("out", s) for s in specs]
        nm = at.derive("out", name or at.text)
        if d.dims:
            res += self.array_type(typ, d.dims, at) + [nm, at.derive("out", "{")]
            ctor = self.array_ctor(d, at) if with_init else self.array_ctor(
                Declarator(d.name, d.dims), at)
            res += ctor + [at.derive("out", "}")]
            return res
        res += typ + ([at.derive("out", "&")] if d.ref else []) + [nm]
        if with_init and d.init is not None:
            res += [at.derive("out", "=")] + self.expr_list(d.init)
        elif with_init and d.ctor is not None:
            res += [at.derive("out", "(")] + self.expr_list(d.ctor) + [at.derive("out", ")")]
        else:
            res += [at.derive("out", "{"), at.derive("out", "}")]
        return res

    def reset_tokens(self, typ: list[Tok], d: Declarator, name: str) -> list[Tok]:
        """`name = <initial value>;` run at program (re)load."""
        at = d.name
        if d.ptr:
            typ = self.ptr_type(typ, at)
        res = [at.derive("out", name), at.derive("out", "=")]
        if d.dims:
            res += self.array_type(typ, d.dims, at) + [at.derive("out", "{")]
            res += self.array_ctor(d, at) + [at.derive("out", "}")]
        elif d.init is not None and d.init and d.init[0].text == "{":
            res += typ + self.expr_list(d.init)
        elif d.init is not None:
            res += self.expr_list(d.init)
        elif d.ctor is not None:
            res += typ + [at.derive("out", "(")] + self.expr_list(d.ctor) + [at.derive("out", ")")]
        else:
            res += typ + [at.derive("out", "{"), at.derive("out", "}")]
        res.append(at.derive("out", ";"))
        return res

    def global_vars(self, specs: list[str], typ: list[Tok], decls: list[Declarator],
                    buf: list[Tok]) -> None:
        is_input = any(s in ("input", "extern", "sinput") for s in specs)
        if "const" in specs and not is_input:
            for d in decls:
                buf.extend(self.decl_tokens(["const"], typ, d, True) + [d.name.derive("out", ";")])
            return
        read_only = any(s in ("input", "sinput") for s in specs)
        for d in decls:
            if d.ref:
                raise self.err(d.name, "reference variables are not MQL4")
            # `input` variables are constants in MQL4 ("constant cannot be modified"): the EA
            # sees a const reference; only the host writes the storage behind it.
            store = f"__mql_in_{d.name.text}" if read_only else d.name.text
            buf.extend(self.decl_tokens([], typ, d, False, name=store)
                       + [d.name.derive("out", ";")])
            if read_only:
                if d.dims or d.ptr:
                    raise self.err(d.name, "input arrays/pointers are not MQL4")
                buf.extend([d.name.derive("out", "const"), *typ, d.name.derive("out", "&"),
                            d.name.derive("out", d.name.text), d.name.derive("out", "="),
                            d.name.derive("out", store), d.name.derive("out", ";")])
            self.reset.extend(self.reset_tokens(typ, d, store))
            if is_input:
                apply = [d.name.derive("out", x) for x in (
                    "::mql::apply_input", "(", cxx_string_literal(d.name.text, narrow=True), ",",
                    store, ")", ";")]
                self.reset.extend(apply)
                self.inputs.extend(apply)

    def member_vars(self, specs: list[str], typ: list[Tok], decls: list[Declarator],
                    buf: list[Tok]) -> None:
        for d in decls:
            if "static" in specs:
                buf.extend(self.decl_tokens(specs, typ, d, False)[:-2]
                           + [d.name.derive("out", ";")])
                continue
            buf.extend(self.decl_tokens([s for s in specs if s == "const"], typ, d,
                                        d.init is not None) + [d.name.derive("out", ";")])

    # -- functions -----------------------------------------------------------------------------

    def params(self, i: int) -> tuple[list[Param], int]:
        close = self.match(i)
        res: list[Param] = []
        j = i + 1
        if self.text(j) == "void" and self.text(j + 1) == ")":
            return res, close
        while j < close:
            end = self.find(j, {","}, close)
            res.append(self.param(j, end))
            j = end + 1
        return res, close

    def param(self, i: int, end: int) -> Param:
        at = self.tk(i)
        out: list[Tok] = []
        const = False
        if self.text(i) == "const":
            const = True
            out.append(at.derive("out", "const"))
            i += 1
        typ, i = self.read_type(i)
        ptr = False
        if self.text(i) == "*":
            ptr = True
            typ = self.ptr_type(typ, self.tk(i))
            i += 1
        ref = False
        if self.text(i) == "&":
            ref = True
            i += 1
        name = ""
        if i < end and self.tk(i).kind == "id":
            name = self.text(i)
            i += 1
            if ptr:
                self.ptr_names.add(name)
        dims: list[list[Tok]] = []
        while i < end and self.text(i) == "[":
            close = self.match(i)
            dims.append(self.toks[i + 1:close])
            i = close + 1
        default = None
        if i < end and self.text(i) == "=":
            default = self.expr(i + 1, end)
            i = end
        if i != end:
            raise self.err(self.tk(i), f"ea/host cannot translate parameter near '{self.text(i)}'")
        # MQL4: "Arrays of any type and data of the structure type are always passed by
        # reference"; MetaEditor rejects such parameters declared without '&'.
        if dims and not ref:
            raise self.err(at, f"'{name}' - arrays are passed by reference only (write &)")
        if not ref and not dims and not ptr and typ[-1].text in self.struct_names:
            raise self.err(at, f"'{name}' - objects are passed by reference only (write &)")
        if (ref or dims) and default is not None:
            # MQL4: "Parameters passed by reference can't be initialized by default values."
            raise self.err(at, f"'{name}' - reference parameters cannot have default values")
        if dims:
            out += self.array_type(typ, dims, at) + [at.derive("out", "&")]
            kind = "array"
        else:
            out += typ + ([at.derive("out", "&")] if ref else [])
            kind = "ref" if ref else ("string" if typ[-1].text == "string" else "scalar")
            if typ[-1].text in ("double", "float") and not ref:
                kind = "float"
        del const
        if name:
            out.append(at.derive("out", name))
        return Param(out, default, name, kind)

    def function(self, name_start: int, rtyp: list[Tok], name_toks: list[Tok], lp: int,
                 buf: list[Tok], ctx: str, prefix: list[Tok], specs: list[str]) -> int:
        at = self.tk(name_start)
        params, rp = self.params(lp)
        j = rp + 1
        trailing: list[Tok] = []
        while self.text(j) in ("const", "override", "final"):
            trailing.append(self.tk(j).derive("out", self.text(j)))
            j += 1
        name = "".join(t.text for t in name_toks)
        spec_toks = [at.derive("out", s) for s in specs if s in ("static", "virtual", "const")]
        head = prefix + spec_toks + rtyp + [t.derive("out", t.text) for t in name_toks]

        def plist(with_defaults: bool) -> list[Tok]:
            res = [at.derive("out", "(")]
            for k, p in enumerate(params):
                if k:
                    res.append(at.derive("out", ","))
                res += p.text
                if with_defaults and p.default is not None:
                    res += [at.derive("out", "=")] + p.default
            return res + [at.derive("out", ")")] + trailing

        top_free = ctx == "global" and "::" not in name
        if top_free:
            key = signature_key(name, params)
            if key not in self.protos or any(p.default is not None for p in params):
                self.protos[key] = head + plist(True) + [at.derive("out", ";")]
            if name in HANDLERS:
                self.handlers[name] = rtyp[-1].text if rtyp else "void"
        if self.text(j) == ";":
            if not top_free:
                buf.extend(head + plist(True) + [at.derive("out", ";")])
            return j + 1
        if self.text(j) == "=" and self.text(j + 1) == "0":  # pure virtual
            buf.extend(head + plist(True) + [at.derive("out", x) for x in ("=", "0", ";")])
            return self.find(j, {";"}) + 1
        buf.extend(head + plist(not top_free))
        if self.text(j) == ":":  # constructor initializer list
            lb = self.find(j, {"{"})
            buf.extend(self.expr(j, lb))
            j = lb
        if self.text(j) != "{":
            raise self.err(self.tk(j), f"ea/host expected a function body near '{self.text(j)}'")
        saved = self.func_name
        self.func_name = name.replace("::", "_").replace("~", "D")
        self.scopes.append({p.name: p.name for p in params if p.name})
        sub, j = self.block(j)
        self.scopes.pop()
        self.func_name = saved
        buf.extend(sub)
        return j

    # -- structs and enums ---------------------------------------------------------------------

    def struct_def(self, i: int, buf: list[Tok], top: bool, prefix: list[Tok] | None = None
                   ) -> int:
        kw = self.tk(i)
        name = self.tk(i + 1)
        # Forward declarations let prototypes and earlier code name every program type.
        fwd = (prefix or []) + [kw.derive("out", kw.text), name.derive("out", name.text),
                                kw.derive("out", ";")]
        if self.text(i + 2) == ";":
            if top:
                self.fwd.extend(fwd)
            return i + 3
        lb = self.find(i, {"{"})
        if top:
            self.fwd.extend(fwd)
        buf.extend(x.derive("out", x.text) for x in self.toks[i:lb])
        buf.append(self.tk(lb).derive("out", "{"))
        end = self.match(lb)
        k = lb + 1
        while k < end:
            t = self.tk(k)
            if t.text in ACCESS and self.text(k + 1) == ":":
                buf.extend([t.derive("out", t.text), t.derive("out", ":")])
                k += 2
            elif t.text == ";":
                k += 1
            elif t.text in ("struct", "class") and self.text(k + 2) in ("{", ":", ";"):
                k = self.struct_def(k, buf, top=False)
            elif t.text == "enum":
                k = self.enum_def(k, buf)
            elif t.text == "template":
                j = self.match_angle(k + 1)
                prefix = [x.derive("out", x.text) for x in self.toks[k:j + 1]]
                k = self.declaration(j + 1, buf, "member", prefix, name.text)
            else:
                k = self.declaration(k, buf, "member", [], name.text)
        buf.append(self.tk(end).derive("out", "}"))
        if self.text(end + 1) != ";":
            raise self.err(self.tk(end), "expected ';' after struct/class definition")
        buf.append(self.tk(end).derive("out", ";"))
        return end + 2

    def enum_def(self, i: int, buf: list[Tok]) -> int:
        lb = self.find(i, {"{"})
        end = self.match(lb)
        head = [x.derive("out", x.text) for x in self.toks[i:lb]]
        buf.extend(head + [self.tk(lb).derive("out", ":"), self.tk(lb).derive("out", "int")])
        buf.extend(self.expr(lb, end + 1, divcheck=False))
        if self.text(end + 1) != ";":
            raise self.err(self.tk(end), "expected ';' after enum")
        name = self.tk(i + 1)
        if buf is self.enums and name.kind == "id":
            # Enumerator names for EnumToString(): identifiers at depth 0 before , = or }.
            names, k = [], lb + 1
            while k < end:
                if self.tk(k).kind == "id" and self.text(k + 1) in (",", "=", "}"):
                    names.append(self.text(k))
                k = self.find(k, {","}, end) + 1
            self.enum_names[name.text] = names
        buf.append(self.tk(end).derive("out", ";"))
        return end + 2

    # -- imports -------------------------------------------------------------------------------

    def import_block(self, i: int, buf: list[Tok]) -> int:
        begin = self.tk(i)
        dll = normalize_dll(begin.text)
        if dll not in KNOWN_DLLS:
            if begin.text.lower().endswith((".ex4", ".ex5")):
                raise self.err(begin, f'#import "{begin.text}": MQL libraries are not '
                               "supported by ea/host")
            raise self.err(begin, f'#import "{begin.text}": DLL not supported by ea/host '
                           f"(known: {', '.join(sorted(KNOWN_DLLS))})")
        i += 1
        while i < self.n and self.tk(i).kind != "import_end" and self.tk(i).kind != "import_begin":
            i = self.import_decl(i, dll, buf)
        if i < self.n and self.tk(i).kind == "import_end":
            i += 1
        return i

    def import_decl(self, i: int, dll: str, buf: list[Tok]) -> int:
        at = self.tk(i)
        typ, j = self.read_type(i)
        name = self.tk(j)
        if name.kind != "id" or self.text(j + 1) != "(":
            raise self.err(name, f"bad #import declaration near '{name.text}'")
        if name.text not in KNOWN_DLLS[dll]:
            raise self.err(name, f"{dll}.dll function '{name.text}' is not implemented by ea/host"
                           f" (implemented: {', '.join(sorted(KNOWN_DLLS[dll]))})")
        params, rp = self.params(j + 1)
        if self.text(rp + 1) != ";":
            raise self.err(name, "expected ';' after #import declaration")
        for k, p in enumerate(params):
            if not p.name:
                p.name = f"__p{k}"
                p.text.append(at.derive("out", p.name))
        ret = " ".join(x.text for x in typ)
        sig = [at.derive("out", x.text) for x in typ] + [name.derive("out", name.text),
                                                        at.derive("out", "(")]
        with_def = list(sig)
        for k, p in enumerate(params):
            if k:
                sig.append(at.derive("out", ","))
                with_def.append(at.derive("out", ","))
            sig += p.text
            with_def += p.text + ([at.derive("out", "=")] + p.default if p.default else [])
        sig.append(at.derive("out", ")"))
        with_def += [at.derive("out", ")"), at.derive("out", ";")]
        key = signature_key(name.text, params)
        self.protos[key] = with_def
        conv = {"array": "darg_arr", "ref": "darg_ref", "string": "darg_str",
                "float": "darg_f", "scalar": "darg_i"}
        args = ", ".join(f"::mql::{conv[p.kind]}({p.name})" for p in params)
        call = (f"::mql::DllArg __a[] = {{ {args} }}; " if params else
                "::mql::DllArg* __a = nullptr; ")
        call += f"auto __r = ::mql::dll::{dll}::{name.text}(__a, {len(params)}); "
        call += "(void)__r;" if ret == "void" else f"return ({ret})__r;"
        buf.extend(sig + [at.derive("out", "{"), at.derive("out", call), at.derive("out", "}")])
        return rp + 2

    # -- statements ----------------------------------------------------------------------------

    def is_local_decl(self, k: int) -> bool:
        j = k
        while self.text(j) in ("static", "const"):
            j += 1
        t = self.toks[j] if j < self.n else None
        if t is None or not self.is_type(t):
            return False
        j += 1
        if self.text(j) == "<":
            try:
                j = self.match_angle(j) + 1
            except MqlError:
                return False
        nxt = self.toks[j] if j < self.n else None
        if nxt is not None and nxt.text in ("*", "&") and j + 1 < self.n and \
                self.toks[j + 1].kind == "id" and self.text(j + 2) in ("=", ";", ",", "["):
            return True
        return nxt is not None and nxt.kind == "id"

    def block(self, i: int, switch_body: bool = False) -> tuple[list[Tok], int]:
        end = self.match(i)
        out = [self.tk(i).derive("out", "{")]
        self.scopes.append({})
        k = i + 1
        stmt_start = True
        case_open = False
        while k < end:
            t = self.toks[k]
            if switch_body and t.text in ("case", "default") and t.kind == "id":
                colon = self.find(k + 1, {":"}, end)
                if colon >= end:
                    raise self.err(t, f"'{t.text}' label without ':'")
                if case_open:
                    out.append(t.derive("out", "}"))
                out += self.expr(k, colon + 1) + [t.derive("out", "{")]
                case_open = True
                k = colon + 1
                stmt_start = True
                continue
            if t.text == "{" and t.kind == "op":
                sub, k = self.block(k)
                out += sub
                stmt_start = True
                continue
            if t.text == "switch" and self.text(k + 1) == "(":
                rp = self.match(k + 1)
                out += [t.derive("out", "switch")] + self.expr(k + 1, rp + 1)
                if self.text(rp + 1) != "{":
                    raise self.err(t, "switch without a { body }")
                sub, k = self.block(rp + 1, switch_body=True)
                out += sub
                stmt_start = True
                continue
            if t.text == "for" and self.text(k + 1) == "(":
                rp = self.match(k + 1)
                out += [t.derive("out", "for"), t.derive("out", "(")]
                k += 2
                if self.is_local_decl(k):
                    semi = self.find(k, {";"}, rp)
                    out += self.local_decl(k, semi, for_init=True)
                    k = semi
                out += self.expr(k, rp + 1)
                k = rp + 1
                stmt_start = True
                continue
            if stmt_start and self.is_local_decl(k):
                semi = self.find(k, {";"}, end)
                out += self.local_decl(k, semi, for_init=False)
                k = semi + 1
                continue
            stmt_start = t.text in (";", "}") or (t.text == ":" and t.kind == "op") \
                or t.text in ("else", "do")
            if t.text == ")":
                stmt_start = True  # after if(...) / while(...)
            sub, k = self.expr_item(k, end, True)
            out += sub
        if case_open:
            out.append(self.tk(end).derive("out", "}"))
        self.scopes.pop()
        out.append(self.tk(end).derive("out", "}"))
        return out, end + 1

    def local_decl(self, k: int, semi: int, for_init: bool) -> list[Tok]:
        specs: list[str] = []
        while self.text(k) in ("static", "const"):
            specs.append(self.text(k))
            k += 1
        typ, j = self.read_type(k)
        decls = self.declarators(j, semi)
        out: list[Tok] = []
        if "static" in specs and "const" not in specs:
            for d in decls:
                self.static_n += 1
                new = f"__mql_st{self.static_n}_{self.func_name}_{d.name.text}"
                self.pre.extend(self.decl_tokens([], typ, d, False, name=new)
                                + [d.name.derive("out", ";")])
                self.reset.extend(self.reset_tokens(typ, d, new))
                self.scopes[-1][d.name.text] = new
            return out
        for d in decls:
            self.scopes[-1][d.name.text] = d.name.text
        if for_init or not any(d.dims or d.ptr for d in decls):
            if any(d.dims for d in decls):
                raise self.err(decls[0].name, "arrays cannot be declared in a for(...) header")
            if any(d.ptr for d in decls):
                if not all(d.ptr for d in decls):
                    raise self.err(decls[0].name, "ea/host cannot mix pointers and objects in a "
                                   "for(...) header")
                typ = self.ptr_type(typ, decls[0].name)
            out += [typ[0].derive("out", s) for s in specs if s == "const"] + typ
            for n, d in enumerate(decls):
                if n:
                    out.append(d.name.derive("out", ","))
                out += self.decl_tokens([], [], Declarator(d.name, d.dims, d.init, d.ctor,
                                                           d.ref), True)
            if not for_init:  # in a for header the ';' is copied with the rest
                out.append(decls[-1].name.derive("out", ";"))
            return out
        for d in decls:
            out += self.decl_tokens([s for s in specs if s == "const"], typ, d, True)
            out.append(d.name.derive("out", ";"))
        return out
