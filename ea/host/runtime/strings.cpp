// MQL4 string functions and text encodings (UTF-16 strings, UTF-8 and Windows-1252 bytes).
#include <cmath>
#include <cstdio>
#include <cstring>

#include "mql4.hpp"

namespace mql {

int last_error = 0;

std::u16string utf8_to_u16(const std::string& s) {
  std::u16string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    int extra;
    if (c < 0x80) cp = c, extra = 0;
    else if ((c & 0xE0) == 0xC0) cp = c & 0x1F, extra = 1;
    else if ((c & 0xF0) == 0xE0) cp = c & 0x0F, extra = 2;
    else if ((c & 0xF8) == 0xF0) cp = c & 0x07, extra = 3;
    else { out += u'\uFFFD'; ++i; continue; }
    if (i + extra >= s.size() + (extra ? 0 : 1) && extra) { out += u'\uFFFD'; break; }
    bool ok = true;
    for (int k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) { ok = false; break; }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!ok) { out += u'\uFFFD'; ++i; continue; }
    i += extra + 1;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

std::string u16_to_utf8(const std::u16string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    uint32_t cp = s[i];
    if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    } else if (cp >= 0xD800 && cp < 0xE000) {
      cp = 0xFFFD;
    }
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) out += static_cast<char>(0xC0 | (cp >> 6)), out += static_cast<char>(0x80 | (cp & 0x3F));
    else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

// Windows-1252 bytes 0x80..0x9F; other bytes map to the same code point (Latin-1).
static const char16_t kCp1252[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

std::string encode_cp(const std::u16string& s, unsigned codepage) {
  if (codepage == mql4api::CP_UTF8) return u16_to_utf8(s);
  std::string out;
  for (char16_t c : s) {
    if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) { out += static_cast<char>(c); continue; }
    char b = '?';
    for (int k = 0; k < 32; ++k)
      if (kCp1252[k] == c && c != 0xFFFD) b = static_cast<char>(0x80 + k);
    out += b;
  }
  return out;
}

std::u16string decode_cp(const std::string& s, unsigned codepage) {
  if (codepage == mql4api::CP_UTF8) return utf8_to_u16(s);
  std::u16string out;
  for (char ch : s) {
    unsigned char b = static_cast<unsigned char>(ch);
    out += (b >= 0x80 && b < 0xA0) ? kCp1252[b - 0x80] : static_cast<char16_t>(b);
  }
  return out;
}

std::u16string int_to_u16(long long v) { return utf8_to_u16(std::to_string(v)); }
std::u16string uint_to_u16(unsigned long long v) { return utf8_to_u16(std::to_string(v)); }

std::u16string double_to_u16(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.16g", v);
  return utf8_to_u16(buf);
}

std::u16string float_to_u16(float v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.7g", static_cast<double>(v));
  return utf8_to_u16(buf);
}

double u16_to_double(const std::u16string& s) {
  std::string a = u16_to_utf8(s);
  return std::strtod(a.c_str(), nullptr);
}

long long u16_to_int(const std::u16string& s) {
  std::string a = u16_to_utf8(s);
  return std::strtoll(a.c_str(), nullptr, 10);
}

// ---- printf-style formatting --------------------------------------------------------------

static std::u16string pad(std::u16string s, int width, bool left, char16_t fill = u' ') {
  if (width > 0 && static_cast<int>(s.size()) < width) {
    std::u16string p(static_cast<size_t>(width) - s.size(), fill);
    s = left ? s + p : p + s;
  }
  return s;
}

std::u16string format(const std::u16string& fmt, const std::vector<FmtArg>& args) {
  std::u16string out;
  size_t ai = 0;
  auto next = [&]() -> const FmtArg* { return ai < args.size() ? &args[ai++] : nullptr; };
  for (size_t i = 0; i < fmt.size(); ++i) {
    char16_t c = fmt[i];
    if (c != u'%') { out += c; continue; }
    if (i + 1 < fmt.size() && fmt[i + 1] == u'%') { out += u'%'; ++i; continue; }
    std::string spec = "%";
    size_t j = i + 1;
    while (j < fmt.size() && std::strchr("-+ #0", static_cast<char>(fmt[j])) && fmt[j] < 128)
      spec += static_cast<char>(fmt[j++]);
    bool left = spec.find('-') != std::string::npos;
    int width = -1, prec = -1;
    if (j < fmt.size() && fmt[j] == u'*') {
      const FmtArg* a = next();
      width = a ? static_cast<int>(a->i) : 0;
      ++j;
    } else {
      while (j < fmt.size() && fmt[j] >= u'0' && fmt[j] <= u'9')
        width = (width < 0 ? 0 : width * 10) + (fmt[j++] - u'0');
    }
    if (j < fmt.size() && fmt[j] == u'.') {
      ++j;
      prec = 0;
      if (j < fmt.size() && fmt[j] == u'*') {
        const FmtArg* a = next();
        prec = a ? static_cast<int>(a->i) : 0;
        ++j;
      } else {
        while (j < fmt.size() && fmt[j] >= u'0' && fmt[j] <= u'9') prec = prec * 10 + (fmt[j++] - u'0');
      }
    }
    // Length modifiers are accepted and ignored: MQL4 arguments carry their own size.
    while (j < fmt.size() && (fmt[j] == u'h' || fmt[j] == u'l' || fmt[j] == u'L' || fmt[j] == u'q'))
      ++j;
    if (j + 2 < fmt.size() && fmt[j] == u'I' && ((fmt[j + 1] == u'6' && fmt[j + 2] == u'4') ||
                                                  (fmt[j + 1] == u'3' && fmt[j + 2] == u'2')))
      j += 3;
    if (j >= fmt.size()) break;
    char conv = static_cast<char>(fmt[j]);
    i = j;
    const FmtArg* a = next();
    if (!a) continue;
    if (width >= 0) spec += std::to_string(width);
    if (prec >= 0) spec += "." + std::to_string(prec);
    char buf[512];
    switch (conv) {
      case 'd': case 'i': {
        long long v = a->kind == FmtArg::D ? static_cast<long long>(a->d)
                      : a->kind == FmtArg::S ? u16_to_int(a->s) : a->i;
        std::snprintf(buf, sizeof buf, (spec + "lld").c_str(), v);
        out += utf8_to_u16(buf);
        break;
      }
      case 'u': case 'o': case 'x': case 'X': {
        unsigned long long v = a->kind == FmtArg::D ? static_cast<unsigned long long>(a->d)
                               : a->kind == FmtArg::U ? a->u : static_cast<unsigned long long>(a->i);
        if (a->kind == FmtArg::I && (conv == 'x' || conv == 'X' || conv == 'o') && a->i < 0 &&
            a->i >= INT32_MIN)
          v = static_cast<uint32_t>(a->i);  // MQL4 int is 32-bit
        std::snprintf(buf, sizeof buf, (spec + "ll" + conv).c_str(), v);
        out += utf8_to_u16(buf);
        break;
      }
      case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A': {
        double v = a->kind == FmtArg::D ? a->d : a->kind == FmtArg::U ? static_cast<double>(a->u)
                   : a->kind == FmtArg::S ? u16_to_double(a->s) : static_cast<double>(a->i);
        std::snprintf(buf, sizeof buf, (spec + conv).c_str(), v);
        out += utf8_to_u16(buf);
        break;
      }
      case 'c': case 'C':
        out += pad(std::u16string(1, static_cast<char16_t>(a->i)), width, left);
        break;
      case 's': case 'S': {
        std::u16string s;
        if (a->kind == FmtArg::S || a->is_bool) s = a->s;
        else if (a->kind == FmtArg::D) s = double_to_u16(a->d);
        else if (a->kind == FmtArg::U) s = uint_to_u16(a->u);
        else s = int_to_u16(a->i);
        if (prec >= 0 && static_cast<int>(s.size()) > prec) s.resize(static_cast<size_t>(prec));
        out += pad(s, width, left);
        break;
      }
      default:
        out += u'%';
        out += static_cast<char16_t>(conv);
        --ai;
    }
  }
  return out;
}

}  // namespace mql

namespace mql4api {
using mql::u16_to_utf8;
using mql::utf8_to_u16;

int GetLastError() {
  int e = mql::last_error;
  mql::last_error = 0;
  return e;
}
void ResetLastError() { mql::last_error = 0; }
void SetUserError(ushort e) { mql::last_error = ERR_USER_ERROR_FIRST + e; }

int StringLen(const string& s) { return s.len(); }

string StringSubstr(const string& s, int start, int length) {
  if (start < 0 || start >= s.len()) return string();
  if (length < 0 || start + length > s.len()) length = s.len() - start;
  return string(s.s.substr(static_cast<size_t>(start), static_cast<size_t>(length)));
}

int StringFind(const string& s, const string& match, int start) {
  if (start < 0) start = 0;
  if (match.s.empty() || start > s.len()) return -1;
  size_t p = s.s.find(match.s, static_cast<size_t>(start));
  return p == std::u16string::npos ? -1 : static_cast<int>(p);
}

int StringReplace(string& s, const string& find, const string& replacement) {
  if (find.s.empty()) {
    mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE);
    return -1;
  }
  int count = 0;
  std::u16string out;
  size_t pos = 0;
  while (true) {
    size_t p = s.s.find(find.s, pos);
    if (p == std::u16string::npos) break;
    out.append(s.s, pos, p - pos);
    out += replacement.s;
    pos = p + find.s.size();
    ++count;
  }
  out.append(s.s, pos, std::u16string::npos);
  s.s = std::move(out);
  return count;
}

ushort StringGetCharacter(const string& s, int pos) {
  if (pos < 0 || pos >= s.len()) {
    mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE);
    return 0;
  }
  return s.s[static_cast<size_t>(pos)];
}
ushort StringGetChar(const string& s, int pos) { return StringGetCharacter(s, pos); }

bool StringSetCharacter(string& s, int pos, ushort ch) {
  if (pos < 0 || pos > s.len()) {
    mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE);
    return false;
  }
  if (ch == 0) {
    s.s.resize(static_cast<size_t>(pos));
  } else if (pos == s.len()) {
    s.s += static_cast<char16_t>(ch);
  } else {
    s.s[static_cast<size_t>(pos)] = static_cast<char16_t>(ch);
  }
  return true;
}
string StringSetChar(const string& s, int pos, ushort ch) {
  string r = s;
  StringSetCharacter(r, pos, ch);
  return r;
}

long StringToInteger(const string& s) { return mql::u16_to_int(s.s); }
int StrToInteger(const string& s) { return static_cast<int>(mql::u16_to_int(s.s)); }
double StringToDouble(const string& s) { return mql::u16_to_double(s.s); }
double StrToDouble(const string& s) { return mql::u16_to_double(s.s); }

string IntegerToString(long v, int str_len, ushort fill) {
  std::u16string r = mql::int_to_u16(v);
  if (str_len > static_cast<int>(r.size()))
    r = std::u16string(static_cast<size_t>(str_len) - r.size(), static_cast<char16_t>(fill)) + r;
  return string(r);
}

string DoubleToString(double v, int digits) {
  char buf[512];
  if (digits >= 0 && digits <= 16) std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  else if (digits >= -16 && digits <= -1) std::snprintf(buf, sizeof buf, "%.*e", -digits, v);
  else std::snprintf(buf, sizeof buf, "%.8f", v);
  return string(buf);
}
string DoubleToStr(double v, int digits) { return DoubleToString(v, digits); }

static bool is_trim(char16_t c) { return c == u' ' || c == u'\t' || c == u'\r' || c == u'\n'; }
string StringTrimLeft(const string& s) {
  size_t i = 0;
  while (i < s.s.size() && is_trim(s.s[i])) ++i;
  return string(s.s.substr(i));
}
string StringTrimRight(const string& s) {
  size_t n = s.s.size();
  while (n > 0 && is_trim(s.s[n - 1])) --n;
  return string(s.s.substr(0, n));
}

static char16_t upper(char16_t c) {
  if ((c >= u'a' && c <= u'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;
  return c;
}
static char16_t lower(char16_t c) {
  if ((c >= u'A' && c <= u'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
  return c;
}
bool StringToUpper(string& s) {
  for (auto& c : s.s) c = upper(c);
  return true;
}
bool StringToLower(string& s) {
  for (auto& c : s.s) c = lower(c);
  return true;
}

int StringSplit(const string& s, ushort sep, Array<string>& result) {
  std::vector<std::u16string> parts;
  if (!s.s.empty()) {
    size_t pos = 0;
    while (true) {
      size_t p = s.s.find(static_cast<char16_t>(sep), pos);
      if (p == std::u16string::npos) {
        parts.push_back(s.s.substr(pos));
        break;
      }
      parts.push_back(s.s.substr(pos, p - pos));
      pos = p + 1;
    }
  }
  if (result.fixed && result.size() < static_cast<int>(parts.size())) {
    mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE);
    return -1;
  }
  if (!result.fixed) result.resize(static_cast<int>(parts.size()));
  for (size_t i = 0; i < parts.size(); ++i) result.at(static_cast<int>(i)) = string(parts[i]);
  return static_cast<int>(parts.size());
}

string ShortToString(ushort c) { return string(std::u16string(1, static_cast<char16_t>(c))); }
string CharToString(uchar c) { return string(mql::decode_cp(std::string(1, static_cast<char>(c)), CP_ACP)); }
string CharToStr(uchar c) { return CharToString(c); }

int StringCompare(const string& a, const string& b, bool case_sensitive) {
  std::u16string x = a.s, y = b.s;
  if (!case_sensitive) {
    for (auto& c : x) c = lower(c);
    for (auto& c : y) c = lower(c);
  }
  return x < y ? -1 : (x > y ? 1 : 0);
}
bool StringInit(string& s, int len, ushort ch) {
  s.s.assign(static_cast<size_t>(len < 0 ? 0 : len), static_cast<char16_t>(ch));
  if (ch == 0) s.s.clear();
  return true;
}
int StringFill(string& s, ushort ch) {
  for (auto& c : s.s) c = static_cast<char16_t>(ch);
  return s.len();
}
bool StringAdd(string& s, const string& add) {
  s.s += add.s;
  return true;
}
int StringBufferLen(const string& s) { return static_cast<int>(s.s.capacity()); }

template <class B>
static int to_char_array(const string& s, Array<B>& a, int start, int count, uint cp) {
  std::string bytes = mql::encode_cp(s.s, cp);
  bytes.push_back('\0');  // MQL4 copies the terminating zero too
  if (start < 0) start = 0;
  int n = static_cast<int>(bytes.size());
  if (count >= 0 && count < n) n = count;
  if (a.size() < start + n) {
    if (a.fixed) n = a.size() - start;
    else a.resize(start + n);
  }
  for (int i = 0; i < n; ++i) a.at(start + i) = static_cast<B>(bytes[static_cast<size_t>(i)]);
  return n < 0 ? 0 : n;
}
int StringToCharArray(const string& s, Array<uchar>& a, int start, int count, uint cp) {
  return to_char_array(s, a, start, count, cp);
}
int StringToCharArray(const string& s, Array<char>& a, int start, int count, uint cp) {
  return to_char_array(s, a, start, count, cp);
}

template <class B>
static string from_char_array(const Array<B>& a, int start, int count, uint cp) {
  if (start < 0 || start >= a.size()) return string();
  int end = (count < 0 || start + count > a.size()) ? a.size() : start + count;
  std::string bytes;
  for (int i = start; i < end; ++i) {
    char c = static_cast<char>(a.at(i));
    if (c == '\0') break;
    bytes.push_back(c);
  }
  return string(mql::decode_cp(bytes, cp));
}
string CharArrayToString(const Array<uchar>& a, int start, int count, uint cp) {
  return from_char_array(a, start, count, cp);
}
string CharArrayToString(const Array<char>& a, int start, int count, uint cp) {
  return from_char_array(a, start, count, cp);
}

int StringToShortArray(const string& s, Array<ushort>& a, int start, int count) {
  std::u16string u = s.s;
  u.push_back(0);
  int n = static_cast<int>(u.size());
  if (count >= 0 && count < n) n = count;
  if (a.size() < start + n) {
    if (a.fixed) n = a.size() - start;
    else a.resize(start + n);
  }
  for (int i = 0; i < n; ++i) a.at(start + i) = u[static_cast<size_t>(i)];
  return n;
}
string ShortArrayToString(const Array<ushort>& a, int start, int count) {
  if (start < 0 || start >= a.size()) return string();
  int end = (count < 0 || start + count > a.size()) ? a.size() : start + count;
  std::u16string u;
  for (int i = start; i < end && a.at(i) != 0; ++i) u += static_cast<char16_t>(a.at(i));
  return string(u);
}

double NormalizeDouble(double v, int digits) {
  if (digits < 0) digits = 0;
  if (digits > 8) digits = 8;
  double p = std::pow(10.0, digits);
  return std::round(v * p) / p;
}

string ErrorDescription(int code) {
  switch (code) {
    case 0: return string("no error");
    case 1: return string("no error, trade conditions not changed");
    case 2: return string("common error");
    case 3: return string("invalid trade parameters");
    case 4: return string("trade server is busy");
    case 6: return string("no connection with trade server");
    case 129: return string("invalid price");
    case 130: return string("invalid stops");
    case 131: return string("invalid trade volume");
    case 132: return string("market is closed");
    case 133: return string("trade is disabled");
    case 134: return string("not enough money");
    case 135: return string("price changed");
    case 136: return string("off quotes");
    case 138: return string("requote");
    case 145: return string("modification denied because order is too close to market");
    case 146: return string("trade context is busy");
    case 148: return string("amount of open and pending orders has reached the limit");
    case 4108: return string("invalid ticket");
    case 4109: return string("trade is not allowed in the expert properties");
    default: return string("unknown error ") + string(code);
  }
}

}  // namespace mql4api
