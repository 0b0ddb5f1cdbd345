// The program the generated code hands to the host loop, and input-variable overrides.
#pragma once

#include "dll.hpp"

namespace mql {

struct Program {
  const char* name = "EA";
  void (*reset)() = nullptr;         // every global and static local, inputs included
  void (*apply_inputs)() = nullptr;  // input/extern variables only
  const Loc* locs = nullptr;
  int (*on_init)() = nullptr;
  void (*on_deinit)(int) = nullptr;
  void (*on_timer)() = nullptr;
  void (*on_tick)() = nullptr;
};

int host_main(int argc, char** argv, const Program& p);

// `--inputs name=value` override for an input/extern variable, looked up by name.
const std::string* input_override(const char* name);
void input_seen(const char* name);
void bad_input(const char* name, const std::string& value);

template <class T>
void apply_input(const char* name, T& var) {
  input_seen(name);
  const std::string* v = input_override(name);
  if (!v) return;
  if constexpr (std::is_same_v<T, mql4api::string>) {
    var = mql4api::string(v->c_str());
  } else if constexpr (std::is_same_v<T, bool>) {
    if (*v == "true" || *v == "1") var = true;
    else if (*v == "false" || *v == "0") var = false;
    else bad_input(name, *v);
  } else if constexpr (std::is_floating_point_v<T>) {
    char* end = nullptr;
    double d = std::strtod(v->c_str(), &end);
    if (end == v->c_str() || *end) bad_input(name, *v);
    var = static_cast<T>(d);
  } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
    char* end = nullptr;
    long long x = std::strtoll(v->c_str(), &end, 0);
    if (end == v->c_str() || *end) bad_input(name, *v);
    var = static_cast<T>(x);
  } else {
    bad_input(name, *v);
  }
}

}  // namespace mql
