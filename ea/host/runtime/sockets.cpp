// ws2_32.dll and kernel32.dll functions with Winsock semantics on top of POSIX sockets.
// Handles are the 32-bit values a 32-bit MT4 would see; errors are WSA codes; a non-blocking
// connect in progress fails with WSAEWOULDBLOCK (10035) as on Windows, not EINPROGRESS.
#include "internal.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>

// glibc may define these as macros; we define functions of the same names below.
#undef htons
#undef ntohs
#undef htonl
#undef ntohl

namespace mql {
namespace {

constexpr int WSAEINTR = 10004, WSAEBADF = 10009, WSAEACCES = 10013, WSAEFAULT = 10014,
              WSAEINVAL = 10022, WSAEMFILE = 10024, WSAEWOULDBLOCK = 10035,
              WSAEINPROGRESS = 10036, WSAEALREADY = 10037, WSAENOTSOCK = 10038,
              WSAEMSGSIZE = 10040, WSAENOPROTOOPT = 10042, WSAEAFNOSUPPORT = 10047,
              WSAEADDRINUSE = 10048, WSAEADDRNOTAVAIL = 10049, WSAENETDOWN = 10050,
              WSAENETUNREACH = 10051, WSAECONNABORTED = 10053, WSAECONNRESET = 10054,
              WSAENOBUFS = 10055, WSAEISCONN = 10056, WSAENOTCONN = 10057, WSAESHUTDOWN = 10058,
              WSAETIMEDOUT = 10060, WSAECONNREFUSED = 10061, WSAEHOSTUNREACH = 10065,
              WSANOTINITIALISED = 10093;
constexpr long kFIONBIO = static_cast<long>(0x8004667Eu);
constexpr long kFIONREAD = 0x4004667F;
constexpr int kSOL_SOCKET = 0xFFFF;
constexpr int kINVALID = -1;  // INVALID_SOCKET (~0) seen as a 32-bit int
constexpr int kSOCKET_ERROR = -1;

struct Sock {
  int fd;
  bool nonblocking = false;
  bool connecting = false;  // non-blocking connect in progress
  int so_error = 0;         // WSA code of a failed connect noticed by select(), for SO_ERROR
};

int g_wsa_error = 0;
bool g_started = false;
std::map<int, Sock> g_socks;

int wsa_from_errno(int e) {
  switch (e) {
    case EINTR: return WSAEINTR;
    case EBADF: return WSAENOTSOCK;
    case EACCES: return WSAEACCES;
    case EFAULT: return WSAEFAULT;
    case EINVAL: return WSAEINVAL;
    case EMFILE: return WSAEMFILE;
    case EAGAIN: return WSAEWOULDBLOCK;
    case EINPROGRESS: return WSAEWOULDBLOCK;
    case EALREADY: return WSAEALREADY;
    case ENOTSOCK: return WSAENOTSOCK;
    case EMSGSIZE: return WSAEMSGSIZE;
    case ENOPROTOOPT: return WSAENOPROTOOPT;
    case EAFNOSUPPORT: return WSAEAFNOSUPPORT;
    case EADDRINUSE: return WSAEADDRINUSE;
    case EADDRNOTAVAIL: return WSAEADDRNOTAVAIL;
    case ENETDOWN: return WSAENETDOWN;
    case ENETUNREACH: return WSAENETUNREACH;
    case ECONNABORTED: return WSAECONNABORTED;
    case ECONNRESET: return WSAECONNRESET;
    case EPIPE: return WSAECONNRESET;
    case ENOBUFS: return WSAENOBUFS;
    case EISCONN: return WSAEISCONN;
    case ENOTCONN: return WSAENOTCONN;
    case ESHUTDOWN: return WSAESHUTDOWN;
    case ETIMEDOUT: return WSAETIMEDOUT;
    case ECONNREFUSED: return WSAECONNREFUSED;
    case EHOSTUNREACH: return WSAEHOSTUNREACH;
    default: return WSAEINVAL;
  }
}

long long fail(int wsa) {
  g_wsa_error = wsa;
  return kSOCKET_ERROR;
}

// MT4 refuses DLL calls when "Allow DLL imports" is off and removes the EA.
void require_dll(const char* dll, const char* fn) {
  if (!host().dll_allowed) {
    std::string m = std::string("cannot call function '") + fn + "' from dll '" + dll +
                    "' (DLL calls are not allowed)";
    throw CriticalError(m);
  }
}

Sock* lookup(long long h) {
  auto it = g_socks.find(static_cast<int>(h));
  return it == g_socks.end() ? nullptr : &it->second;
}

bool need(const DllArg* a, int n, int k, size_t bytes) {
  return k < n && a[k].p && a[k].cap >= bytes;
}

void put32(DllArg& a, uint32_t v) {
  if (a.p && a.cap >= 4) std::memcpy(a.p, &v, 4);
}

// Winsock fd_set: u_int fd_count; SOCKET fd_array[64] (32-bit handles), little-endian.
struct WinFdSet {
  std::vector<int> fds;
  bool present = false;
};
WinFdSet read_fdset(const DllArg* a, int n, int k) {
  WinFdSet s;
  if (!need(a, n, k, 4)) return s;
  s.present = true;
  uint32_t count;
  std::memcpy(&count, a[k].p, 4);
  for (uint32_t i = 0; i < count && 4 + (i + 1) * 4 <= a[k].cap && i < 64; ++i) {
    int32_t h;
    std::memcpy(&h, static_cast<char*>(a[k].p) + 4 + i * 4, 4);
    s.fds.push_back(h);
  }
  return s;
}
void write_fdset(DllArg& a, const std::vector<int>& fds) {
  if (!a.p || a.cap < 4) return;
  uint32_t count = 0;
  for (int h : fds) {
    if (4 + (count + 1) * 4 > a.cap) break;
    std::memcpy(static_cast<char*>(a.p) + 4 + count * 4, &h, 4);
    ++count;
  }
  std::memcpy(a.p, &count, 4);
}

int map_level(int level) { return level == kSOL_SOCKET ? SOL_SOCKET : level; }
int map_opt(int level, int opt) {
  if (level != kSOL_SOCKET) return opt;  // IPPROTO_TCP/TCP_NODELAY = 6/1 on both
  switch (opt) {
    case 0x0004: return SO_REUSEADDR;
    case 0x0008: return SO_KEEPALIVE;
    case 0x0080: return SO_LINGER;
    case 0x1001: return SO_SNDBUF;
    case 0x1002: return SO_RCVBUF;
    case 0x1005: return SO_SNDTIMEO;
    case 0x1006: return SO_RCVTIMEO;
    case 0x1007: return SO_ERROR;
    case 0x1008: return SO_TYPE;
    default: return -1;
  }
}

}  // namespace

namespace dll {
namespace ws2_32 {

long long WSAStartup(DllArg* a, int n) {
  require_dll("ws2_32.dll", "WSAStartup");
  g_started = true;
  // Fill the start of WSADATA: wVersion, wHighVersion = 2.2 (the rest stays zero).
  if (n >= 2 && a[1].p && a[1].cap >= 4) {
    uint16_t v[2] = {0x0202, 0x0202};
    std::memcpy(a[1].p, v, 4);
  }
  return 0;
}

long long WSACleanup(DllArg*, int) {
  require_dll("ws2_32.dll", "WSACleanup");
  for (auto& kv : g_socks) ::close(kv.second.fd);
  g_socks.clear();
  g_started = false;
  return 0;
}

long long WSAGetLastError(DllArg*, int) {
  require_dll("ws2_32.dll", "WSAGetLastError");
  return g_wsa_error;
}

long long WSASetLastError(DllArg* a, int n) {
  require_dll("ws2_32.dll", "WSASetLastError");
  g_wsa_error = n >= 1 ? static_cast<int>(a[0].i) : 0;
  return 0;
}

long long socket(DllArg* a, int n) {
  require_dll("ws2_32.dll", "socket");
  if (!g_started) {
    g_wsa_error = WSANOTINITIALISED;
    return kINVALID;
  }
  if (n < 3) return fail(WSAEINVAL), kINVALID;
  int fd = ::socket(static_cast<int>(a[0].i), static_cast<int>(a[1].i) | SOCK_CLOEXEC, static_cast<int>(a[2].i));
  if (fd < 0) {
    g_wsa_error = wsa_from_errno(errno);
    return kINVALID;
  }
  g_socks[fd] = Sock{fd};
  return fd;
}

long long connect(DllArg* a, int n) {
  require_dll("ws2_32.dll", "connect");
  Sock* s = n >= 1 ? lookup(a[0].i) : nullptr;
  if (!s) return fail(WSAENOTSOCK);
  if (!need(a, n, 1, 8)) return fail(WSAEFAULT);
  sockaddr_in sa{};
  std::memcpy(&sa, a[1].p, std::min(sizeof sa, a[1].cap));
  sa.sin_family = AF_INET;  // Windows and Linux agree on the layout; family is 2 on both
  if (s->connecting) {
    // Winsock: another connect() while in progress -> WSAEALREADY; once done -> WSAEISCONN.
    pollfd p{s->fd, POLLOUT, 0};
    if (poll(&p, 1, 0) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      s->connecting = false;
      return err ? fail(wsa_from_errno(err)) : fail(WSAEISCONN);
    }
    return fail(WSAEALREADY);
  }
  if (::connect(s->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return 0;
  int e = errno;
  if (e == EINPROGRESS && s->nonblocking) {
    s->connecting = true;
    return fail(WSAEWOULDBLOCK);
  }
  return fail(wsa_from_errno(e));
}

long long send(DllArg* a, int n) {
  require_dll("ws2_32.dll", "send");
  Sock* s = n >= 1 ? lookup(a[0].i) : nullptr;
  if (!s) return fail(WSAENOTSOCK);
  if (n < 3) return fail(WSAEINVAL);
  long long len = a[2].i;
  if (len < 0 || (len > 0 && (!a[1].p || static_cast<size_t>(len) > a[1].cap))) return fail(WSAEFAULT);
  int flags = n >= 4 ? static_cast<int>(a[3].i) : 0;
  ssize_t r = ::send(s->fd, a[1].p, static_cast<size_t>(len), (flags & 1) | MSG_NOSIGNAL |
                     (s->nonblocking ? MSG_DONTWAIT : 0));
  if (r < 0) {
    if (errno == EAGAIN && s->connecting) return fail(WSAENOTCONN);
    return fail(wsa_from_errno(errno));
  }
  s->connecting = false;
  return r;
}

long long recv(DllArg* a, int n) {
  require_dll("ws2_32.dll", "recv");
  Sock* s = n >= 1 ? lookup(a[0].i) : nullptr;
  if (!s) return fail(WSAENOTSOCK);
  if (n < 3) return fail(WSAEINVAL);
  long long len = a[2].i;
  if (len < 0 || (len > 0 && !a[1].p)) return fail(WSAEFAULT);
  size_t cap = std::min(static_cast<size_t>(len), a[1].cap);
  int flags = n >= 4 ? static_cast<int>(a[3].i) : 0;
  ssize_t r = ::recv(s->fd, a[1].p, cap, (flags & 2 ? MSG_PEEK : 0) | (s->nonblocking ? MSG_DONTWAIT : 0));
  if (r < 0) {
    if (errno == EAGAIN && s->connecting) return fail(WSAENOTCONN);
    return fail(wsa_from_errno(errno));
  }
  return r;
}

long long closesocket(DllArg* a, int n) {
  require_dll("ws2_32.dll", "closesocket");
  Sock* s = n >= 1 ? lookup(a[0].i) : nullptr;
  if (!s) return fail(WSAENOTSOCK);
  ::close(s->fd);
  g_socks.erase(static_cast<int>(a[0].i));
  return 0;
}

long long ioctlsocket(DllArg* a, int n) {
  require_dll("ws2_32.dll", "ioctlsocket");
  Sock* s = n >= 1 ? lookup(a[0].i) : nullptr;
  if (!s) return fail(WSAENOTSOCK);
  if (n < 3) return fail(WSAEINVAL);
  long cmd = static_cast<long>(static_cast<int32_t>(a[1].i));
  // argp is u_long*: the EA passes `uint &arg`, an int array, or (wrongly) a value.
  uint32_t arg = a[2].p && a[2].cap >= 4 ? *static_cast<uint32_t*>(a[2].p) : static_cast<uint32_t>(a[2].i);
  if (cmd == static_cast<long>(static_cast<int32_t>(kFIONBIO))) {
    int fl = fcntl(s->fd, F_GETFL);
    fcntl(s->fd, F_SETFL, arg ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
    s->nonblocking = arg != 0;
    return 0;
  }
  if (cmd == kFIONREAD) {
    int avail = 0;
    ::ioctl(s->fd, FIONREAD, &avail);
    put32(a[2], static_cast<uint32_t>(avail));
    return 0;
  }
  return fail(WSAEINVAL);
}

long long select(DllArg* a, int n) {
  require_dll("ws2_32.dll", "select");
  if (n < 5) return fail(WSAEINVAL);
  WinFdSet rs = read_fdset(a, n, 1), ws = read_fdset(a, n, 2), es = read_fdset(a, n, 3);
  int timeout_ms = -1;
  if (a[4].p && a[4].cap >= 8) {
    int32_t tv[2];
    std::memcpy(tv, a[4].p, 8);
    timeout_ms = tv[0] * 1000 + tv[1] / 1000;
  }
  std::vector<pollfd> pfds;
  std::vector<int> handles;
  auto add = [&](const WinFdSet& set, short ev) {
    for (int h : set.fds) {
      Sock* s = lookup(h);
      if (!s) continue;
      size_t k = 0;
      while (k < handles.size() && handles[k] != h) ++k;
      if (k == handles.size()) {
        handles.push_back(h);
        pfds.push_back(pollfd{s->fd, 0, 0});
      }
      pfds[k].events |= ev;
    }
  };
  add(rs, POLLIN);
  add(ws, POLLOUT);
  add(es, POLLOUT | POLLPRI);
  for (const WinFdSet* set : {&rs, &ws, &es})
    for (int h : set->fds)
      if (!lookup(h)) return fail(WSAENOTSOCK);
  int r = poll(pfds.data(), pfds.size(), timeout_ms);
  if (r < 0) return fail(wsa_from_errno(errno));
  std::vector<int> ro, wo, eo;
  for (size_t k = 0; k < pfds.size(); ++k) {
    Sock* s = lookup(handles[k]);
    short re = pfds[k].revents;
    bool failed_connect = false;
    if (s->connecting && (re & (POLLOUT | POLLERR | POLLHUP))) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) {
        failed_connect = true;  // Winsock reports a failed connect in exceptfds only
        s->so_error = wsa_from_errno(err);
      }
      s->connecting = false;
    }
    auto in = [&](const WinFdSet& set) {
      for (int h : set.fds)
        if (h == handles[k]) return true;
      return false;
    };
    if (failed_connect) {
      if (in(es)) eo.push_back(handles[k]);
      continue;
    }
    if (in(rs) && (re & (POLLIN | POLLHUP | POLLERR))) ro.push_back(handles[k]);
    if (in(ws) && (re & POLLOUT)) wo.push_back(handles[k]);
    if (in(es) && (re & POLLPRI)) eo.push_back(handles[k]);
  }
  if (rs.present) write_fdset(a[1], ro);
  if (ws.present) write_fdset(a[2], wo);
  if (es.present) write_fdset(a[3], eo);
  return static_cast<long long>(ro.size() + wo.size() + eo.size());
}

long long setsockopt(DllArg* a, int n) {
  require_dll("ws2_32.dll", "setsockopt");
  Sock* s = n >= 1 ? lookup(a[0].i) : nullptr;
  if (!s) return fail(WSAENOTSOCK);
  if (n < 5) return fail(WSAEINVAL);
  int level = static_cast<int>(a[1].i), opt = static_cast<int>(a[2].i);
  int lopt = map_opt(level, opt);
  if (lopt < 0) return fail(WSAENOPROTOOPT);
  int32_t v = 0;
  if (a[3].p && a[3].cap >= 4) std::memcpy(&v, a[3].p, 4);
  else v = static_cast<int32_t>(a[3].i);
  int r;
  if (lopt == SO_RCVTIMEO || lopt == SO_SNDTIMEO) {
    timeval tv{v / 1000, (v % 1000) * 1000};  // Winsock takes milliseconds
    r = ::setsockopt(s->fd, SOL_SOCKET, lopt, &tv, sizeof tv);
  } else {
    r = ::setsockopt(s->fd, map_level(level), lopt, &v, sizeof v);
  }
  return r == 0 ? 0 : fail(wsa_from_errno(errno));
}

long long getsockopt(DllArg* a, int n) {
  require_dll("ws2_32.dll", "getsockopt");
  Sock* s = n >= 1 ? lookup(a[0].i) : nullptr;
  if (!s) return fail(WSAENOTSOCK);
  if (n < 5 || !need(a, n, 3, 4)) return fail(WSAEFAULT);
  int level = static_cast<int>(a[1].i), opt = static_cast<int>(a[2].i);
  int lopt = map_opt(level, opt);
  if (lopt < 0) return fail(WSAENOPROTOOPT);
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(s->fd, map_level(level), lopt, &v, &len) != 0) return fail(wsa_from_errno(errno));
  if (lopt == SO_ERROR) {
    // Reading SO_ERROR returns and resets the socket's error, on both systems.
    if (v) v = wsa_from_errno(v);
    else if (s->so_error) v = s->so_error;
    s->so_error = 0;
    if (s->connecting) {
      pollfd p{s->fd, POLLOUT, 0};
      if (poll(&p, 1, 0) == 1) s->connecting = false;
    }
  }
  put32(a[3], static_cast<uint32_t>(v));
  if (a[4].p && a[4].cap >= 4) put32(a[4], 4);
  return 0;
}

long long inet_addr(DllArg* a, int n) {
  require_dll("ws2_32.dll", "inet_addr");
  if (n < 1 || !a[0].p) return static_cast<long long>(0xFFFFFFFFu);
  // char*: read bytes up to NUL. A UTF-16 MQL string arrives as "1\0..." just like on Windows.
  std::string txt;
  const char* p = static_cast<const char*>(a[0].p);
  for (size_t i = 0; i < a[0].cap && p[i]; ++i) txt += p[i];
  in_addr addr{};
  if (::inet_aton(txt.c_str(), &addr) == 0) return static_cast<long long>(0xFFFFFFFFu);
  return static_cast<long long>(static_cast<int32_t>(addr.s_addr));
}

// Windows on x86 is little-endian: these always swap.
long long htons(DllArg* a, int n) { return n ? __builtin_bswap16(static_cast<uint16_t>(a[0].i)) : 0; }
long long ntohs(DllArg* a, int n) { return n ? __builtin_bswap16(static_cast<uint16_t>(a[0].i)) : 0; }
long long htonl(DllArg* a, int n) {
  return n ? static_cast<int32_t>(__builtin_bswap32(static_cast<uint32_t>(a[0].i))) : 0;
}
long long ntohl(DllArg* a, int n) {
  return n ? static_cast<int32_t>(__builtin_bswap32(static_cast<uint32_t>(a[0].i))) : 0;
}

long long shutdown(DllArg* a, int n) {
  require_dll("ws2_32.dll", "shutdown");
  Sock* s = n >= 1 ? lookup(a[0].i) : nullptr;
  if (!s) return fail(WSAENOTSOCK);
  int how = n >= 2 ? static_cast<int>(a[1].i) : 2;
  return ::shutdown(s->fd, how) == 0 ? 0 : fail(wsa_from_errno(errno));
}

long long bind(DllArg* a, int n) {
  require_dll("ws2_32.dll", "bind");
  Sock* s = n >= 1 ? lookup(a[0].i) : nullptr;
  if (!s) return fail(WSAENOTSOCK);
  if (!need(a, n, 1, 8)) return fail(WSAEFAULT);
  sockaddr_in sa{};
  std::memcpy(&sa, a[1].p, std::min(sizeof sa, a[1].cap));
  sa.sin_family = AF_INET;
  return ::bind(s->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 ? 0 : fail(wsa_from_errno(errno));
}

long long listen(DllArg* a, int n) {
  require_dll("ws2_32.dll", "listen");
  Sock* s = n >= 1 ? lookup(a[0].i) : nullptr;
  if (!s) return fail(WSAENOTSOCK);
  return ::listen(s->fd, n >= 2 ? static_cast<int>(a[1].i) : 5) == 0 ? 0 : fail(wsa_from_errno(errno));
}

long long accept(DllArg* a, int n) {
  require_dll("ws2_32.dll", "accept");
  Sock* s = n >= 1 ? lookup(a[0].i) : nullptr;
  if (!s) return fail(WSAENOTSOCK), kINVALID;
  int fd = ::accept4(s->fd, nullptr, nullptr, SOCK_CLOEXEC | (s->nonblocking ? SOCK_NONBLOCK : 0));
  if (fd < 0) {
    g_wsa_error = wsa_from_errno(errno);
    return kINVALID;
  }
  g_socks[fd] = Sock{fd, s->nonblocking};
  return fd;
}

}  // namespace ws2_32

namespace kernel32 {
long long GetTickCount(DllArg*, int) {
  require_dll("kernel32.dll", "GetTickCount");
  return static_cast<uint32_t>(now_us() / 1000);
}
long long GetTickCount64(DllArg*, int) {
  require_dll("kernel32.dll", "GetTickCount64");
  return now_us() / 1000;
}
long long Sleep(DllArg* a, int n) {
  require_dll("kernel32.dll", "Sleep");
  mql4api::Sleep(n ? static_cast<int>(a[0].i) : 0);
  return 0;
}
long long GetCurrentProcessId(DllArg*, int) {
  require_dll("kernel32.dll", "GetCurrentProcessId");
  return getpid();
}
long long GetCurrentThreadId(DllArg*, int) {
  require_dll("kernel32.dll", "GetCurrentThreadId");
  return getpid();
}
}  // namespace kernel32
}  // namespace dll
}  // namespace mql
