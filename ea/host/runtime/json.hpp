// Minimal JSON for the control protocol: one flat object per stdin line (nested values are
// rejected), and string escaping for stdout lines.
#pragma once

#include <map>
#include <string>

namespace mql {

struct JVal {
  enum Kind { Null, Bool, Num, Str } kind = Null;
  bool b = false;
  double n = 0;
  std::string s;
};

// Parses `{"k": v, ...}` with string/number/bool/null values. Returns false and sets err.
bool parse_flat_json(const std::string& text, std::map<std::string, JVal>& out, std::string& err);

}  // namespace mql
