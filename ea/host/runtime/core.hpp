// Core of the MQL4 runtime: numeric types, critical runtime errors with source positions,
// NULL, last-error state. Namespaces: mql4api holds what MQL4 code sees; mql holds internals
// used by the generated code and the host.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mql4api {
typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long ulong;  // 64-bit on LP64 Linux, like MQL4's ulong
typedef long datetime;        // seconds since 1970, 8 bytes as in MQL4
typedef unsigned int color;
}  // namespace mql4api

namespace mql {

// Source position of an array access or division, for MT4-style critical error messages.
struct Loc {
  const char* file;
  int line;
  int col;
};

// Thrown when MT4 would stop the EA with a critical runtime error.
struct CriticalError : std::runtime_error {
  explicit CriticalError(const std::string& m) : std::runtime_error(m) {}
};
// Thrown by ExpertRemove()-like stops that are not errors.
struct StopRequest {};

[[noreturn]] void critical(const char* what, int loc);

struct Ix {
  long long i;
  int loc;
};
template <class T>
constexpr Ix ix(T v, int loc) {
  return Ix{static_cast<long long>(v), loc};
}

// Right operand of / and %: zero stops the EA ("zero divide"), as in MT4.
template <class T>
constexpr T dz(T v, int loc) {
  if (v == T(0)) critical("zero divide", loc);
  return v;
}

struct FixedSize {};
struct FixedInit {};
constexpr FixedSize fixed_size{};
constexpr FixedInit fixed_init{};

// Last error (MQL4 _LastError) lives here so every runtime module can set it.
extern int last_error;
inline void set_error(int e) { last_error = e; }
bool& stop_flag_ref();

}  // namespace mql

namespace mql4api {

// MQL4's NULL converts to 0 for numbers and to an empty string for strings.
struct NullT {
  template <class T, std::enable_if_t<std::is_arithmetic_v<T> || std::is_enum_v<T>, int> = 0>
  constexpr operator T() const { return T(0); }
};
constexpr NullT NULL_{};
template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
constexpr bool operator==(T a, NullT) { return a == T(0); }
template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
constexpr bool operator==(NullT, T a) { return a == T(0); }
template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
constexpr bool operator!=(T a, NullT) { return a != T(0); }
template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
constexpr bool operator!=(NullT, T a) { return a != T(0); }

}  // namespace mql4api
