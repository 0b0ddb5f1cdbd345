//+------------------------------------------------------------------+
//| Winsock.mqh: the ws2_32.dll imports and small non-blocking       |
//| socket helpers. MT4 is a 32-bit process: a SOCKET is 32 bits.    |
//| Needs "Allow DLL imports"; callers check IsDllsAllowed() first.  |
//+------------------------------------------------------------------+
#property strict

#define SOCK_INVALID        -1
#define SOCK_AF_INET        2
#define SOCK_STREAM_TYPE    1
#define SOCK_IPPROTO_TCP    6
#define SOCK_TCP_NODELAY    1
#define SOCK_SOL_SOCKET     0xFFFF
#define SOCK_SO_ERROR       0x1007
#define SOCK_FIONBIO        0x8004667E
#define SOCK_SD_SEND        1

#define WSAEWOULDBLOCK      10035
#define WSAEINPROGRESS      10036
#define WSAEALREADY         10037
#define WSAEISCONN          10056
#define WSAECONNREFUSED     10061
#define WSAETIMEDOUT        10060

#import "ws2_32.dll"
int WSAStartup(ushort wVersionRequested, uchar &lpWSAData[]);
int WSACleanup();
int socket(int af, int type, int protocol);
int connect(int s, uchar &name[], int namelen);
int send(int s, uchar &buf[], int len, int flags);
int recv(int s, uchar &buf[], int len, int flags);
int closesocket(int s);
int shutdown(int s, int how);
int ioctlsocket(int s, uint cmd, uint &argp);
int setsockopt(int s, int level, int optname, int &optval, int optlen);
int getsockopt(int s, int level, int optname, int &optval, int &optlen);
int select(int nfds, int readfds, int &writefds[], int &exceptfds[], int &timeout[]);   // readfds: always NULL
int WSAGetLastError();
#import

bool g_wsa_started = false;

bool SockStartup()
  {
   if(g_wsa_started)
      return true;
   uchar wsadata[];
   ArrayResize(wsadata, 512);
   int rc = WSAStartup(0x0202, wsadata);
   if(rc != 0)
     {
      LogError("WSAStartup failed with " + IntegerToString(rc));
      return false;
     }
   g_wsa_started = true;
   return true;
  }

void SockCleanup()
  {
   if(g_wsa_started)
      WSACleanup();
   g_wsa_started = false;
  }

// Starts a non-blocking TCP connect to ip (4 bytes) and port.
// Returns the socket, or SOCK_INVALID with err set. `pending` tells whether the
// connect is still in progress (poll it with SockPollConnect).
int SockConnectStart(const int &ip[], int port, bool &pending, int &err)
  {
   pending = false;
   err = 0;
   int s = socket(SOCK_AF_INET, SOCK_STREAM_TYPE, SOCK_IPPROTO_TCP);
   if(s == SOCK_INVALID || s == 0)
     {
      err = WSAGetLastError();
      return SOCK_INVALID;
     }
   uint nb = 1;
   if(ioctlsocket(s, SOCK_FIONBIO, nb) != 0)
     {
      err = WSAGetLastError();
      closesocket(s);
      return SOCK_INVALID;
     }
   int one = 1;
   setsockopt(s, SOCK_IPPROTO_TCP, SOCK_TCP_NODELAY, one, 4);
   uchar addr[];
   ArrayResize(addr, 16);
   for(int z = 0; z < 16; z++)
      addr[z] = 0;                           // (ArrayInitialize has no uchar overload)
   addr[0] = (uchar)SOCK_AF_INET;            // sin_family, little endian
   addr[1] = 0;
   addr[2] = (uchar)((port >> 8) & 0xFF);    // sin_port, network order
   addr[3] = (uchar)(port & 0xFF);
   for(int i = 0; i < 4; i++)
      addr[4 + i] = (uchar)(ip[i] & 0xFF);   // sin_addr, network order
   int rc = connect(s, addr, 16);
   if(rc == 0)
      return s;
   err = WSAGetLastError();
   if(err == WSAEWOULDBLOCK || err == WSAEINPROGRESS || err == WSAEALREADY)
     {
      pending = true;
      err = 0;
      return s;
     }
   closesocket(s);
   return SOCK_INVALID;
  }

// Polls a pending connect without waiting: 1 connected, 0 still pending,
// -1 failed (err set).
int SockPollConnect(int s, int &err)
  {
   err = 0;
   int wr[2];
   int ex[2];
   int tv[2];
   wr[0] = 1;                 // fd_set: count, then the sockets
   wr[1] = s;
   ex[0] = 1;
   ex[1] = s;
   tv[0] = 0;                 // timeval {0 s, 0 us}: do not wait
   tv[1] = 0;
   int rc = select(0, 0, wr, ex, tv);   // no read set: NULL, not an empty fd_set
   if(rc < 0)
     {
      err = WSAGetLastError();
      return -1;
     }
   if(rc == 0)
      return 0;
   int soerr = 0;
   int len = 4;
   getsockopt(s, SOCK_SOL_SOCKET, SOCK_SO_ERROR, soerr, len);
   if(ex[0] > 0 || soerr != 0)
     {
      err = (soerr != 0 ? soerr : WSAECONNREFUSED);
      return -1;
     }
   if(wr[0] > 0)
      return 1;
   return 0;
  }

// Sends up to len bytes of buf. Returns bytes sent (0 when the socket would
// block) or -1 on error (err set).
int SockSend(int s, uchar &buf[], int len, int &err)
  {
   err = 0;
   if(len <= 0)
      return 0;
   int rc = send(s, buf, len, 0);
   if(rc >= 0)
      return rc;
   err = WSAGetLastError();
   if(err == WSAEWOULDBLOCK)
     {
      err = 0;
      return 0;
     }
   return -1;
  }

// Receives into buf. Returns bytes read, 0 when nothing is there yet, -1 when
// the peer closed the connection, -2 on error (err set).
int SockRecv(int s, uchar &buf[], int maxlen, int &err)
  {
   err = 0;
   int rc = recv(s, buf, maxlen, 0);
   if(rc > 0)
      return rc;
   if(rc == 0)
      return -1;
   err = WSAGetLastError();
   if(err == WSAEWOULDBLOCK)
     {
      err = 0;
      return 0;
     }
   return -2;
  }

void SockClose(int s)
  {
   if(s == SOCK_INVALID)
      return;
   shutdown(s, SOCK_SD_SEND);
   closesocket(s);
  }

// "127.0.0.1" -> {127,0,0,1}; "localhost" maps to 127.0.0.1.
bool ParseIPv4(string host, int &ip[])
  {
   ArrayResize(ip, 4);
   if(ToLowerAscii(host) == "localhost")
     {
      ip[0] = 127;
      ip[1] = 0;
      ip[2] = 0;
      ip[3] = 1;
      return true;
     }
   string parts[];
   if(StringSplit(host, '.', parts) != 4)
      return false;
   for(int i = 0; i < 4; i++)
     {
      long v = 0;
      if(StringLen(parts[i]) == 0 || StringLen(parts[i]) > 3 || StringGetCharacter(parts[i], 0) == '-')
         return false;
      if(!ParseIntStrict(parts[i], v) || v < 0 || v > 255)
         return false;
      ip[i] = (int)v;
     }
   return true;
  }

string WsaErrorText(int err)
  {
   if(err == WSAECONNREFUSED)
      return "connection refused (is the gateway running?)";
   if(err == WSAETIMEDOUT)
      return "connection timed out";
   if(err == 10054)
      return "connection reset by the gateway";
   if(err == 10053)
      return "connection aborted";
   if(err == 10051 || err == 10065)
      return "network unreachable";
   return "socket error " + IntegerToString(err);
  }
//+------------------------------------------------------------------+
