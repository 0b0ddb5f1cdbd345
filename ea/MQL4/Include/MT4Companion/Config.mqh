//+------------------------------------------------------------------+
//| Config.mqh: settings from MQL4\Files\MT4Companion\companion.cfg  |
//| (flat key=value lines, '#' comments, UTF-8), overridden by the   |
//| EA's inputs when those are not empty/zero.                       |
//+------------------------------------------------------------------+
#property strict

#define CFG_DIR   "MT4Companion"
#define CFG_FILE  "MT4Companion\\companion.cfg"

string g_cfg_url = "";
string g_cfg_token = "";
string g_cfg_agent = "";
string g_cfg_rule = "login";
int    g_cfg_heartbeat_ms = 5000;
int    g_cfg_timer_ms = 25;
int    g_cfg_update_ms = 500;
int    g_cfg_retry_ms = 5000;       // requotes and a busy trade context are retried this long
int    g_cfg_ambiguous_ms = 5000;   // how long to look for an order after an ambiguous error
bool   g_cfg_file_found = false;
string g_cfg_error = "";
string g_agent_id = "";
string g_work_agent = "";   // the agent and account the trade work in memory belongs to
long   g_work_login = 0;    // (Trading.mqh, Commands.mqh); kept across OnInit

// Reads a whole file under MQL4\Files as UTF-8 text. False when it cannot be opened.
bool ReadTextFile(string name, string &text)
  {
   text = "";
   ResetLastError();
   int h = FileOpen(name, FILE_READ | FILE_BIN | FILE_SHARE_READ | FILE_SHARE_WRITE);
   if(h == INVALID_HANDLE)
      return false;
   int size = (int)FileSize(h);
   if(size > 0)
     {
      uchar buf[];
      ArrayResize(buf, size);
      int got = (int)FileReadArray(h, buf, 0, size);
      int start = 0;
      if(got >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
         start = 3;   // UTF-8 BOM
      text = Utf8String(buf, start, got - start);
     }
   FileClose(h);
   return true;
  }

// Writes a whole file under MQL4\Files as UTF-8: first to <name>.tmp, then
// moved over the old one so a crash never leaves half a file.
bool WriteTextFile(string name, string text)
  {
   uchar bytes[];
   int n = Utf8Bytes(text, bytes);
   string tmp = name + ".tmp";
   ResetLastError();
   int h = FileOpen(tmp, FILE_WRITE | FILE_BIN);
   if(h == INVALID_HANDLE)
     {
      LogError("cannot write " + tmp + " (error " + IntegerToString(GetLastError()) + ")");
      return false;
     }
   if(n > 0)
      FileWriteArray(h, bytes, 0, n);
   FileFlush(h);
   FileClose(h);
   if(!FileMove(tmp, 0, name, FILE_REWRITE))
     {
      LogError("cannot replace " + name + " (error " + IntegerToString(GetLastError()) + ")");
      return false;
     }
   return true;
  }

// Appends text to a file under MQL4\Files and flushes it to disk.
bool AppendTextFile(string name, string text)
  {
   uchar bytes[];
   int n = Utf8Bytes(text, bytes);
   ResetLastError();
   int h = FileOpen(name, FILE_READ | FILE_WRITE | FILE_BIN | FILE_SHARE_READ);
   if(h == INVALID_HANDLE)
     {
      LogError("cannot open " + name + " for appending (error " + IntegerToString(GetLastError()) + ")");
      return false;
     }
   FileSeek(h, 0, SEEK_END);
   uint written = 0;
   if(n > 0)
      written = FileWriteArray(h, bytes, 0, n);
   FileFlush(h);
   FileClose(h);
   return (int)written == n;
  }

// Splits text into lines (LF or CRLF).
int SplitLines(string text, string &lines[])
  {
   int n = StringSplit(text, '\n', lines);
   for(int i = 0; i < n; i++)
     {
      int l = StringLen(lines[i]);
      if(l > 0 && StringGetCharacter(lines[i], l - 1) == '\r')
         lines[i] = StringSubstr(lines[i], 0, l - 1);
     }
   return n;
  }

bool CfgPositiveInt(string key, string value, int &out)
  {
   long v = 0;
   if(!ParseIntStrict(value, v) || v <= 0 || v > 3600000)
     {
      g_cfg_error = "companion.cfg: " + key + " must be a positive number of milliseconds (got '" + value + "')";
      return false;
     }
   out = (int)v;
   return true;
  }

bool AgentIdValid(string id)
  {
   int n = StringLen(id);
   if(n < 1 || n > 64)
      return false;
   for(int i = 0; i < n; i++)
     {
      ushort c = StringGetCharacter(id, i);
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
      if(!ok)
         return false;
     }
   return true;
  }

// Loads the file, then applies the overrides. Returns false when the EA cannot
// connect with what it has (g_cfg_error says why).
bool ConfigLoad(string in_url, string in_token, string in_agent, int in_timer_ms, int in_heartbeat_ms, int in_update_ms)
  {
   // OnInit runs again without reloading the program (chart or parameters change): start
   // from the defaults so a setting removed from the file or the inputs does not linger.
   g_cfg_url = "";
   g_cfg_token = "";
   g_cfg_agent = "";
   g_cfg_rule = "login";
   g_cfg_heartbeat_ms = 5000;
   g_cfg_timer_ms = 25;
   g_cfg_update_ms = 500;
   g_cfg_retry_ms = 5000;
   g_cfg_ambiguous_ms = 5000;
   g_cfg_error = "";
   string text = "";
   g_cfg_file_found = ReadTextFile(CFG_FILE, text);
   if(g_cfg_file_found)
     {
      string lines[];
      int n = SplitLines(text, lines);
      for(int i = 0; i < n; i++)
        {
         string line = Trim(lines[i]);
         if(line == "" || StringGetCharacter(line, 0) == '#')
            continue;
         int eq = StringFind(line, "=");
         if(eq <= 0)
            continue;
         string key = ToLowerAscii(Trim(StringSubstr(line, 0, eq)));
         string value = Trim(StringSubstr(line, eq + 1));
         if(key == "gateway_url")
            g_cfg_url = value;
         else
            if(key == "token")
               g_cfg_token = value;
            else
               if(key == "agent_id")
                  g_cfg_agent = value;
               else
                  if(key == "agent_id_rule")
                     g_cfg_rule = ToLowerAscii(value);
                  else
                     if(key == "heartbeat_ms")
                        CfgPositiveInt(key, value, g_cfg_heartbeat_ms);
                     else
                        if(key == "timer_ms")
                           CfgPositiveInt(key, value, g_cfg_timer_ms);
                        else
                           if(key == "update_ms")
                              CfgPositiveInt(key, value, g_cfg_update_ms);
                           else
                              if(key == "trade_retry_ms")
                                 CfgPositiveInt(key, value, g_cfg_retry_ms);
                              else
                                 if(key == "ambiguous_wait_ms")
                                    CfgPositiveInt(key, value, g_cfg_ambiguous_ms);
        }
     }
   if(Trim(in_url) != "")
      g_cfg_url = Trim(in_url);
   if(Trim(in_token) != "")
      g_cfg_token = Trim(in_token);
   if(Trim(in_agent) != "")
      g_cfg_agent = Trim(in_agent);
   if(in_timer_ms > 0)
      g_cfg_timer_ms = in_timer_ms;
   if(in_heartbeat_ms > 0)
      g_cfg_heartbeat_ms = in_heartbeat_ms;
   if(in_update_ms > 0)
      g_cfg_update_ms = in_update_ms;
   if(g_cfg_timer_ms < 10)
      g_cfg_timer_ms = 10;
   if(g_cfg_heartbeat_ms < 100)
      g_cfg_heartbeat_ms = 100;
   if(g_cfg_error != "")
      return false;
   if(g_cfg_rule != "login" && g_cfg_rule != "data_folder")
     {
      g_cfg_error = "companion.cfg: agent_id_rule must be login or data_folder (got '" + g_cfg_rule + "')";
      return false;
     }
   if(g_cfg_url == "")
     {
      g_cfg_error = (g_cfg_file_found ? "no gateway_url in MQL4\\Files\\" + CFG_FILE
                     : "MQL4\\Files\\" + CFG_FILE + " not found: install the EA from the MT4 Companion app or set GatewayURL");
      return false;
     }
   if(g_cfg_token == "")
     {
      g_cfg_error = "no token: set token in companion.cfg or the Token input";
      return false;
     }
   if(g_cfg_agent != "" && !AgentIdValid(g_cfg_agent))
     {
      g_cfg_error = "agent_id may hold only letters, digits, '-', '_' and '.' (at most 64)";
      return false;
     }
   return true;
  }

// The last component of the terminal's data folder path.
string DataFolderName()
  {
   string p = TerminalInfoString(TERMINAL_DATA_PATH);
   StringReplace(p, "/", "\\");
   while(StringLen(p) > 0 && StringGetCharacter(p, StringLen(p) - 1) == '\\')
      p = StringSubstr(p, 0, StringLen(p) - 1);
   int cut = -1;
   for(int i = StringLen(p) - 1; i >= 0; i--)
      if(StringGetCharacter(p, i) == '\\')
        {
         cut = i;
         break;
        }
   return (cut < 0 ? p : StringSubstr(p, cut + 1));
  }

// Derives the agent id once the account is known. False while it is not.
// Waits for the login in every case: hello, the journal recovery and the order
// diff all need a logged-in account.
bool ConfigDeriveAgent()
  {
   if(AccountNumber() == 0)
      return false;
   if(g_cfg_agent != "")
     {
      g_agent_id = g_cfg_agent;
      return true;
     }
   if(g_cfg_rule == "data_folder")
      g_agent_id = "mt4-" + StringSubstr(Md5Hex(DataFolderName()), 0, 12);
   else
      g_agent_id = "mt4-" + IntegerToString(AccountNumber());
   return true;
  }
// The last good server time offset, per trade server (MQL4\Files\MT4Companion\server-time.txt,
// lines "<server>|<offset seconds>"), so a restart on a weekend still knows it.
#define SRV_TIME_FILE "MT4Companion\\server-time.txt"

void ServerOffsetLoad()
  {
   string server = AccountServer();
   string text = "";
   if(g_srv_offset_known || server == "" || !ReadTextFile(SRV_TIME_FILE, text))
      return;
   string lines[];
   int n = SplitLines(text, lines);
   for(int i = 0; i < n; i++)
     {
      int bar = StringFind(lines[i], "|");
      long off = 0;
      if(bar > 0 && StringSubstr(lines[i], 0, bar) == server && ParseIntStrict(StringSubstr(lines[i], bar + 1), off)
         && off >= -86400 && off <= 86400)
        {
         g_srv_offset = (int)off;
         g_srv_offset_known = true;
         Log("server time offset " + IntegerToString(off) + " s (saved; replaced by the next fresh quote)");
         return;
        }
     }
  }

void ServerOffsetSave()
  {
   string server = AccountServer();
   if(!g_srv_offset_dirty || server == "" || StringFind(server, "|") >= 0)
      return;
   g_srv_offset_dirty = false;
   string text = "", old = "";
   if(ReadTextFile(SRV_TIME_FILE, old))
     {
      string lines[];
      int n = SplitLines(old, lines);
      for(int i = 0; i < n && i < 200; i++)
         if(lines[i] != "" && !StartsWith(lines[i], server + "|"))
            text += lines[i] + "\n";
     }
   text += server + "|" + IntegerToString(g_srv_offset) + "\n";
   WriteTextFile(SRV_TIME_FILE, text);
   Log("server time offset " + IntegerToString(g_srv_offset) + " s measured on a fresh quote");
  }
// One EA per terminal: two charts would share the journal and the agent id. The running
// one stamps MQL4\Files\MT4Companion\instance.txt ("<chart id>|<UTC seconds>") every 2 s;
// an EA on another chart that finds a fresh stamp (under 10 s) refuses to run.
#define INSTANCE_FILE    "MT4Companion\\instance.txt"
#define INSTANCE_STALE_S 10
bool g_instance_owner = false;
long g_instance_stamped = 0;

bool InstanceClaim()
  {
   long now = (long)TimeGMT();
   if(g_instance_owner && now - g_instance_stamped < 2 && now >= g_instance_stamped)
      return true;
   if(!g_instance_owner)
     {
      string text = "";
      if(ReadTextFile(INSTANCE_FILE, text))
        {
         int bar = StringFind(text, "|");
         long chart = 0, at = 0;
         if(bar > 0 && ParseIntStrict(StringSubstr(text, 0, bar), chart) && ParseIntStrict(StringSubstr(text, bar + 1), at)
            && chart != ChartID() && now - at < INSTANCE_STALE_S && at <= now + 5)
            return false;
        }
     }
   if(WriteTextFile(INSTANCE_FILE, IntegerToString(ChartID()) + "|" + IntegerToString(now)))
      g_instance_stamped = now;
   g_instance_owner = true;
   return true;
  }

void InstanceRelease()
  {
   if(!g_instance_owner)
      return;
   g_instance_owner = false;
   FileDelete(INSTANCE_FILE);
  }
//+------------------------------------------------------------------+
