"""DLL imports the runtime implements (ea/host/runtime/dll_*.cpp).

MT4 resolves `#import "ws2_32.dll"` functions by name at load time; we do the same at build
time and fail naming the function when the runtime has no implementation for it. Keep in sync
with `mql::dll::<dll>::<name>` in runtime/dll.hpp (a test checks that).
"""

from __future__ import annotations

KNOWN_DLLS: dict[str, set[str]] = {
    "ws2_32": {
        "WSAStartup", "WSACleanup", "WSAGetLastError", "WSASetLastError", "socket", "connect",
        "send", "recv", "closesocket", "ioctlsocket", "select", "setsockopt", "getsockopt",
        "inet_addr", "htons", "ntohs", "htonl", "ntohl", "shutdown", "bind", "listen",
        "accept",
    },
    "kernel32": {"GetTickCount", "GetTickCount64", "Sleep", "GetCurrentProcessId",
                 "GetCurrentThreadId"},
}


def normalize_dll(name: str) -> str:
    """`WS2_32.DLL`, `ws2_32.dll` and `ws2_32` name the same library on Windows."""
    n = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return n[:-4] if n.endswith(".dll") else n
