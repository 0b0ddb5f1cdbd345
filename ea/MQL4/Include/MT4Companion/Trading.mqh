//+------------------------------------------------------------------+
//| Trading.mqh: the trade commands, one at a time, as a small state |
//| machine driven by the timer: each tick makes at most one trade   |
//| call. A requote/off-quotes/price-changed/busy error is retried   |
//| on a later tick after RefreshRates() (no Sleep), with a capped   |
//| exponential pause, for trade_retry_ms in all. After an ambiguous |
//| error (timeout, broker busy...) nothing is sent again: the EA    |
//| looks for the tagged order for ambiguous_wait_ms.                |
//|                                                                  |
//| This state is kept across OnDeinit/OnInit (a chart, parameters   |
//| or account change does not reload the program): a command in    |
//| flight carries on and gets one reply. g_work_agent/g_work_login  |
//| say whose it is; if the agent or account changed, WorkAbandon()  |
//| settles it.                                                      |
//+------------------------------------------------------------------+
#property strict

#define OPK_NONE     0
#define OPK_EXEC     1
#define OPK_MODIFY   2
#define OPK_CLOSE    3
#define OPK_CLOSEALL 4
#define OPK_DELETE   5
#define RETRY_PAUSE_MIN_MS 50
#define RETRY_PAUSE_MAX_MS 1000
#define LOOK_PAUSE_MS      200
#define NO_SERVER_TIME     "the EA does not know the trade server's time zone yet (no fresh quote since it started), so it cannot set an expiration; try again once the market ticks"

int    g_op = OPK_NONE;
string g_op_rid = "";
string g_op_cmd = "";
int    g_op_attempts = 0;
long   g_op_first_ms = 0;     // when the first attempt of the op (or close_all ticket) was made
long   g_op_next_ms = 0;      // no trade call before this (retry pause)
bool   g_op_maybe_sent = false;  // an ambiguous error: the server may have done it
int    g_op_amb_err = 0;
long   g_op_amb_ms = 0;       // when the ambiguous error came
// execute_trade
string   g_ex_sym = "";
int      g_ex_type = 0;
double   g_ex_lots = 0, g_ex_price = 0, g_ex_sl = 0, g_ex_tp = 0;
int      g_ex_slip = -1, g_ex_magic = 0;   // slippage in points; -1: SLIP_DEFAULT_PIPS
string   g_ex_comment = "", g_ex_tag = "";
datetime g_ex_exp = 0;
bool     g_ex_market = false;   // market execution: open with 0/0, then OrderModify the stops
int      g_ex_ticket = 0;       // set once the order is open and only its stops remain
// modify_position
int      g_md_ticket = 0;
double   g_md_price = 0, g_md_sl = 0, g_md_tp = 0;
datetime g_md_exp = 0;
// close_position / delete_order
int      g_cl_ticket = 0;
double   g_cl_lots = 0;          // 0: everything
double   g_cl_orig = 0;
int      g_cl_slip = -1;
// close_all
int      g_ca_tickets[];
int      g_ca_n = 0, g_ca_idx = 0, g_ca_tries = 0, g_ca_slip = -1;
string   g_ca_closed = "", g_ca_failed = "", g_ca_first_err = "";
int      g_ca_failed_n = 0;

bool OpBusy()
  {
   return g_op != OPK_NONE;
  }

void OpStart(int kind)
  {
   g_op = kind;
   g_op_attempts = 0;
   g_op_first_ms = 0;
   g_op_next_ms = 0;
   g_op_maybe_sent = false;
   g_op_amb_err = 0;
   g_op_amb_ms = 0;
  }

// The pause before the next attempt: 50 ms doubling up to 1 s.
long RetryPauseMs(int attempts)
  {
   long pause = RETRY_PAUSE_MIN_MS;
   for(int i = 1; i < attempts && pause < RETRY_PAUSE_MAX_MS; i++)
      pause *= 2;
   return (pause > RETRY_PAUSE_MAX_MS ? RETRY_PAUSE_MAX_MS : pause);
  }

// Ends a command: journal "done" with the reply, then queue the reply.
void FinishCommand(string cmd, string rid, bool ok, string data, string err)
  {
   string reply = ReplyJson(cmd, rid, ok, data, err);
   JournalWrite(rid, JR_DONE, reply);
   QueueReply(reply);
  }

void OpFinish(bool ok, string data, string err)
  {
   FinishCommand(g_op_cmd, g_op_rid, ok, data, err);
   g_op = OPK_NONE;
   g_op_rid = "";
  }

// Writes "sending" before the first trade call. False: nothing may be traded.
bool OpJournalSending(string summary)
  {
   if(JournalWrite(g_op_rid, JR_SENDING, summary))
      return true;
   FinishCommand(g_op_cmd, g_op_rid, false, "", ErrJson("internal_error", "the EA cannot write its journal in MQL4\\Files\\MT4Companion; nothing was traded", -1));
   g_op = OPK_NONE;
   return false;
  }

// An open order chosen by ticket, or false.
bool SelectOpen(int ticket)
  {
   if(!OrderSelect(ticket, SELECT_BY_TICKET, MODE_TRADES))
      return false;
   return OrderCloseTime() == 0;
  }

//=== begin: validate a parsed command and set up the op ========================
// Each Begin* reads the g_j* table. On a validation failure it replies itself.
void BeginExecute(string rid)
  {
   string err = "";
   g_op_cmd = "execute_trade";
   g_op_rid = rid;
   string sym = "", tname = "", comment = "";
   double lots = 0, price = 0, sl = 0, tp = 0;
   bool has_price = false, has_lots = false, dummy = false, has_exp = false;
   long slip = -1, magic = 0;
   datetime exp_utc = 0;
   bool ok = CheckKeys("data", "symbol,type,lots,price,stop_loss,take_profit,slippage,magic_number,comment,expiration", err);
   if(ok && !JGetStr("data.symbol", sym))
     {
      err = "data.symbol is required";
      ok = false;
     }
   if(ok && (!JGetStr("data.type", tname) || TypeFromName(tname) < 0))
     {
      err = "data.type must be one of buy, sell, buy_limit, sell_limit, buy_stop, sell_stop";
      ok = false;
     }
   if(ok)
      ok = ReadOptNum("data.lots", 0, lots, has_lots, err);
   if(ok && (!has_lots || lots <= 0))
     {
      err = "data.lots must be a positive number";
      ok = false;
     }
   if(ok)
      ok = ReadPrice("data.price", price, has_price, err);
   if(ok)
      ok = ReadPrice("data.stop_loss", sl, dummy, err);
   if(ok)
      ok = ReadPrice("data.take_profit", tp, dummy, err);
   if(ok)
      ok = ReadOptInt("data.slippage", -1, 0, 10000, slip, err);
   if(ok)
      ok = ReadOptInt("data.magic_number", 0, 0, 2147483647, magic, err);
   if(ok && JHasValue("data.comment") && !JGetStr("data.comment", comment))
     {
      err = "data.comment must be a string";
      ok = false;
     }
   if(ok && StringLen(comment) > 31)
     {
      err = "data.comment is longer than MT4's 31 characters";
      ok = false;
     }
   if(ok)
      ok = ReadOptTime("data.expiration", exp_utc, has_exp, err);
   int type = TypeFromName(tname);
   if(ok && has_exp && !g_srv_offset_known)
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("expiration_denied", NO_SERVER_TIME, -1));
      return;
     }
   if(ok && IsPendingType(type) && (!has_price || price <= 0))
     {
      err = "a " + tname + " order needs a price";
      ok = false;
     }
   if(ok && IsMarketType(type) && has_exp)
     {
      err = "expiration applies to pending orders only";
      ok = false;
     }
   if(!ok)
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_message", err, -1));
      return;
     }
   if(!SymbolKnown(sym))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("unknown_symbol", "symbol " + sym + " is not known to this terminal", -1));
      return;
     }
   string msg = "";
   if(!CheckVolume(sym, lots, "volume", msg))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_volume", msg, -1));
      return;
     }
   RefreshRates();
   int digits = SymDigits(sym);
   if(IsPendingType(type))
      price = NormalizeDouble(price, digits);
   if(!CheckStops(sym, type, price, sl, tp, msg))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_stops", msg, -1));
      return;
     }
   if(!TradingAllowedNow(msg))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("trading_not_allowed", msg, 4109));
      return;
     }
   g_ex_sym = sym;
   g_ex_type = type;
   g_ex_lots = NormalizeDouble(lots, LotDigits(sym));
   g_ex_price = price;
   g_ex_sl = NormalizeDouble(sl, digits);
   g_ex_tp = NormalizeDouble(tp, digits);
   g_ex_slip = (int)slip;
   g_ex_magic = (int)magic;
   g_ex_tag = RequestTag(rid);
   g_ex_comment = TaggedComment(g_ex_tag, comment);
   g_ex_exp = (has_exp ? UtcToServer(exp_utc) : 0);
   g_ex_market = IsMarketType(type) && SymbolInfoInteger(sym, SYMBOL_TRADE_EXEMODE) == SYMBOL_TRADE_EXECUTION_MARKET;
   g_ex_ticket = 0;
   OpStart(OPK_EXEC);
   OpJournalSending("{" + JKs("command", "execute_trade") + "," + JKs("tag", g_ex_tag) + "," + JKs("symbol", sym)
                    + "," + JKs("type", tname) + "," + JKr("lots", LotsJ(g_ex_lots)) + "," + JKi("magic", magic)
                    + "," + JKr("sl", JNum(g_ex_sl, 8)) + "," + JKr("tp", JNum(g_ex_tp, 8)) + "}");
  }

void BeginModify(string rid)
  {
   string err = "";
   g_op_cmd = "modify_position";
   g_op_rid = rid;
   int ticket = 0;
   double sl = 0, tp = 0, price = 0;
   bool has_sl = false, has_tp = false, has_price = false, has_exp = false;
   datetime exp_utc = 0;
   bool ok = CheckKeys("data", "ticket,stop_loss,take_profit,price,expiration", err);
   if(ok)
      ok = ReadTicket("data.ticket", ticket, err);
   if(ok)
      ok = ReadPrice("data.stop_loss", sl, has_sl, err);
   if(ok)
      ok = ReadPrice("data.take_profit", tp, has_tp, err);
   if(ok)
      ok = ReadPrice("data.price", price, has_price, err);
   if(ok)
      ok = ReadOptTime("data.expiration", exp_utc, has_exp, err);
   if(ok && has_exp && !g_srv_offset_known)
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("expiration_denied", NO_SERVER_TIME, -1));
      return;
     }
   if(ok && !has_sl && !has_tp && !has_price)
     {
      err = "nothing to modify: give stop_loss, take_profit or price";
      ok = false;
     }
   if(!ok)
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_message", err, -1));
      return;
     }
   if(!SelectOpen(ticket))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_ticket", "no open order #" + IntegerToString(ticket), 4108));
      return;
     }
   string sym = OrderSymbol();
   int type = OrderType();
   if(IsMarketType(type) && (has_price || has_exp))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_trade_parameters", "price and expiration can only be changed on pending orders; #" + IntegerToString(ticket) + " is a position", -1));
      return;
     }
   int digits = SymDigits(sym);
   g_md_ticket = ticket;
   g_md_sl = (has_sl ? NormalizeDouble(sl, digits) : OrderStopLoss());
   g_md_tp = (has_tp ? NormalizeDouble(tp, digits) : OrderTakeProfit());
   g_md_price = (has_price ? NormalizeDouble(price, digits) : OrderOpenPrice());
   g_md_exp = (has_exp ? UtcToServer(exp_utc) : OrderExpiration());
   if(!NumChanged(g_md_sl, OrderStopLoss()) && !NumChanged(g_md_tp, OrderTakeProfit())
      && !NumChanged(g_md_price, OrderOpenPrice()) && g_md_exp == OrderExpiration())
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("no_change", "#" + IntegerToString(ticket) + " already has these values", 1));
      return;
     }
   RefreshRates();
   string msg = "";
   if(Frozen(msg))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("modification_too_close", msg, 145));
      return;
     }
   if(!CheckStops(sym, type, g_md_price, ((NumChanged(g_md_sl, OrderStopLoss()) || has_price) ? g_md_sl : 0),
                  ((NumChanged(g_md_tp, OrderTakeProfit()) || has_price) ? g_md_tp : 0), msg))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_stops", msg, -1));
      return;
     }
   if(!TradingAllowedNow(msg))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("trading_not_allowed", msg, 4109));
      return;
     }
   OpStart(OPK_MODIFY);
   OpJournalSending("{" + JKs("command", "modify_position") + "," + JKi("ticket", ticket) + "," + JKr("sl", JNum(g_md_sl, 8))
                    + "," + JKr("tp", JNum(g_md_tp, 8)) + "," + JKr("price", JNum(g_md_price, 8)) + "," + JKi("exp", (long)g_md_exp) + "}");
  }

void BeginClose(string rid)
  {
   string err = "";
   g_op_cmd = "close_position";
   g_op_rid = rid;
   int ticket = 0;
   double lots = 0;
   bool has_lots = false;
   long slip = -1;
   bool ok = CheckKeys("data", "ticket,lots,slippage", err);
   if(ok)
      ok = ReadTicket("data.ticket", ticket, err);
   if(ok)
      ok = ReadOptNum("data.lots", 0, lots, has_lots, err);
   if(ok && has_lots && lots <= 0)
     {
      err = "data.lots must be positive";
      ok = false;
     }
   if(ok)
      ok = ReadOptInt("data.slippage", -1, 0, 10000, slip, err);
   if(!ok)
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_message", err, -1));
      return;
     }
   if(!SelectOpen(ticket))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_ticket", "no open position #" + IntegerToString(ticket), 4108));
      return;
     }
   if(!IsMarketType(OrderType()))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_ticket", "#" + IntegerToString(ticket) + " is a pending order: use delete_order", -1));
      return;
     }
   string sym = OrderSymbol();
   double have = OrderLots();
   string msg = "";
   RefreshRates();
   if(Frozen(msg))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("modification_too_close", msg, 145));
      return;
     }
   if(has_lots && lots < have - 0.0000001)
     {
      if(!CheckVolume(sym, lots, "closing volume", msg) || !CheckVolume(sym, have - lots, "the remaining volume", msg))
        {
         FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_volume", msg, -1));
         return;
        }
     }
   else
      if(has_lots && lots > have + 0.0000001)
        {
         FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_volume", "cannot close " + JNum(lots, 8) + " lots of a " + JNum(have, 8) + " lot position", -1));
         return;
        }
      else
         has_lots = false;   // all of it
   if(!TradingAllowedNow(msg))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("trading_not_allowed", msg, 4109));
      return;
     }
   g_cl_ticket = ticket;
   g_cl_lots = (has_lots ? NormalizeDouble(lots, LotDigits(sym)) : 0);
   g_cl_orig = have;
   g_cl_slip = (int)slip;
   OpStart(OPK_CLOSE);
   OpJournalSending("{" + JKs("command", "close_position") + "," + JKi("ticket", ticket) + "," + JKr("lots", LotsJ(g_cl_lots))
                    + "," + JKr("orig_lots", LotsJ(have)) + "}");
  }

void BeginDelete(string rid)
  {
   string err = "";
   g_op_cmd = "delete_order";
   g_op_rid = rid;
   int ticket = 0;
   bool ok = CheckKeys("data", "ticket", err);
   if(ok)
      ok = ReadTicket("data.ticket", ticket, err);
   if(!ok)
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_message", err, -1));
      return;
     }
   if(!SelectOpen(ticket))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_ticket", "no pending order #" + IntegerToString(ticket), 4108));
      return;
     }
   if(!IsPendingType(OrderType()))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_ticket", "#" + IntegerToString(ticket) + " is a position: use close_position", -1));
      return;
     }
   string msg = "";
   if(!TradingAllowedNow(msg))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("trading_not_allowed", msg, 4109));
      return;
     }
   g_cl_ticket = ticket;
   OpStart(OPK_DELETE);
   OpJournalSending("{" + JKs("command", "delete_order") + "," + JKi("ticket", ticket) + "}");
  }

void BeginCloseAll(string rid)
  {
   string err = "";
   g_op_cmd = "close_all";
   g_op_rid = rid;
   string sym = "";
   long slip = -1;
   bool ok = true;
   if(JType("data") == J_OBJ)
      ok = CheckKeys("data", "symbol,slippage", err);
   if(ok && JHasValue("data.symbol") && !JGetStr("data.symbol", sym))
     {
      err = "data.symbol must be a string";
      ok = false;
     }
   if(ok)
      ok = ReadOptInt("data.slippage", -1, 0, 10000, slip, err);
   if(!ok)
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("invalid_message", err, -1));
      return;
     }
   string msg = "";
   if(!TradingAllowedNow(msg))
     {
      FinishCommand(g_op_cmd, rid, false, "", ErrJson("trading_not_allowed", msg, 4109));
      return;
     }
   g_ca_n = 0;
   ArrayResize(g_ca_tickets, 0);
   string list = "";
   for(int i = 0; i < OrdersTotal(); i++)
     {
      if(!OrderSelect(i, SELECT_BY_POS, MODE_TRADES) || OrderType() > OP_SELLSTOP)
         continue;
      if(sym != "" && OrderSymbol() != sym)
         continue;
      ArrayResize(g_ca_tickets, g_ca_n + 1, 16);
      g_ca_tickets[g_ca_n] = OrderTicket();
      list += (g_ca_n == 0 ? "" : ",") + IntegerToString(OrderTicket());
      g_ca_n++;
     }
   g_ca_idx = 0;
   g_ca_tries = 0;
   g_ca_slip = (int)slip;
   g_ca_closed = "";
   g_ca_failed = "";
   g_ca_first_err = "";
   g_ca_failed_n = 0;
   OpStart(OPK_CLOSEALL);
   OpJournalSending("{" + JKs("command", "close_all") + ",\"tickets\":[" + list + "]}");
  }
//+------------------------------------------------------------------+
