#include "json.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "internal.hpp"

namespace mql {

namespace {
struct P {
  const std::string& t;
  size_t i = 0;
  void ws() {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n')) ++i;
  }
};

bool parse_string(P& p, std::string& out, std::string& err) {
  if (p.i >= p.t.size() || p.t[p.i] != '"') return err = "expected string", false;
  ++p.i;
  while (p.i < p.t.size()) {
    char c = p.t[p.i++];
    if (c == '"') return true;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (p.i >= p.t.size()) break;
    char e = p.t[p.i++];
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case '/': out += '/'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case 'u': {
        if (p.i + 4 > p.t.size()) return err = "bad \\u escape", false;
        unsigned cp = static_cast<unsigned>(std::strtoul(p.t.substr(p.i, 4).c_str(), nullptr, 16));
        p.i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && p.i + 6 <= p.t.size() && p.t[p.i] == '\\' && p.t[p.i + 1] == 'u') {
          unsigned lo = static_cast<unsigned>(std::strtoul(p.t.substr(p.i + 2, 4).c_str(), nullptr, 16));
          p.i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        std::u16string u;
        if (cp >= 0x10000) {
          u += static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10));
          u += static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
          u += static_cast<char16_t>(cp);
        }
        out += u16_to_utf8(u);
        break;
      }
      default: return err = "bad escape", false;
    }
  }
  return err = "unterminated string", false;
}
}  // namespace

bool parse_flat_json(const std::string& text, std::map<std::string, JVal>& out, std::string& err) {
  P p{text};
  p.ws();
  if (p.i >= text.size() || text[p.i] != '{') return err = "expected a JSON object", false;
  ++p.i;
  p.ws();
  if (p.i < text.size() && text[p.i] == '}') {
    ++p.i;
  } else {
    while (true) {
      p.ws();
      std::string key;
      if (!parse_string(p, key, err)) return false;
      p.ws();
      if (p.i >= text.size() || text[p.i] != ':') return err = "expected ':'", false;
      ++p.i;
      p.ws();
      JVal v;
      if (p.i >= text.size()) return err = "unexpected end", false;
      char c = text[p.i];
      if (c == '"') {
        v.kind = JVal::Str;
        if (!parse_string(p, v.s, err)) return false;
      } else if (text.compare(p.i, 4, "true") == 0) {
        v.kind = JVal::Bool, v.b = true, p.i += 4;
      } else if (text.compare(p.i, 5, "false") == 0) {
        v.kind = JVal::Bool, v.b = false, p.i += 5;
      } else if (text.compare(p.i, 4, "null") == 0) {
        v.kind = JVal::Null, p.i += 4;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        const char* start = text.c_str() + p.i;
        char* end = nullptr;
        v.kind = JVal::Num;
        v.n = std::strtod(start, &end);
        if (end == start || !std::isfinite(v.n)) return err = "bad number", false;
        p.i += static_cast<size_t>(end - start);
      } else {
        return err = "unsupported value for \"" + key + "\" (flat objects only)", false;
      }
      out[key] = v;
      p.ws();
      if (p.i < text.size() && text[p.i] == ',') {
        ++p.i;
        continue;
      }
      if (p.i < text.size() && text[p.i] == '}') {
        ++p.i;
        break;
      }
      return err = "expected ',' or '}'", false;
    }
  }
  p.ws();
  if (p.i != text.size()) return err = "trailing characters after object", false;
  return true;
}

std::string jstr(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o + "\"";
}

std::string jnum(double v) {
  if (!std::isfinite(v)) return "null";
  char b[64];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

}  // namespace mql
