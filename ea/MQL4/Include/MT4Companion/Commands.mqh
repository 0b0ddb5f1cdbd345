//+------------------------------------------------------------------+
//| Commands.mqh: takes messages from the gateway, answers repeats   |
//| from the journal, queues trade commands (run one at a time by    |
//| Trading/TradeExec) and runs subscribe_quotes and get_snapshot    |
//| at once. Also sends the quotes of the subscribed symbols.        |
//+------------------------------------------------------------------+
#property strict

#define CMDQ_MAX 1000

string g_cmdq[];
string g_cmdq_rid[];
int    g_cmdq_n = 0;
string g_q_syms[];
double g_q_bid[];
double g_q_ask[];
int    g_q_n = 0;
long   g_cmds_received = 0;

bool IsTradeCommand(string cmd)
  {
   return cmd == "execute_trade" || cmd == "modify_position" || cmd == "close_position" || cmd == "close_all" || cmd == "delete_order";
  }

bool IsKnownCommand(string cmd)
  {
   return IsTradeCommand(cmd) || cmd == "subscribe_quotes" || cmd == "get_snapshot";
  }

bool CharsIn(string s, string extra, int maxlen)
  {
   int n = StringLen(s);
   if(n < 1 || n > maxlen)
      return false;
   for(int i = 0; i < n; i++)
     {
      ushort c = StringGetCharacter(s, i);
      if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
         continue;
      if(StringFind(extra, ShortToString(c)) < 0)
         return false;
     }
   return true;
  }

bool RequestIdValid(string rid)
  {
   return CharsIn(rid, "_.:-", 64);
  }

// Best effort for text that is not JSON: the string value after "key".
string SniffString(string text, string key)
  {
   int at = StringFind(text, "\"" + key + "\"");
   if(at < 0)
      return "";
   int colon = StringFind(text, ":", at);
   if(colon < 0)
      return "";
   int q1 = StringFind(text, "\"", colon);
   if(q1 < 0)
      return "";
   int q2 = StringFind(text, "\"", q1 + 1);
   if(q2 < 0 || q2 - q1 - 1 > 64)
      return "";
   return StringSubstr(text, q1 + 1, q2 - q1 - 1);
  }

void ReplyNow(string cmd, string rid, bool ok, string data, string err)
  {
   QueueReply(ReplyJson(cmd, rid, ok, data, err));
  }

bool QueuedRid(string rid)
  {
   if(g_op != OPK_NONE && g_op_rid == rid)
      return true;
   for(int i = 0; i < g_cmdq_n; i++)
      if(g_cmdq_rid[i] == rid)
         return true;
   return false;
  }

//--- subscribe_quotes / get_snapshot -------------------------------------------
void DoSubscribe(string rid)
  {
   string err = "";
   if(JType("data.symbols") != J_ARR)
     {
      ReplyNow("subscribe_quotes", rid, false, "", ErrJson("invalid_message", "data.symbols must be a list of symbols", -1));
      return;
     }
   if(!CheckKeys("data", "symbols", err))
     {
      ReplyNow("subscribe_quotes", rid, false, "", ErrJson("invalid_message", err, -1));
      return;
     }
   int n = JCount("data.symbols");
   if(n > 64)
     {
      ReplyNow("subscribe_quotes", rid, false, "", ErrJson("invalid_message", "at most 64 symbols", -1));
      return;
     }
   string syms[];
   ArrayResize(syms, n);
   string unknown = "";
   int k = 0;
   for(int i = 0; i < n; i++)
     {
      string s = "";
      if(!JGetStr("data.symbols." + IntegerToString(i), s) || !CharsIn(s, "._#&+-", 32))
        {
         ReplyNow("subscribe_quotes", rid, false, "", ErrJson("invalid_message", "data.symbols holds something that is not a symbol name", -1));
         return;
        }
      bool dup = false;
      for(int d = 0; d < k; d++)
         if(syms[d] == s)
            dup = true;
      if(dup)
         continue;
      SymbolSelect(s, true);   // quotes flow only for Market Watch symbols
      if(!SymbolKnown(s))
        {
         unknown += (unknown == "" ? "" : ", ") + s;
         continue;
        }
      syms[k] = s;
      k++;
     }
   if(unknown != "")
     {
      ReplyNow("subscribe_quotes", rid, false, "", ErrJson("unknown_symbol", "not known to this terminal: " + unknown + " (subscription unchanged)", 4106));
      return;
     }
   ArrayResize(g_q_syms, k);
   ArrayResize(g_q_bid, k);
   ArrayResize(g_q_ask, k);
   string list = "";
   for(int j = 0; j < k; j++)
     {
      g_q_syms[j] = syms[j];
      g_q_bid[j] = 0;     // forces a first quote
      g_q_ask[j] = 0;
      list += (j == 0 ? "" : ",") + JQ(syms[j]);
      EnsureSymbolInfo(syms[j]);
     }
   g_q_n = k;
   ReplyNow("subscribe_quotes", rid, true, "{\"symbols\":[" + list + "]}", "");
  }

void SendSnapshot()
  {
   TrackerDiff();
   EmitEvent("snapshot", SnapshotJson());
   TrackerMarkAllSent();
  }

void DoGetSnapshot(string rid)
  {
   string err = "";
   if(JType("data") == J_OBJ && !CheckKeys("data", "", err))
     {
      ReplyNow("get_snapshot", rid, false, "", ErrJson("invalid_message", err, -1));
      return;
     }
   // Without a session the next connect sends a fresh snapshot anyway, and
   // diffing now would lose the catch-up events of the reconnect.
   if(g_session_ready)
      SendSnapshot();
   ReplyNow("get_snapshot", rid, true, "", "");
  }

void QuotesStep()
  {
   for(int i = 0; i < g_q_n; i++)
     {
      string s = g_q_syms[i];
      double bid = MarketInfo(s, MODE_BID);
      double ask = MarketInfo(s, MODE_ASK);
      if(bid <= 0 || ask <= 0)
         continue;
      if(!NumChanged(bid, g_q_bid[i]) && !NumChanged(ask, g_q_ask[i]))
         continue;
      g_q_bid[i] = bid;
      g_q_ask[i] = ask;
      datetime t = (datetime)MarketInfo(s, MODE_TIME);
      EmitEvent("quote", "{" + JKs("symbol", s) + "," + JKr("bid", PriceJ(s, bid)) + "," + JKr("ask", PriceJ(s, ask))
                + "," + JKt("time", ServerToUtc(t)) + "}");
     }
  }

//--- incoming messages -------------------------------------------------------------
void HandleNotice(string type)
  {
   string code = "", msg = "";
   JGetStr("code", code);
   JGetStr("message", msg);
   if(type == "error")
      LogError("gateway: " + code + ": " + msg);
   else
      Log("gateway notice " + type + (msg == "" ? "" : ": " + msg));
  }

void HandleMessage(string text)
  {
   g_cmds_received++;
   if(!JsonParse(text))
     {
      string srid = SniffString(text, "request_id");
      string scmd = SniffString(text, "command");
      LogError("a message from the gateway is not valid JSON (" + g_jerr + ")");
      if(RequestIdValid(srid) && IsKnownCommand(scmd))
         ReplyNow(scmd, srid, false, "", ErrJson("invalid_message", "not valid JSON: " + g_jerr, -1));
      return;
     }
   if(JType("") != J_OBJ)
     {
      LogError("a message from the gateway is not a JSON object");
      return;
     }
   string cmd = "", rid = "";
   if(!JHas("command"))
     {
      string type = "";
      if(JGetStr("type", type))
         HandleNotice(type);
      else
         LogError("a message from the gateway has neither command nor type");
      return;
     }
   if(!JGetStr("request_id", rid) || !RequestIdValid(rid))
     {
      LogError("a command without a valid request_id was ignored");
      return;
     }
   if(!JGetStr("command", cmd) || !IsKnownCommand(cmd))
     {
      LogError("unknown command '" + cmd + "' (request " + rid + ") ignored");
      return;
     }
   string err = "";
   int dt = JType("data");
   if(!CheckKeys("", "command,request_id,data,agent_id,expires_at", err))
     {
      ReplyNow(cmd, rid, false, "", ErrJson("invalid_message", err, -1));
      return;
     }
   if((dt >= 0 && dt != J_OBJ) || (dt < 0 && cmd != "close_all" && cmd != "get_snapshot"))
     {
      ReplyNow(cmd, rid, false, "", ErrJson("invalid_message", "data must be an object", -1));
      return;
     }
   datetime expires = 0;
   bool has_exp = false;
   if(!ReadOptTime("expires_at", expires, has_exp, err))
     {
      ReplyNow(cmd, rid, false, "", ErrJson("invalid_message", err, -1));
      return;
     }
   if(IsTradeCommand(cmd))
     {
      int st = JournalState(rid);
      if(st == JR_DONE)
        {
         Log("request " + rid + " was already answered: sending the recorded reply again");
         QueueReply(JournalPayload(rid));
         return;
        }
      if(st == JR_SENDING || QueuedRid(rid))
        {
         Log("request " + rid + " is already being executed: the repeat is ignored");
         return;
        }
      if(has_exp && TimeGMT() > expires)
        {
         FinishCommand(cmd, rid, false, "", ErrJson("command_expired", "the command expired at " + IsoUtc(expires) + " before the EA got it", -1));
         return;
        }
      if(g_cmdq_n >= CMDQ_MAX)
        {
         ReplyNow(cmd, rid, false, "", ErrJson("rate_limited", "too many trade commands waiting", -1));
         return;
        }
      ArrayResize(g_cmdq, g_cmdq_n + 1, 16);
      ArrayResize(g_cmdq_rid, g_cmdq_n + 1, 16);
      g_cmdq[g_cmdq_n] = text;
      g_cmdq_rid[g_cmdq_n] = rid;
      g_cmdq_n++;
      return;
     }
   if(cmd == "subscribe_quotes")
      DoSubscribe(rid);
   else
      DoGetSnapshot(rid);
  }

// Starts queued trade commands until one needs the trade server, then runs
// one step of the active one.
void CommandsStep()
  {
   for(int guard = 0; guard < 20 && g_op == OPK_NONE && g_cmdq_n > 0; guard++)
     {
      string text = g_cmdq[0];
      string rid = g_cmdq_rid[0];
      for(int i = 1; i < g_cmdq_n; i++)
        {
         g_cmdq[i - 1] = g_cmdq[i];
         g_cmdq_rid[i - 1] = g_cmdq_rid[i];
        }
      g_cmdq_n--;
      if(!JsonParse(text))
         continue;
      string cmd = "";
      JGetStr("command", cmd);
      if(cmd == "execute_trade")
         BeginExecute(rid);
      else
         if(cmd == "modify_position")
            BeginModify(rid);
         else
            if(cmd == "close_position")
               BeginClose(rid);
            else
               if(cmd == "delete_order")
                  BeginDelete(rid);
               else
                  if(cmd == "close_all")
                     BeginCloseAll(rid);
     }
   if(g_op != OPK_NONE)
      TradeStep();
  }

//=== owner change ===================================================================
// The op and the queued commands belong to g_work_agent on g_work_login. When OnInit
// runs for another account or agent id (the program is not reloaded, so they are still
// here), they must not run there. Queued commands were never started: "not executed".
// The op likewise, unless an ambiguous error means the server may have done it: then its
// journal entry stays "sending" and the recovery answers it from that account's orders
// when it is back.
void WorkAbandon(string why)
  {
   if(g_op != OPK_NONE)
     {
      if(g_op_maybe_sent)
        {
         Log("request " + g_op_rid + " may have reached the server before " + why + ": it is answered from the account when " + g_work_agent + " runs again");
         g_op = OPK_NONE;
         g_op_rid = "";
        }
      else
         OpFinish(false, "", ErrJson("internal_error", "not executed: " + why + " before MT4 accepted it", -1));
     }
   for(int i = 0; i < g_cmdq_n; i++)
     {
      string cmd = "execute_trade";
      if(JsonParse(g_cmdq[i]))
         JGetStr("command", cmd);
      FinishCommand(cmd, g_cmdq_rid[i], false, "", ErrJson("internal_error", "not executed: " + why + " before it started", -1));
     }
   g_cmdq_n = 0;
   ArrayResize(g_cmdq, 0);
   ArrayResize(g_cmdq_rid, 0);
  }

// True when the work in memory belongs to another account or agent than the terminal's now.
bool WorkOwnerChanged(string agent)
  {
   if(g_work_agent == "")
      return false;
   return g_work_agent != agent || (g_work_login != 0 && g_work_login != AccountNumber());
  }
//+------------------------------------------------------------------+
