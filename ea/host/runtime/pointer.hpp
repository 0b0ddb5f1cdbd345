// MQL4 object pointers (`CFoo *p = new CFoo(); p.Do(); delete p;`). A pointer to a deleted
// object or NULL stops the EA with "invalid pointer access", as in MT4; objects created with
// `new` and never deleted are reported at deinit ("N undeleted objects left").
#pragma once

#include "core.hpp"

namespace mql {

void ptr_register(const void* p);
bool ptr_unregister(const void* p);
bool ptr_alive(const void* p);
size_t ptr_live_count();
size_t ptr_forget_all();  // program unloaded: leaked objects are no longer reachable
void ptr_log(const char* text);

template <class T>
class Ptr {
 public:
  T* p = nullptr;
  bool dynamic = false;  // created by `new` (tracked), as opposed to GetPointer(automatic)

  Ptr() = default;
  Ptr(mql4api::NullT) {}
  Ptr(T* x) : p(x), dynamic(x != nullptr && ptr_alive(x)) {}  // `this`, GetPointer(obj)
  template <class U, std::enable_if_t<std::is_convertible_v<U*, T*>, int> = 0>
  Ptr(const Ptr<U>& o) : p(o.p), dynamic(o.dynamic) {}

  T* get(int loc) const {
    if (p == nullptr || (dynamic && !ptr_alive(p))) critical("invalid pointer access", loc);
    return p;
  }
  explicit operator bool() const { return p != nullptr; }
  template <class U>
  bool operator==(const Ptr<U>& o) const { return static_cast<const void*>(p) == o.p; }
  template <class U>
  bool operator!=(const Ptr<U>& o) const { return static_cast<const void*>(p) != o.p; }
  bool operator==(mql4api::NullT) const { return p == nullptr; }
  bool operator!=(mql4api::NullT) const { return p != nullptr; }
};

template <class T, class... A>
Ptr<T> make_new(A&&... args) {
  T* x = new T(std::forward<A>(args)...);
  ptr_register(x);
  Ptr<T> r;
  r.p = x;
  r.dynamic = true;
  return r;
}

template <class T>
void del(const Ptr<T>& p) {
  if (p.p == nullptr) return;
  if (!p.dynamic || !ptr_unregister(p.p)) {
    ptr_log("delete invalid pointer");  // MT4 logs this and goes on
    return;
  }
  delete p.p;
}

template <class To, class From>
Ptr<To> ptr_cast(const Ptr<From>& p, int loc) {
  Ptr<To> r;
  if (p.p == nullptr) return r;
  To* x;
  if constexpr (std::is_polymorphic_v<From>) x = dynamic_cast<To*>(p.p);
  else x = static_cast<To*>(p.p);
  if (x == nullptr) critical("incorrect casting of pointers", loc);
  r.p = x;
  r.dynamic = p.dynamic;
  return r;
}

}  // namespace mql

namespace mql4api {
using mql::Ptr;
constexpr int POINTER_INVALID = 0, POINTER_DYNAMIC = 1, POINTER_AUTOMATIC = 2;

template <class T>
Ptr<T> GetPointer(T& obj) { return Ptr<T>(&obj); }
template <class T>
Ptr<T> GetPointer(T* obj) { return Ptr<T>(obj); }
template <class T>
Ptr<T> GetPointer(const Ptr<T>& p) { return p; }
template <class T>
int CheckPointer(const Ptr<T>& p) {
  if (p.p == nullptr) return POINTER_INVALID;
  if (!p.dynamic) return POINTER_AUTOMATIC;
  return mql::ptr_alive(p.p) ? POINTER_DYNAMIC : POINTER_INVALID;
}

}  // namespace mql4api
