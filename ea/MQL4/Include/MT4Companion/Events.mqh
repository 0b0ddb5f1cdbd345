//+------------------------------------------------------------------+
//| Events.mqh: builds the JSON of every event (see                  |
//| gateway_core/protocol/events.py) and sends it on the session.    |
//+------------------------------------------------------------------+
#property strict

#define PROTOCOL_VERSION 1

bool   g_session_ready = false;   // hello + snapshot went out on the open socket
string g_si_sent[];               // symbols whose symbol_info went out this session
int    g_si_n = 0;
long   g_events_sent = 0;

void EmitRaw(string json)
  {
   if(g_session_ready && WsSendText(json))
      g_events_sent++;
  }

string EventJson(string type, string data)
  {
   return "{\"type\":\"" + type + "\",\"timestamp\":\"" + IsoNow() + "\",\"data\":" + data + "}";
  }

void EmitEvent(string type, string data)
  {
   EmitRaw(EventJson(type, data));
  }

string Clip(string s, int n)
  {
   if(StringLen(s) <= n)
      return s;
   return StringSubstr(s, 0, n);
  }

string MoneyJ(double v)
  {
   return JNum(v, 2);
  }

string LotsJ(double v)
  {
   return JNum(v, 8);
  }

string PriceJ(string sym, double v)
  {
   if(v < 0)
      v = 0;
   return JNum(v, SymDigits(sym));
  }

string HelloData()
  {
   return "{" + JKs("agent_id", g_agent_id)
          + "," + JKi("account_login", AccountNumber())
          + "," + JKs("account_name", Clip(AccountName(), 128))
          + "," + JKs("server", Clip(AccountServer(), 128))
          + "," + JKs("company", Clip(AccountCompany(), 128))
          + "," + JKs("currency", Clip(AccountCurrency(), 16))
          + "," + JKi("leverage", AccountLeverage())
          + "," + JKi("terminal_build", TerminalInfoInteger(TERMINAL_BUILD))
          + "," + JKs("ea_version", COMPANION_EA_VERSION)
          + "," + JKi("protocol_version", PROTOCOL_VERSION)
          + "," + JKb("trade_allowed", IsTradeAllowed() && IsExpertEnabled())
          + "," + JKb("dll_allowed", IsDllsAllowed())
          + (g_srv_offset_known ? "," + JKi("server_time_offset_s", g_srv_offset) : "")
          + "," + JKb("server_time_known", g_srv_offset_known)
          + "}";
  }

string AccountJson()
  {
   double eq = AccountEquity();
   double mg = AccountMargin();
   double level = (mg > 0 ? eq / mg * 100.0 : 0);
   return "{" + JKr("balance", MoneyJ(AccountBalance()))
          + "," + JKr("equity", MoneyJ(eq))
          + "," + JKr("margin", MoneyJ(mg))
          + "," + JKr("margin_free", MoneyJ(AccountFreeMargin()))
          + "," + JKr("margin_level", MoneyJ(level))
          + "," + JKr("profit", MoneyJ(AccountProfit()))
          + "," + JKr("credit", MoneyJ(AccountCredit()))
          + "}";
  }

// PositionData (a market order).
string PositionJson(const OrdRec &r)
  {
   return "{" + JKi("ticket", r.ticket)
          + "," + JKs("symbol", r.symbol)
          + "," + JKs("type", TypeName(r.type))
          + "," + JKr("lots", LotsJ(r.lots))
          + "," + JKr("open_price", PriceJ(r.symbol, r.open_price))
          + "," + JKr("stop_loss", PriceJ(r.symbol, r.sl))
          + "," + JKr("take_profit", PriceJ(r.symbol, r.tp))
          + "," + JKi("magic_number", r.magic)
          + "," + JKs("comment", Clip(r.comment, 64))
          + "," + JKt("open_time", ServerToUtc(r.open_time))
          + "," + JKr("current_price", PriceJ(r.symbol, r.cur_price))
          + "," + JKr("profit", MoneyJ(r.profit))
          + "," + JKr("swap", MoneyJ(r.swap))
          + "," + JKr("commission", MoneyJ(r.commission))
          + "}";
  }

// PendingOrderData.
string PendingJson(const OrdRec &r)
  {
   return "{" + JKi("ticket", r.ticket)
          + "," + JKs("symbol", r.symbol)
          + "," + JKs("type", TypeName(r.type))
          + "," + JKr("lots", LotsJ(r.lots))
          + "," + JKr("price", PriceJ(r.symbol, r.open_price))
          + "," + JKr("stop_loss", PriceJ(r.symbol, r.sl))
          + "," + JKr("take_profit", PriceJ(r.symbol, r.tp))
          + "," + JKt("expiration", ServerToUtc(r.expiration))
          + "," + JKi("magic_number", r.magic)
          + "," + JKs("comment", Clip(r.comment, 64))
          + "," + JKt("open_time", ServerToUtc(r.open_time))
          + "}";
  }

string CloseReason(const OrdRec &h, bool by_gateway)
  {
   string c = ToLowerAscii(h.comment);
   if(StringFind(c, "[sl]") >= 0)
      return "stop_loss";
   if(StringFind(c, "[tp]") >= 0)
      return "take_profit";
   if(StartsWith(c, "so:") || StringFind(c, "[so]") >= 0 || StringFind(c, "stop out") >= 0)
      return "stop_out";
   if(by_gateway)
      return "gateway";
   return "manual";
  }

// PositionClosedData from the history record h.
string ClosedJson(const OrdRec &h, bool by_gateway)
  {
   return "{" + JKi("ticket", h.ticket)
          + "," + JKr("close_price", PriceJ(h.symbol, h.cur_price))
          + "," + JKr("profit", MoneyJ(h.profit))
          + "," + JKr("commission", MoneyJ(h.commission))
          + "," + JKr("swap", MoneyJ(h.swap))
          + "," + JKr("net_profit", MoneyJ(h.profit + h.swap + h.commission))
          + "," + JKs("symbol", h.symbol)
          + "," + JKr("lots", LotsJ(h.lots))
          + "," + JKt("close_time", ServerToUtc(h.close_time))
          + "," + JKs("reason", CloseReason(h, by_gateway))
          + "}";
  }

// PartialCloseData: h is the closed part (history), r the remainder (open).
string PartialJson(const OrdRec &h, const OrdRec &r)
  {
   return "{" + JKi("ticket", h.ticket)
          + "," + JKi("new_ticket", r.ticket)
          + "," + JKr("closed_lots", LotsJ(h.lots))
          + "," + JKr("remaining_lots", LotsJ(r.lots))
          + "," + JKr("close_price", PriceJ(h.symbol, h.cur_price))
          + "," + JKr("profit", MoneyJ(h.profit))
          + "," + JKr("commission", MoneyJ(h.commission))
          + "," + JKr("swap", MoneyJ(h.swap))
          + "," + JKr("net_profit", MoneyJ(h.profit + h.swap + h.commission))
          + "," + JKt("close_time", ServerToUtc(h.close_time))
          + "}";
  }

string SymbolInfoJson(string sym)
  {
   if(!SymbolKnown(sym))
      return "";
   double minlot = MarketInfo(sym, MODE_MINLOT);
   double maxlot = MarketInfo(sym, MODE_MAXLOT);
   double step = MarketInfo(sym, MODE_LOTSTEP);
   double point = MarketInfo(sym, MODE_POINT);
   if(minlot <= 0 || maxlot <= 0 || step <= 0 || point <= 0)
      return "";
   int digits = (int)MarketInfo(sym, MODE_DIGITS);
   if(digits < 0 || digits > 10)
      digits = 5;
   int stops = (int)MarketInfo(sym, MODE_STOPLEVEL);
   int freeze = (int)MarketInfo(sym, MODE_FREEZELEVEL);
   double csize = MarketInfo(sym, MODE_LOTSIZE);
   string s = "{" + JKs("symbol", sym)
              + "," + JKi("digits", digits)
              + "," + JKr("point", JNum(point, 10))
              + "," + JKr("min_lot", LotsJ(minlot))
              + "," + JKr("max_lot", LotsJ(maxlot))
              + "," + JKr("lot_step", LotsJ(step))
              + "," + JKi("stops_level", (stops < 0 ? 0 : stops))
              + "," + JKi("freeze_level", (freeze < 0 ? 0 : freeze))
              + "," + (csize > 0 ? JKr("contract_size", JNum(csize, 2)) : JKnull("contract_size"))
              + "," + JKb("trade_allowed", MarketInfo(sym, MODE_TRADEALLOWED) != 0)
              + "," + JKs("description", Clip(SymbolInfoString(sym, SYMBOL_DESCRIPTION), 128))
              + "}";
   return s;
  }

// Sends symbol_info once per session for each symbol we talk about.
void EnsureSymbolInfo(string sym)
  {
   if(!g_session_ready || sym == "")
      return;
   for(int i = 0; i < g_si_n; i++)
      if(g_si_sent[i] == sym)
         return;
   string data = SymbolInfoJson(sym);
   ArrayResize(g_si_sent, g_si_n + 1, 16);
   g_si_sent[g_si_n] = sym;
   g_si_n++;
   if(data != "")
      EmitEvent("symbol_info", data);
  }

void SessionReset()
  {
   g_session_ready = false;
   g_si_n = 0;
   ArrayResize(g_si_sent, 0);
  }

string HeartbeatJson()
  {
   return "{\"type\":\"heartbeat\",\"timestamp\":\"" + IsoNow() + "\"," + JKs("agent_id", g_agent_id) + ",\"status\":\"connected\"}";
  }

// The reply envelope: trade_executed for execute_trade, command_result otherwise.
// data and error are raw JSON ("" for absent).
string ReplyJson(string command, string request_id, bool success, string data, string error)
  {
   string s = "{";
   if(command == "execute_trade")
      s += "\"type\":\"trade_executed\"";
   else
      s += "\"type\":\"command_result\"," + JKs("command", command);
   s += "," + JKs("request_id", request_id) + "," + JKb("success", success);
   if(data != "")
      s += ",\"data\":" + data;
   if(!success)
      s += ",\"error\":" + error;
   s += ",\"timestamp\":\"" + IsoNow() + "\"}";
   return s;
  }
//+------------------------------------------------------------------+
