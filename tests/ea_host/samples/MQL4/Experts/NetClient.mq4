//+------------------------------------------------------------------+
//| Test EA: non-blocking Winsock client through ws2_32.dll imports. |
//| Connects to 127.0.0.1:Port, sends "ping <n>\n", expects "pong".  |
//+------------------------------------------------------------------+
#property strict

#import "ws2_32.dll"
int WSAStartup(ushort ver, uchar &data[]);
int WSACleanup();
int socket(int af, int type, int protocol);
int connect(int s, uchar &name[], int namelen);
int send(int s, uchar &buf[], int len, int flags);
int recv(int s, uchar &buf[], int len, int flags);
int closesocket(int s);
int ioctlsocket(int s, uint cmd, uint &argp);
int select(int nfds, int &readfds[], int &writefds[], int &exceptfds[], int &timeout[]);
int getsockopt(int s, int level, int optname, int &optval, int &optlen);
ushort htons(ushort v);
int WSAGetLastError();
#import

#define FIONBIO 0x8004667E
#define WSAEWOULDBLOCK 10035

input int Port = 0;
input int RefusedPort = 0;

int  g_sock = -1;
int  g_state = 0;   // 0 connecting, 1 connected, 2 done
int  g_sent = 0;
string g_rx = "";

void SockAddr(uchar &sa[], int port)
  {
   ArrayResize(sa, 16);
   ArrayInitialize(sa, 0);
   sa[0] = 2;                       // AF_INET, little-endian short
   ushort p = htons((ushort)port);
   sa[2] = (uchar)(p & 0xFF);
   sa[3] = (uchar)(p >> 8);
   sa[4] = 127;
   sa[7] = 1;
  }

int StartConnect(int port)
  {
   int s = socket(2, 1, 6);
   uint nb = 1;
   ioctlsocket(s, FIONBIO, nb);
   uchar sa[];
   SockAddr(sa, port);
   int rc = connect(s, sa, 16);
   int err = WSAGetLastError();
   Print("connect rc ", rc, " err ", err);
   return s;
  }

// 1 writable, -1 failed (exceptfds), 0 not yet
int Poll(int s, int &err)
  {
   int rd[2], wr[2], ex[2], tv[2] = {0, 0};
   rd[0] = 0;
   wr[0] = 1; wr[1] = s;
   ex[0] = 1; ex[1] = s;
   int n = select(0, rd, wr, ex, tv);
   if(n < 0) { err = WSAGetLastError(); return -1; }
   if(ex[0] == 1) { int len = 4; getsockopt(s, 0xFFFF, 0x1007, err, len); return -1; }
   return wr[0] == 1 ? 1 : 0;
  }

int OnInit()
  {
   uchar wsa[];
   ArrayResize(wsa, 400);
   if(WSAStartup(0x0202, wsa) != 0) return(INIT_FAILED);
   if(RefusedPort > 0)
     {
      int s = StartConnect(RefusedPort);
      int err = 0;
      for(int i = 0; i < 200; i++)
        {
         int r = Poll(s, err);
         if(r != 0) { Print("refused result ", r, " err ", err); break; }
         Sleep(5);
        }
      closesocket(s);
     }
   g_sock = StartConnect(Port);
   EventSetMillisecondTimer(10);
   return(INIT_SUCCEEDED);
  }

void OnDeinit(const int reason)
  {
   if(g_sock >= 0) closesocket(g_sock);
   WSACleanup();
  }

void OnTimer()
  {
   int err = 0;
   if(g_state == 0)
     {
      int r = Poll(g_sock, err);
      if(r < 0) { Print("connect failed ", err); g_state = 2; return; }
      if(r == 0) return;
      g_state = 1;
      Print("connected");
      uchar out[];
      int n = StringToCharArray("ping 1\n", out, 0, 7);
      int sent = send(g_sock, out, n, 0);
      Print("sent ", sent);
      return;
     }
   if(g_state == 1)
     {
      uchar buf[];
      ArrayResize(buf, 64);
      int got = recv(g_sock, buf, 64, 0);
      if(got < 0)
        {
         err = WSAGetLastError();
         if(err != WSAEWOULDBLOCK) { Print("recv error ", err); g_state = 2; }
         return;
        }
      if(got == 0) { Print("peer closed"); g_state = 2; return; }
      g_rx += CharArrayToString(buf, 0, got);
      if(StringFind(g_rx, "\n") >= 0)
        {
         Print("received ", StringSubstr(g_rx, 0, StringFind(g_rx, "\n")));
         g_state = 2;
        }
     }
  }
