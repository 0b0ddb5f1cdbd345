"""Translator, lint and build driver: what fails must fail loudly with file:line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ea.host.translator.build import BuildError, build, translate
from ea.host.translator.dll import KNOWN_DLLS
from ea.host.translator.lexer import MqlError

from .conftest import REPO, SAMPLES

pytestmark = pytest.mark.timeout(120)


def write_ea(root: Path, body: str, name: str = "T.mq4") -> Path:
    path = root / "MQL4" / "Experts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


CXX_ONLY = [
    ("auto x = 1;", "auto"),
    ("std::string s;", "std"),
    ("int *p = nullptr;", "nullptr"),
    ("int f() { int a[3]; return [](int x){ return x; }(1); }", "lambda"),
    ("struct S { int v; }; int f(S s) { return s->v; }", "->"),
    ("namespace n { int x; }", "namespace"),
    ("int *p = new int[3];", "new"),
    ("constexpr int K = 3;", "constexpr"),
    ("using T = int;", "using"),
    ("int f() { int a[3]; for (int x : a) {} return 0; }", "range-based for"),
    ("int f() { try { return 1; } catch (...) { return 0; } }", "try"),
    ("long long big = 1;", "long long"),
    ("enum class E { A };", "enum class"),
    ('string s = R"(raw)";', "raw string"),
    ("int f(double d) { return static_cast<int>(d); }", "static_cast"),
    ("unsigned int u = 1;", "unsigned"),
    ("struct S { int v; }; int g = foo::bar;", "foo::"),
]


@pytest.mark.parametrize(("code", "what"), CXX_ONLY)
def test_lint_rejects_cxx_only(tmp_path: Path, code: str, what: str) -> None:
    ea = write_ea(tmp_path, f"#property strict\n\n{code}\nint OnInit() {{ return 0; }}\n")
    with pytest.raises(MqlError) as info:
        translate(ea, None)
    msg = str(info.value)
    assert msg.startswith(f"{ea.resolve()}:3: "), msg
    assert "C++-only construct" in msg or what in msg, msg


def test_templates_are_allowed(tmp_path: Path) -> None:
    ea = write_ea(tmp_path, "template<typename T> T Max2(T a, T b) { return a > b ? a : b; }\n"
                  "int OnInit() { return Max2(1, 2) - 2; }\n")
    assert "Max2" in translate(ea, None)


def test_std_header_include_rejected(tmp_path: Path) -> None:
    ea = write_ea(tmp_path, "#include <vector>\nint OnInit() { return 0; }\n")
    with pytest.raises(MqlError, match=r"T\.mq4:1: include file <vector> is a C\+\+ standard"):
        translate(ea, None)


def test_unknown_dll_and_function_fail_naming_them(tmp_path: Path) -> None:
    ea = write_ea(tmp_path, '#import "user32.dll"\nint MessageBoxW(int h, string t, string c, '
                  'int f);\n#import\nint OnInit() { return 0; }\n')
    with pytest.raises(BuildError, match=r'T\.mq4:1: #import "user32\.dll": DLL not supported'):
        build(ea)
    ea = write_ea(tmp_path, '#import "ws2_32.dll"\nint gethostbyname(uchar &name[]);\n#import\n'
                  "int OnInit() { return 0; }\n")
    with pytest.raises(BuildError, match=r"T\.mq4:2: ws2_32\.dll function 'gethostbyname' is not"):
        build(ea)


def test_pointers_to_simple_types_fail(tmp_path: Path) -> None:
    ea = write_ea(tmp_path, "int OnInit() { return 0; }\nint *g_p;\n")
    with pytest.raises(MqlError, match=r"T\.mq4:2: .*pointers to simple types"):
        translate(ea, None)


def test_includes_macros_and_conditionals(tmp_path: Path) -> None:
    src_inc = tmp_path / "MQL4" / "Include" / "Lib"
    src_inc.mkdir(parents=True)
    (src_inc / "a.mqh").write_text('#include "b.mqh"\n#define TWICE(x) ((x) * 2)\n'
                                   'int FromSource() { return TWICE(B_VALUE); }\n')
    (src_inc / "b.mqh").write_text("#define B_VALUE 21\n")
    sandbox = tmp_path / "sandbox"
    sb_inc = sandbox / "MQL4" / "Include" / "Lib"
    sb_inc.mkdir(parents=True)
    ea = write_ea(tmp_path, "#include <Lib/a.mqh>\n#include <Lib/a.mqh>\n#ifdef __MQL4__\n"
                  "int Which() { return 4; }\n#else\nint Which() { return 5; }\n#endif\n"
                  "int OnInit() { return FromSource() - 42; }\n")
    cpp = translate(ea, sandbox)
    assert "( ( 21 ) * 2 )" in cpp and "return 5" not in cpp
    # The sandbox's MQL4/Include wins over the source tree's.
    (sb_inc / "a.mqh").write_text("int FromSource() { return 42; }\n")
    cpp = translate(ea, sandbox)
    # (Not `"21" not in cpp`: #line directives carry the temp path, which may hold a 21.)
    assert "return 42" in cpp and "( ( 21 ) * 2 )" not in cpp


def test_compile_errors_map_to_mq4_lines(tmp_path: Path) -> None:
    ea = write_ea(tmp_path, "#property strict\n\nint OnInit()\n  {\n   int x = undefined_thing;\n"
                  "   return x;\n  }\n", name="Broken.mq4")
    with pytest.raises(BuildError) as info:
        build(ea)
    assert f"{ea.resolve()}:5:" in str(info.value) and "undefined_thing" in str(info.value)


def test_cache_hit_is_fast(binaries: dict[str, Path]) -> None:
    t0 = time.monotonic()
    res = build(SAMPLES / "StringsArrays.mq4")
    assert res.cached and res.binary == binaries["StringsArrays"]
    assert time.monotonic() - t0 < 2.0


def test_dll_table_matches_runtime() -> None:
    header = (REPO / "ea" / "host" / "runtime" / "dll.hpp").read_text()
    sources = (REPO / "ea" / "host" / "runtime" / "sockets.cpp").read_text()
    for dll, names in KNOWN_DLLS.items():
        assert f"namespace {dll}" in header
        for name in names:
            assert f"MQL_DLL_FN({name})" in header, name
            assert f"long long {name}(" in sources, name


def test_cxx_operator_words_and_libc_macros_are_plain_names(tmp_path: Path) -> None:
    ea = write_ea(tmp_path, "int errno = 3;\nbool not(bool x) { return !x; }\n"
                  "int OnInit() { int and = 1; return errno + and - 4 + not(true); }\n")
    cpp = translate(ea, None)
    assert "__mql_id_errno" in cpp and "__mql_id_not" in cpp and " errno " not in cpp


@pytest.mark.parametrize("param", ["int a[]", "Pair p", "const Pair p", "const string &s = \"\""])
def test_by_value_arrays_and_structs_rejected(tmp_path: Path, param: str) -> None:
    ea = write_ea(tmp_path, "struct Pair { int a; };\n"
                  f"int F({param}) {{ return 0; }}\nint OnInit() {{ return 0; }}\n")
    with pytest.raises(MqlError, match=r"T\.mq4:2: '\w' - ((arrays|objects) are passed by "
                       r"reference only|reference parameters cannot have default values)"):
        translate(ea, None)


def test_utf16_crlf_source_and_case_insensitive_includes(tmp_path: Path) -> None:
    inc = tmp_path / "MQL4" / "Include" / "MyLib"
    inc.mkdir(parents=True)
    (inc / "Helpers.mqh").write_text("int Helper() { return 7; }\r\n")
    src = ('#include <mylib/HELPERS.mqh>\r\nstring g_s = "\u20ac";\r\n'
           "int OnInit() { return Helper() - 7; }\r\n")
    ea = tmp_path / "MQL4" / "Experts" / "U.mq4"
    ea.parent.mkdir(parents=True)
    ea.write_bytes(b"\xff\xfe" + src.encode("utf-16-le"))
    cpp = translate(ea, None)
    assert "return 7" in cpp and "\\U000020AC" in cpp


@pytest.mark.parametrize("code", [
    "int OnInit() { return 0; ",
    "datetime d = D'202*4';",
    "color c = C'1,0';",
    "int f(int a[) { return 0; }",
    "struct S { int a; ",
    "int g = (1 + ;",
    "Box<int > x;",
    '#import "ws2_32.dll"\nint socket(int a, int b',
    "int OnInit() { switch(1) { case 1 } return 0; }",
])
def test_broken_source_fails_with_file_and_line(tmp_path: Path, code: str) -> None:
    """Broken or truncated source must give a located MqlError, never a Python crash."""
    ea = write_ea(tmp_path, code + "\n")
    with pytest.raises(MqlError, match=r"T\.mq4:\d+: "):
        translate(ea, None)


def test_assigning_an_input_fails_like_metaeditor(tmp_path: Path) -> None:
    """MQL4 inputs are constants ("constant cannot be modified"); extern ones are not."""
    ea = write_ea(tmp_path, "input int Port = 1;\nextern int Other = 1;\n"
                  "int OnInit() { Other = 3; Port = 2; return 0; }\n", name="In.mq4")
    with pytest.raises(BuildError) as info:
        build(ea)
    assert f"{ea.resolve()}:3:" in str(info.value) and "read-only" in str(info.value)
