//+------------------------------------------------------------------+
//| WebSocket.mqh: RFC 6455 client over non-blocking Winsock.        |
//| ws:// to an IPv4 address or localhost only. wss:// (TLS) is out  |
//| of scope: the gateway listens on loopback and MQL4 has no TLS    |
//| without a DLL of our own.                                        |
//| Nothing here blocks: WsPoll() does whatever I/O is possible now   |
//| and returns; unsent bytes wait in the outbox for the next poll.  |
//+------------------------------------------------------------------+
#property strict

#define WS_ST_CLOSED            0
#define WS_ST_TCP               1   // TCP connect in progress
#define WS_ST_HANDSHAKE         2   // HTTP upgrade sent, waiting for 101
#define WS_ST_OPEN              3
#define WS_ST_CLOSING           4   // our close frame sent, waiting for the server's

#define WS_OP_CONT              0
#define WS_OP_TEXT              1
#define WS_OP_BINARY            2
#define WS_OP_CLOSE             8
#define WS_OP_PING              9
#define WS_OP_PONG              10

#define WS_MAX_MESSAGE          4194304    // 4 MB: more is refused with close 1009
#define WS_MAX_HEADER           16384
#define WS_MAX_OUTBOX           16777216   // unsent bytes before we give up on the peer
#define WS_RECV_CHUNK           65536
#define WS_SEND_CHUNK           65536
#define WS_CONNECT_TIMEOUT_MS   5000
#define WS_HANDSHAKE_TIMEOUT_MS 10000
#define WS_CLOSE_TIMEOUT_MS     1000
#define WS_PING_IDLE_MS         20000
#define WS_DEAD_MS              60000

int    g_ws_state = WS_ST_CLOSED;
int    g_ws_sock = SOCK_INVALID;
int    g_ws_ip[4];
int    g_ws_port = 80;
string g_ws_host = "";
string g_ws_path = "/";
string g_ws_token = "";
string g_ws_key = "";
string g_ws_accept = "";
long   g_ws_t_state = 0;      // when the current state began
long   g_ws_last_rx = 0;
long   g_ws_last_ping = 0;
string g_ws_error = "";
int    g_ws_close_code = 0;   // code of the last close frame from the server

uchar  g_ws_out[];
int    g_ws_out_len = 0;
int    g_ws_out_off = 0;
uchar  g_ws_in[];
int    g_ws_in_len = 0;
int    g_ws_in_off = 0;
uchar  g_ws_frag[];
int    g_ws_frag_len = 0;
int    g_ws_frag_op = 0;      // opcode of the fragmented message in progress, 0 none
uchar  g_ws_rbuf[];
uchar  g_ws_sbuf[];
string g_ws_inbox[];
int    g_ws_inbox_n = 0;

bool WsIsOpen()
  {
   return g_ws_state == WS_ST_OPEN;
  }

bool WsIsIdle()
  {
   return g_ws_state == WS_ST_CLOSED;
  }

// Parses ws://host[:port][/path] and remembers where to connect. The agent id is
// appended to the path as one more segment.
bool WsSetUrl(string url, string agent_id, string token, string &err)
  {
   url = Trim(url);
   string low = ToLowerAscii(url);
   if(StartsWith(low, "wss://"))
     {
      err = "wss:// is not supported by the EA (no TLS in MQL4): use ws://127.0.0.1:<port>/mt4";
      return false;
     }
   if(!StartsWith(low, "ws://"))
     {
      err = "gateway_url must start with ws:// (got '" + url + "')";
      return false;
     }
   string rest = StringSubstr(url, 5);
   int slash = StringFind(rest, "/");
   string hostport = (slash < 0 ? rest : StringSubstr(rest, 0, slash));
   string path = (slash < 0 ? "/" : StringSubstr(rest, slash));
   if(StringFind(hostport, "@") >= 0 || StringFind(hostport, "[") >= 0)
     {
      err = "gateway_url: only an IPv4 address or localhost is supported";
      return false;
     }
   string host = hostport;
   int port = 80;
   int colon = StringFind(hostport, ":");
   if(colon >= 0)
     {
      host = StringSubstr(hostport, 0, colon);
      long p = 0;
      if(!ParseIntStrict(StringSubstr(hostport, colon + 1), p) || p < 1 || p > 65535)
        {
         err = "gateway_url has a bad port: '" + hostport + "'";
         return false;
        }
      port = (int)p;
     }
   int ip[];
   if(!ParseIPv4(host, ip))
     {
      err = "gateway_url host '" + host + "' is not an IPv4 address or localhost (host names are not resolved)";
      return false;
     }
   for(int i = 0; i < 4; i++)
      g_ws_ip[i] = ip[i];
   g_ws_port = port;
   g_ws_host = host + (port == 80 ? "" : ":" + IntegerToString(port));
   while(StringLen(path) > 1 && StringGetCharacter(path, StringLen(path) - 1) == '/')
      path = StringSubstr(path, 0, StringLen(path) - 1);
   if(path == "/")
      path = "";
   g_ws_path = path + "/" + agent_id;
   g_ws_token = token;
   return true;
  }

void WsResetBuffers()
  {
   g_ws_out_len = 0;
   g_ws_out_off = 0;
   g_ws_in_len = 0;
   g_ws_in_off = 0;
   g_ws_frag_len = 0;
   g_ws_frag_op = 0;
   g_ws_close_code = 0;
  }

void WsSetState(int st)
  {
   g_ws_state = st;
   g_ws_t_state = NowMs();
  }

// Drops the connection at once (no close handshake) and records why.
void WsFail(string err)
  {
   if(g_ws_sock != SOCK_INVALID)
      SockClose(g_ws_sock);
   g_ws_sock = SOCK_INVALID;
   if(err != "")
     {
      g_ws_error = err;
      Log("connection: " + err);
     }
   WsSetState(WS_ST_CLOSED);
   WsResetBuffers();
  }

//--- outbox -------------------------------------------------------------
void WsOutAppend(const uchar &data[], int start, int n)
  {
   if(n <= 0)
      return;
   if(g_ws_out_off > 0 && g_ws_out_off == g_ws_out_len)
     {
      g_ws_out_off = 0;
      g_ws_out_len = 0;
     }
   int need = g_ws_out_len + n;
   if(ArraySize(g_ws_out) < need)
      ArrayResize(g_ws_out, need, 65536);
   ArrayCopy(g_ws_out, data, g_ws_out_len, start, n);
   g_ws_out_len = need;
  }

int WsOutPending()
  {
   return g_ws_out_len - g_ws_out_off;
  }

// Sends what the socket takes now; keeps the rest for the next call.
void WsFlush()
  {
   if(g_ws_sock == SOCK_INVALID || g_ws_state == WS_ST_TCP || g_ws_state == WS_ST_CLOSED)
      return;
   if(ArraySize(g_ws_sbuf) < WS_SEND_CHUNK)
      ArrayResize(g_ws_sbuf, WS_SEND_CHUNK);
   for(int guard = 0; guard < 256 && g_ws_out_off < g_ws_out_len; guard++)
     {
      int chunk = g_ws_out_len - g_ws_out_off;
      if(chunk > WS_SEND_CHUNK)
         chunk = WS_SEND_CHUNK;
      ArrayCopy(g_ws_sbuf, g_ws_out, 0, g_ws_out_off, chunk);
      int err = 0;
      int sent = SockSend(g_ws_sock, g_ws_sbuf, chunk, err);
      if(sent < 0)
        {
         WsFail("send failed: " + WsaErrorText(err));
         return;
        }
      g_ws_out_off += sent;
      if(sent < chunk)
         break;   // the socket buffer is full: the rest goes on a later tick
     }
   if(g_ws_out_off == g_ws_out_len)
     {
      g_ws_out_off = 0;
      g_ws_out_len = 0;
     }
   else
      if(g_ws_out_off > 1048576)
        {
         int rem = g_ws_out_len - g_ws_out_off;
         uchar tmp[];
         ArrayResize(tmp, rem);
         ArrayCopy(tmp, g_ws_out, 0, g_ws_out_off, rem);
         ArrayCopy(g_ws_out, tmp, 0, 0, rem);
         g_ws_out_off = 0;
         g_ws_out_len = rem;
        }
   if(WsOutPending() > WS_MAX_OUTBOX)
      WsFail("the gateway is not reading: more than 16 MB unsent");
  }

// Appends one masked frame (RFC 6455 5.2/5.3: every client frame is masked).
void WsFrameOut(int opcode, const uchar &payload[], int plen)
  {
   uchar hdr[14];
   int h = 0;
   hdr[h++] = (uchar)(0x80 | (opcode & 0x0F));
   if(plen < 126)
      hdr[h++] = (uchar)(0x80 | plen);
   else
      if(plen <= 65535)
        {
         hdr[h++] = (uchar)(0x80 | 126);
         hdr[h++] = (uchar)((plen >> 8) & 0xFF);
         hdr[h++] = (uchar)(plen & 0xFF);
        }
      else
        {
         hdr[h++] = (uchar)(0x80 | 127);
         long L = plen;
         for(int s = 7; s >= 0; s--)
            hdr[h++] = (uchar)((L >> (8 * s)) & 0xFF);
        }
   uchar mask[4];
   for(int m = 0; m < 4; m++)
     {
      mask[m] = (uchar)RandomByte();
      hdr[h++] = mask[m];
     }
   WsOutAppend(hdr, 0, h);
   if(plen > 0)
     {
      uchar body[];
      ArrayResize(body, plen);
      for(int i = 0; i < plen; i++)
         body[i] = (uchar)(payload[i] ^ mask[i & 3]);
      WsOutAppend(body, 0, plen);
     }
  }

bool WsSendText(string text)
  {
   if(g_ws_state != WS_ST_OPEN)
      return false;
   uchar bytes[];
   int n = Utf8Bytes(text, bytes);
   WsFrameOut(WS_OP_TEXT, bytes, n);
   return true;
  }

void WsSendClose(int code, string reason)
  {
   uchar r[];
   int rn = Utf8Bytes(reason, r);
   if(rn > 120)
      rn = 120;
   uchar p[];
   ArrayResize(p, 2 + rn);
   p[0] = (uchar)((code >> 8) & 0xFF);
   p[1] = (uchar)(code & 0xFF);
   for(int i = 0; i < rn; i++)
      p[2 + i] = r[i];
   WsFrameOut(WS_OP_CLOSE, p, 2 + rn);
  }

//--- connect and handshake ---------------------------------------------
void WsBeginHandshake()
  {
   g_ws_key = WsNewKey();
   g_ws_accept = WsAcceptFor(g_ws_key);
   string req = "GET " + g_ws_path + " HTTP/1.1\r\n"
                + "Host: " + g_ws_host + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + g_ws_key + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "Authorization: Bearer " + g_ws_token + "\r\n"
                + "User-Agent: MT4Companion-EA\r\n"
                + "\r\n";
   uchar bytes[];
   int n = Utf8Bytes(req, bytes);
   WsSetState(WS_ST_HANDSHAKE);
   WsOutAppend(bytes, 0, n);
   WsFlush();
  }

bool WsConnect()
  {
   if(g_ws_state != WS_ST_CLOSED)
      return false;
   WsResetBuffers();
   bool pending = false;
   int err = 0;
   g_ws_sock = SockConnectStart(g_ws_ip, g_ws_port, pending, err);
   if(g_ws_sock == SOCK_INVALID)
     {
      WsFail("connect failed: " + WsaErrorText(err));
      return false;
     }
   g_ws_last_rx = NowMs();
   if(pending)
     {
      WsSetState(WS_ST_TCP);
      return true;
     }
   WsBeginHandshake();
   return true;
  }

// Returns 1 when the 101 reply is complete and valid, 0 when more bytes are
// needed, -1 when the connection must be dropped (g_ws_error says why).
int WsTryHandshake()
  {
   int end = -1;
   for(int i = g_ws_in_off; i + 3 < g_ws_in_len; i++)
     {
      if(g_ws_in[i] == 13 && g_ws_in[i + 1] == 10 && g_ws_in[i + 2] == 13 && g_ws_in[i + 3] == 10)
        {
         end = i;
         break;
        }
     }
   if(end < 0)
     {
      if(g_ws_in_len - g_ws_in_off > WS_MAX_HEADER)
        {
         WsFail("handshake: reply header too long");
         return -1;
        }
      return 0;
     }
   string head = CharArrayToString(g_ws_in, g_ws_in_off, end - g_ws_in_off, CP_UTF8);
   g_ws_in_off = end + 4;
   string lines[];
   int nl = StringSplit(head, '\n', lines);
   if(nl < 1)
     {
      WsFail("handshake: empty reply");
      return -1;
     }
   string status = Trim(lines[0]);
   string parts[];
   int np = StringSplit(status, ' ', parts);
   if(np < 2 || !StartsWith(status, "HTTP/1."))
     {
      WsFail("handshake: not an HTTP reply: '" + StringSubstr(status, 0, 60) + "'");
      return -1;
     }
   if(parts[1] != "101")
     {
      string why = "the gateway refused the connection: HTTP " + StringSubstr(status, 9, 60);
      if(parts[1] == "401" || parts[1] == "403")
         why += " (check the token)";
      WsFail(why);
      return -1;
     }
   bool up = false, conn = false, acc = false;
   for(int k = 1; k < nl; k++)
     {
      string line = Trim(lines[k]);
      int c = StringFind(line, ":");
      if(c <= 0)
         continue;
      string name = ToLowerAscii(Trim(StringSubstr(line, 0, c)));
      string value = Trim(StringSubstr(line, c + 1));
      if(name == "upgrade")
         up = (ToLowerAscii(value) == "websocket");
      else
         if(name == "connection")
            conn = (StringFind(ToLowerAscii(value), "upgrade") >= 0);
         else
            if(name == "sec-websocket-accept")
               acc = (value == g_ws_accept);
            else
               if(name == "sec-websocket-extensions" || name == "sec-websocket-protocol")
                 {
                  WsFail("handshake: the gateway chose " + name + " we did not offer");
                  return -1;
                 }
     }
   if(!acc)
     {
      WsFail("handshake: missing or wrong Sec-WebSocket-Accept");
      return -1;
     }
   if(!up || !conn)
     {
      WsFail("handshake: 101 without Upgrade: websocket / Connection: Upgrade");
      return -1;
     }
   WsSetState(WS_ST_OPEN);
   g_ws_error = "";
   g_ws_last_rx = NowMs();
   g_ws_last_ping = NowMs();
   return 1;
  }

//--- incoming frames -----------------------------------------------------
void WsInboxPush(string msg)
  {
   if(ArraySize(g_ws_inbox) <= g_ws_inbox_n)
      ArrayResize(g_ws_inbox, g_ws_inbox_n + 1, 16);
   g_ws_inbox[g_ws_inbox_n] = msg;
   g_ws_inbox_n++;
  }

bool WsPop(string &msg)
  {
   if(g_ws_inbox_n <= 0)
      return false;
   msg = g_ws_inbox[0];
   for(int i = 1; i < g_ws_inbox_n; i++)
      g_ws_inbox[i - 1] = g_ws_inbox[i];
   g_ws_inbox_n--;
   g_ws_inbox[g_ws_inbox_n] = "";
   return true;
  }

void WsProtocolError(int code, string why)
  {
   if(g_ws_state == WS_ST_OPEN)
     {
      WsSendClose(code, why);
      WsFlush();
     }
   WsFail("protocol error from the gateway: " + why);
  }

// Parses one frame at g_ws_in_off. Returns 1 when a frame was consumed, 0 when
// more bytes are needed, -1 when the connection was dropped.
int WsParseFrame()
  {
   int p = g_ws_in_off;
   int avail = g_ws_in_len - p;
   if(avail < 2)
      return 0;
   int b0 = g_ws_in[p];
   int b1 = g_ws_in[p + 1];
   bool fin = ((b0 & 0x80) != 0);
   int op = b0 & 0x0F;
   int hl = 2;
   long plen = b1 & 0x7F;
   if((b0 & 0x70) != 0)
     {
      WsProtocolError(1002, "reserved bits set");
      return -1;
     }
   if((b1 & 0x80) != 0)
     {
      WsProtocolError(1002, "masked frame from server");
      return -1;
     }
   if(plen == 126)
     {
      if(avail < 4)
         return 0;
      plen = ((long)g_ws_in[p + 2] << 8) | (long)g_ws_in[p + 3];
      hl = 4;
     }
   else
      if(plen == 127)
        {
         if(avail < 10)
            return 0;
         plen = 0;
         for(int i = 0; i < 8; i++)
            plen = (plen << 8) | (long)g_ws_in[p + 2 + i];
         hl = 10;
        }
   if(plen < 0 || plen > WS_MAX_MESSAGE)
     {
      WsProtocolError(1009, "frame too large");
      return -1;
     }
   bool control = (op >= 8);
   if(control && (!fin || plen > 125))
     {
      WsProtocolError(1002, "bad control frame");
      return -1;
     }
   if(avail < hl + plen)
      return 0;   // partial frame: wait for the rest
   int start = p + hl;
   int n = (int)plen;
   g_ws_in_off = start + n;
   if(op == WS_OP_PING)
     {
      uchar pl[];
      ArrayResize(pl, n);
      if(n > 0)
         ArrayCopy(pl, g_ws_in, 0, start, n);
      if(g_ws_state == WS_ST_OPEN)
         WsFrameOut(WS_OP_PONG, pl, n);
      return 1;
     }
   if(op == WS_OP_PONG)
      return 1;
   if(op == WS_OP_CLOSE)
     {
      int code = 1005;
      string reason = "";
      if(n >= 2)
        {
         code = (g_ws_in[start] << 8) | g_ws_in[start + 1];
         reason = Utf8String(g_ws_in, start + 2, n - 2);
        }
      g_ws_close_code = code;
      if(g_ws_state == WS_ST_OPEN)
        {
         WsSendClose(code == 1005 ? 1000 : code, "");
         WsFlush();
        }
      WsFail("the gateway closed the connection (" + IntegerToString(code) + (reason == "" ? "" : " " + reason) + ")");
      return -1;
     }
   if(op == WS_OP_TEXT || op == WS_OP_BINARY)
     {
      if(g_ws_frag_op != 0)
        {
         WsProtocolError(1002, "new message inside a fragmented one");
         return -1;
        }
      if(fin)
        {
         if(op == WS_OP_TEXT)
           {
            if(!Utf8Valid(g_ws_in, start, n))
              {
               WsProtocolError(1007, "a text message that is not valid UTF-8");
               return -1;
              }
            WsInboxPush(Utf8String(g_ws_in, start, n));
           }
         else
            Log("ignored a binary message of " + IntegerToString(n) + " bytes");
         return 1;
        }
      g_ws_frag_op = op;
      g_ws_frag_len = 0;
     }
   else
      if(op == WS_OP_CONT)
        {
         if(g_ws_frag_op == 0)
           {
            WsProtocolError(1002, "continuation without a message");
            return -1;
           }
        }
      else
        {
         WsProtocolError(1002, "unknown opcode " + IntegerToString(op));
         return -1;
        }
   // a fragment: collect it
   if(g_ws_frag_len + n > WS_MAX_MESSAGE)
     {
      WsProtocolError(1009, "message too large");
      return -1;
     }
   if(ArraySize(g_ws_frag) < g_ws_frag_len + n)
      ArrayResize(g_ws_frag, g_ws_frag_len + n, 65536);
   if(n > 0)
      ArrayCopy(g_ws_frag, g_ws_in, g_ws_frag_len, start, n);
   g_ws_frag_len += n;
   if(fin)
     {
      if(g_ws_frag_op == WS_OP_TEXT)
        {
         if(!Utf8Valid(g_ws_frag, 0, g_ws_frag_len))
           {
            WsProtocolError(1007, "a text message that is not valid UTF-8");
            return -1;
           }
         WsInboxPush(Utf8String(g_ws_frag, 0, g_ws_frag_len));
        }
      else
         Log("ignored a fragmented binary message");
      g_ws_frag_op = 0;
      g_ws_frag_len = 0;
     }
   return 1;
  }

void WsCompactIn()
  {
   if(g_ws_in_off <= 0)
      return;
   int rem = g_ws_in_len - g_ws_in_off;
   if(rem > 0)
     {
      uchar tmp[];
      ArrayResize(tmp, rem);
      ArrayCopy(tmp, g_ws_in, 0, g_ws_in_off, rem);
      ArrayCopy(g_ws_in, tmp, 0, 0, rem);
     }
   g_ws_in_len = rem;
   g_ws_in_off = 0;
  }

// Reads what has arrived and handles it. Returns false when the connection ended.
bool WsReadAvailable()
  {
   if(ArraySize(g_ws_rbuf) < WS_RECV_CHUNK)
      ArrayResize(g_ws_rbuf, WS_RECV_CHUNK);
   bool peer_closed = false;
   for(int guard = 0; guard < 64; guard++)
     {
      int err = 0;
      int n = SockRecv(g_ws_sock, g_ws_rbuf, WS_RECV_CHUNK, err);
      if(n == 0)
         break;
      if(n == -1)
        {
         peer_closed = true;
         break;
        }
      if(n < 0)
        {
         WsFail("receive failed: " + WsaErrorText(err));
         return false;
        }
      if(ArraySize(g_ws_in) < g_ws_in_len + n)
         ArrayResize(g_ws_in, g_ws_in_len + n, 65536);
      ArrayCopy(g_ws_in, g_ws_rbuf, g_ws_in_len, 0, n);
      g_ws_in_len += n;
      g_ws_last_rx = NowMs();
      if(g_ws_in_len - g_ws_in_off > WS_MAX_MESSAGE + 16)
         break;   // handle what we have before reading more
     }
   if(g_ws_state == WS_ST_HANDSHAKE)
     {
      int hs = WsTryHandshake();
      if(hs < 0)
         return false;
      if(hs == 0 && peer_closed)
        {
         WsFail("the gateway closed the connection during the handshake");
         return false;
        }
     }
   if(g_ws_state == WS_ST_OPEN || g_ws_state == WS_ST_CLOSING)
     {
      for(int guard2 = 0; guard2 < 100000; guard2++)
        {
         int r = WsParseFrame();
         if(r < 0)
            return false;
         if(r == 0)
            break;
        }
     }
   WsCompactIn();
   if(peer_closed)
     {
      WsFail(g_ws_state == WS_ST_CLOSING ? "" : "the gateway dropped the connection");
      return false;
     }
   return true;
  }

// Does all the I/O that is possible right now. Call it every timer tick.
void WsPoll()
  {
   long now = NowMs();
   if(g_ws_state == WS_ST_CLOSED)
      return;
   if(g_ws_state == WS_ST_TCP)
     {
      int err = 0;
      int r = SockPollConnect(g_ws_sock, err);
      if(r < 0)
        {
         WsFail("connect failed: " + WsaErrorText(err));
         return;
        }
      if(r == 0)
        {
         if(now - g_ws_t_state > WS_CONNECT_TIMEOUT_MS)
            WsFail("connect timed out");
         return;
        }
      WsBeginHandshake();
      if(g_ws_state != WS_ST_HANDSHAKE)
         return;
     }
   WsFlush();
   if(g_ws_state == WS_ST_CLOSED)
      return;
   if(!WsReadAvailable())
      return;
   if(g_ws_state == WS_ST_HANDSHAKE && now - g_ws_t_state > WS_HANDSHAKE_TIMEOUT_MS)
     {
      WsFail("handshake timed out");
      return;
     }
   if(g_ws_state == WS_ST_CLOSING && now - g_ws_t_state > WS_CLOSE_TIMEOUT_MS)
     {
      WsFail("");
      return;
     }
   if(g_ws_state == WS_ST_OPEN)
     {
      if(now - g_ws_last_rx > WS_DEAD_MS)
        {
         WsFail("no data from the gateway for 60 s");
         return;
        }
      if(now - g_ws_last_rx > WS_PING_IDLE_MS && now - g_ws_last_ping > WS_PING_IDLE_MS)
        {
         uchar none[];
         WsFrameOut(WS_OP_PING, none, 0);
         g_ws_last_ping = now;
        }
     }
   WsFlush();
  }

// Closes cleanly when possible (close frame, flush) and then the socket: used
// by OnDeinit, which cannot wait for the server's answer.
void WsShutdown(int code, string reason)
  {
   if(g_ws_state == WS_ST_OPEN)
     {
      WsSendClose(code, reason);
      WsFlush();
     }
   WsFail("");
  }
//+------------------------------------------------------------------+
