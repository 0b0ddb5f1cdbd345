// Print / Comment / Alert / StringFormat / PrintFormat / StringConcatenate: variadic builtins.
#pragma once

#include "array.hpp"

namespace mql {

// One StringFormat argument, typed the way printf needs it.
struct FmtArg {
  enum Kind { I, U, D, S } kind;
  long long i = 0;
  unsigned long long u = 0;
  double d = 0;
  std::u16string s;
  bool is_bool = false;
};

template <class T>
FmtArg fmt_arg(const T& v) {
  FmtArg a{FmtArg::I};
  if constexpr (std::is_same_v<T, mql4api::string>) {
    a.kind = FmtArg::S;
    a.s = v.s;
  } else if constexpr (std::is_same_v<T, bool>) {
    a.i = v ? 1 : 0;  // %d prints 1/0, %s prints true/false
    a.s = v ? u"true" : u"false";
    a.is_bool = true;
  } else if constexpr (std::is_floating_point_v<T>) {
    a.kind = FmtArg::D;
    a.d = static_cast<double>(v);
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    a.kind = FmtArg::U;
    a.u = static_cast<unsigned long long>(v);
    a.i = static_cast<long long>(v);
  } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
    a.i = static_cast<long long>(v);
    a.u = static_cast<unsigned long long>(a.i);
  } else if constexpr (std::is_convertible_v<T, mql4api::string>) {
    a.kind = FmtArg::S;
    a.s = mql4api::string(v).s;
  } else {
    static_assert(sizeof(T) == 0, "StringFormat: unsupported argument type");
  }
  return a;
}

std::u16string format(const std::u16string& fmt, const std::vector<FmtArg>& args);

void emit_log(const mql4api::string& s);
void emit_comment(const mql4api::string& s);
void emit_alert(const mql4api::string& s);

template <class T>
void append(std::u16string& out, const T& v) {
  if constexpr (std::is_same_v<T, mql4api::string>) out += v.s;
  else out += mql4api::string(v).s;
}

template <class... A>
mql4api::string concat(const A&... a) {
  std::u16string out;
  (append(out, a), ...);
  return mql4api::string(std::move(out));
}

}  // namespace mql

namespace mql4api {

template <class... A>
void Print(const A&... a) { mql::emit_log(mql::concat(a...)); }
template <class... A>
void Comment(const A&... a) { mql::emit_comment(mql::concat(a...)); }
template <class... A>
void Alert(const A&... a) { mql::emit_alert(mql::concat(a...)); }
template <class... A>
string StringConcatenate(const A&... a) { return mql::concat(a...); }
template <class... A>
string StringFormat(const string& fmt, const A&... a) {
  return string(mql::format(fmt.s, std::vector<mql::FmtArg>{mql::fmt_arg(a)...}));
}
template <class... A>
void PrintFormat(const string& fmt, const A&... a) {
  mql::emit_log(string(mql::format(fmt.s, std::vector<mql::FmtArg>{mql::fmt_arg(a)...})));
}

}  // namespace mql4api
