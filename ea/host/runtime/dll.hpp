// Arguments of #import'ed DLL functions, passed the way MT4 passes them to a real DLL:
// numbers by value, arrays and `&` parameters as pointers to their memory, strings as
// pointers to UTF-16 text (MT4 build 600+ passes wchar_t*; a DLL expecting char* sees "1\0").
#pragma once

#include <memory>

#include "trade.hpp"

namespace mql {

struct DllArg {
  long long i = 0;
  double d = 0;
  void* p = nullptr;   // by-reference memory (arrays, & params, strings)
  size_t cap = 0;      // bytes available at p
  std::shared_ptr<std::u16string> str;  // keeps a string argument's UTF-16 copy alive
};

template <class T>
DllArg darg_i(const T& v) {
  DllArg a;
  a.i = static_cast<long long>(v);
  a.d = static_cast<double>(a.i);
  return a;
}
template <class T>
DllArg darg_f(const T& v) {
  DllArg a;
  a.d = static_cast<double>(v);
  a.i = static_cast<long long>(v);
  return a;
}
template <class T>
DllArg darg_arr(Array<T>& arr) {
  static_assert(std::is_arithmetic_v<T>, "only arrays of simple types can be passed to a DLL");
  DllArg a;
  a.p = arr.data();
  a.cap = static_cast<size_t>(arr.size()) * sizeof(T);
  return a;
}
template <class T>
DllArg darg_ref(T& v) {
  static_assert(std::is_trivially_copyable_v<T>,
                "only simple variables and structs of simple fields can be passed to a DLL by reference");
  DllArg a;
  a.p = &v;
  a.cap = sizeof(T);
  if constexpr (std::is_arithmetic_v<T>) a.i = static_cast<long long>(v);
  return a;
}
inline DllArg darg_ref(mql4api::string& s) {
  DllArg a;
  a.str = std::make_shared<std::u16string>(s.s);
  a.p = a.str->data();
  a.cap = (a.str->size() + 1) * 2;
  return a;
}
inline DllArg darg_str(const mql4api::string& s) {
  DllArg a;
  a.str = std::make_shared<std::u16string>(s.s);
  a.p = a.str->data();
  a.cap = (a.str->size() + 1) * 2;
  return a;
}

namespace dll {
// Keep in sync with ea/host/translator/dll.py (KNOWN_DLLS).
#define MQL_DLL_FN(name) long long name(DllArg* a, int n);
namespace ws2_32 {
MQL_DLL_FN(WSAStartup) MQL_DLL_FN(WSACleanup) MQL_DLL_FN(WSAGetLastError)
MQL_DLL_FN(WSASetLastError) MQL_DLL_FN(socket) MQL_DLL_FN(connect) MQL_DLL_FN(send)
MQL_DLL_FN(recv) MQL_DLL_FN(closesocket) MQL_DLL_FN(ioctlsocket) MQL_DLL_FN(select)
MQL_DLL_FN(setsockopt) MQL_DLL_FN(getsockopt) MQL_DLL_FN(inet_addr) MQL_DLL_FN(htons)
MQL_DLL_FN(ntohs) MQL_DLL_FN(htonl) MQL_DLL_FN(ntohl) MQL_DLL_FN(shutdown) MQL_DLL_FN(bind)
MQL_DLL_FN(listen) MQL_DLL_FN(accept)
}  // namespace ws2_32
namespace kernel32 {
MQL_DLL_FN(GetTickCount) MQL_DLL_FN(GetTickCount64) MQL_DLL_FN(Sleep)
MQL_DLL_FN(GetCurrentProcessId) MQL_DLL_FN(GetCurrentThreadId)
}  // namespace kernel32
#undef MQL_DLL_FN
}  // namespace dll
}  // namespace mql
