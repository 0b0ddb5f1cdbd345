// Registry of objects created with `new`, so stale pointers are detected like in MT4.
#include <unordered_set>

#include "internal.hpp"

namespace mql {

static std::unordered_set<const void*>& live() {
  static std::unordered_set<const void*> s;
  return s;
}

void ptr_register(const void* p) { live().insert(p); }
bool ptr_unregister(const void* p) { return live().erase(p) > 0; }
bool ptr_alive(const void* p) { return live().count(p) > 0; }
size_t ptr_live_count() { return live().size(); }
size_t ptr_forget_all() {
  size_t n = live().size();
  live().clear();
  return n;
}
void ptr_log(const char* text) { emit_log(mql4api::string(text)); }

}  // namespace mql
