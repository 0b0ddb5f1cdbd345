// MQL4 `string`: a UTF-16 value type (StringLen counts UTF-16 units, StringGetCharacter
// returns ushort). Numbers convert implicitly (`"n=" + 5`), as MQL4 allows.
#pragma once

#include "core.hpp"

namespace mql {
std::u16string utf8_to_u16(const std::string& s);
std::string u16_to_utf8(const std::u16string& s);
std::u16string int_to_u16(long long v);
std::u16string uint_to_u16(unsigned long long v);
std::u16string double_to_u16(double v);  // MQL4's default conversion (up to 16 digits)
std::u16string float_to_u16(float v);
double u16_to_double(const std::u16string& s);
long long u16_to_int(const std::u16string& s);
std::string encode_cp(const std::u16string& s, unsigned codepage);  // CP_UTF8 or Windows-1252
std::u16string decode_cp(const std::string& s, unsigned codepage);
}  // namespace mql

namespace mql4api {

class string {
 public:
  std::u16string s;

  string() = default;
  string(const char16_t* p) : s(p) {}
  string(const char* utf8) : s(mql::utf8_to_u16(utf8)) {}
  string(const std::u16string& x) : s(x) {}
  string(std::u16string&& x) : s(std::move(x)) {}
  string(NullT) {}
  string(bool b) : s(b ? u"true" : u"false") {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  string(T v)
      : s(std::is_signed_v<T> ? mql::int_to_u16(static_cast<long long>(v))
                              : mql::uint_to_u16(static_cast<unsigned long long>(v))) {}
  string(double v) : s(mql::double_to_u16(v)) {}
  string(float v) : s(mql::float_to_u16(v)) {}  // 7 significant digits, not float noise
  template <class T, std::enable_if_t<std::is_enum_v<T>, int> = 0>
  string(T v) : s(mql::int_to_u16(static_cast<long long>(v))) {}

  // (int)str, (double)str: explicit casts from string parse the number, like MQL4.
  template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  explicit operator T() const {
    if constexpr (std::is_floating_point_v<T>) return static_cast<T>(mql::u16_to_double(s));
    else if constexpr (std::is_same_v<T, bool>) return !s.empty();
    else return static_cast<T>(mql::u16_to_int(s));
  }

  string& operator+=(const string& o) {
    s += o.s;
    return *this;
  }
  int len() const { return static_cast<int>(s.size()); }
  std::string utf8() const { return mql::u16_to_utf8(s); }

  friend string operator+(const string& a, const string& b) {
    std::u16string r;
    r.reserve(a.s.size() + b.s.size());
    r += a.s;
    r += b.s;
    return string(std::move(r));
  }
  friend bool operator==(const string& a, const string& b) { return a.s == b.s; }
  friend bool operator!=(const string& a, const string& b) { return a.s != b.s; }
  friend bool operator<(const string& a, const string& b) { return a.s < b.s; }
  friend bool operator>(const string& a, const string& b) { return a.s > b.s; }
  friend bool operator<=(const string& a, const string& b) { return a.s <= b.s; }
  friend bool operator>=(const string& a, const string& b) { return a.s >= b.s; }
};

}  // namespace mql4api
