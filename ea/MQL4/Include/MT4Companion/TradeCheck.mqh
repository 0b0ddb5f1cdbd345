//+------------------------------------------------------------------+
//| TradeCheck.mqh: error codes of the protocol for MT4 errors, the  |
//| reply queue, typed readers for command fields, and the volume    |
//| and stop checks done before anything reaches the trade server.   |
//+------------------------------------------------------------------+
#property strict

//--- replies wait here until a session can carry them ---------------------
string g_replyq[];
int    g_replyq_n = 0;

void QueueReply(string json)
  {
   if(g_replyq_n >= 500)
     {
      Log("reply queue full: dropping the oldest reply (the journal still has it)");
      for(int i = 1; i < g_replyq_n; i++)
         g_replyq[i - 1] = g_replyq[i];
      g_replyq_n--;
     }
   ArrayResize(g_replyq, g_replyq_n + 1, 16);
   g_replyq[g_replyq_n] = json;
   g_replyq_n++;
  }

// Sends the queued replies when the session is up.
void FlushReplies()
  {
   if(!g_session_ready)
      return;
   for(int i = 0; i < g_replyq_n; i++)
      WsSendText(g_replyq[i]);
   g_replyq_n = 0;
   ArrayResize(g_replyq, 0, 16);
  }

//--- MT4 errors -> protocol codes (gateway_core/protocol/errors.py) --------
string Mt4ErrCode(int e)
  {
   switch(e)
     {
      case 1:
         return "no_change";
      case 2:
         return "common_error";
      case 3:
         return "invalid_trade_parameters";
      case 4:
         return "server_busy";
      case 5:
         return "old_version";
      case 6:
         return "no_connection";
      case 7:
         return "not_enough_rights";
      case 8:
         return "too_frequent_requests";
      case 64:
         return "account_disabled";
      case 65:
         return "invalid_account";
      case 128:
         return "trade_timeout";
      case 129:
         return "invalid_price";
      case 130:
         return "invalid_stops";
      case 131:
         return "invalid_volume";
      case 132:
         return "market_closed";
      case 133:
         return "trade_disabled";
      case 134:
         return "not_enough_money";
      case 135:
         return "price_changed";
      case 136:
         return "off_quotes";
      case 137:
         return "broker_busy";
      case 138:
         return "requote";
      case 139:
         return "order_locked";
      case 140:
         return "long_positions_only";
      case 141:
         return "too_many_requests";
      case 145:
         return "modification_too_close";
      case 146:
         return "trade_context_busy";
      case 147:
         return "expiration_denied";
      case 148:
         return "too_many_orders";
      case 149:
         return "hedging_prohibited";
      case 150:
         return "fifo_violation";
      case 4051:
         return "invalid_trade_parameters";
      case 4106:
         return "unknown_symbol";
      case 4108:
         return "invalid_ticket";
      case 4109:
         return "trading_not_allowed";
      case 4110:
         return "long_positions_only";
      case 4111:
         return "long_positions_only";
     }
   return "mt4_error";
  }

string Mt4ErrText(int e)
  {
   switch(e)
     {
      case 0:
         return "no error reported";
      case 1:
         return "nothing to change: the order already has these values";
      case 2:
         return "common error";
      case 3:
         return "invalid trade parameters";
      case 4:
         return "trade server is busy";
      case 6:
         return "no connection with the trade server";
      case 8:
         return "too frequent requests";
      case 64:
         return "account disabled";
      case 128:
         return "trade timeout";
      case 129:
         return "invalid price";
      case 130:
         return "invalid stops: S/L or T/P too close to the price or on the wrong side";
      case 131:
         return "invalid trade volume";
      case 132:
         return "market is closed";
      case 133:
         return "trading is disabled for this symbol or account";
      case 134:
         return "not enough money for this trade";
      case 135:
         return "price changed";
      case 136:
         return "off quotes";
      case 137:
         return "broker is busy";
      case 138:
         return "requote: the price moved beyond the allowed slippage";
      case 139:
         return "order is locked and being processed";
      case 141:
         return "too many requests";
      case 145:
         return "modification denied: order too close to market";
      case 146:
         return "trade context is busy";
      case 147:
         return "expiration dates are denied by the broker";
      case 148:
         return "too many open and pending orders";
      case 149:
         return "hedging is prohibited";
      case 150:
         return "prohibited by FIFO rules";
      case 4051:
         return "invalid function parameter value";
      case 4106:
         return "unknown symbol";
      case 4108:
         return "invalid ticket";
      case 4109:
         return "trading is not allowed: enable AutoTrading in the terminal and 'Allow live trading' for the EA";
     }
   return "MT4 error " + IntegerToString(e);
  }

// error object; mt4 < 0 gives "mt4_error": null
string ErrJson(string code, string message, int mt4)
  {
   return "{" + JKs("code", code) + "," + JKs("message", Clip(message, 500)) + ","
          + (mt4 < 0 ? JKnull("mt4_error") : JKi("mt4_error", mt4)) + "}";
  }

string ErrMt4(int e, string context)
  {
   return ErrJson(Mt4ErrCode(e), context + ": " + Mt4ErrText(e) + " (MT4 error " + IntegerToString(e) + ")", e);
  }

bool IsRetryableError(int e)
  {
   return e == 135 || e == 136 || e == 138 || e == 146;
  }

// Errors after which the order may exist although the call failed.
bool IsAmbiguousError(int e)
  {
   return e == 0 || e == 2 || e == 4 || e == 6 || e == 128 || e == 137 || e == 139 || e == 141;
  }

bool TradingAllowedNow(string &why)
  {
   if(!IsExpertEnabled())
     {
      why = "AutoTrading is off in the terminal";
      return false;
     }
   if(!IsTradeAllowed() && !IsTradeContextBusy())
     {
      why = "live trading is not allowed for the EA (check 'Allow live trading' in its properties)";
      return false;
     }
   return true;
  }

//--- typed readers for command fields (g_j* table of the parsed command) ------
// Each returns false and sets err when the field has the wrong type/range.
bool ReadOptNum(string path, double def, double &out, bool &present, string &err)
  {
   out = def;
   present = false;
   int t = JType(path);
   if(t < 0 || t == J_NULL)
      return true;
   if(t != J_NUM || !JGetNum(path, out))
     {
      err = path + " must be a number";
      return false;
     }
   present = true;
   return true;
  }

bool ReadPrice(string path, double &out, bool &present, string &err)
  {
   if(!ReadOptNum(path, 0, out, present, err))
      return false;
   if(out < 0)
     {
      err = path + " must not be negative";
      return false;
     }
   return true;
  }

bool ReadOptInt(string path, long def, long lo, long hi, long &out, string &err)
  {
   out = def;
   int t = JType(path);
   if(t < 0 || t == J_NULL)
      return true;
   if(!JGetInt(path, out))
     {
      err = path + " must be an integer";
      return false;
     }
   if(out < lo || out > hi)
     {
      err = path + " must be between " + IntegerToString(lo) + " and " + IntegerToString(hi);
      return false;
     }
   return true;
  }

bool ReadTicket(string path, int &ticket, string &err)
  {
   long v = 0;
   if(JType(path) < 0 || JType(path) == J_NULL)
     {
      err = path + " is required";
      return false;
     }
   if(!ReadOptInt(path, 0, 1, 2147483647, v, err))
      return false;
   ticket = (int)v;
   return true;
  }

bool ReadOptTime(string path, datetime &utc, bool &present, string &err)
  {
   utc = 0;
   present = false;
   int t = JType(path);
   if(t < 0 || t == J_NULL)
      return true;
   string s = "";
   if(!JGetStr(path, s) || !ParseIsoUtc(s, utc))
     {
      err = path + " must be an ISO 8601 time with a zone, e.g. 2030-01-31T12:00:00Z";
      return false;
     }
   present = true;
   return true;
  }

// Only the keys listed in `allowed` (comma separated) may appear in the object.
bool CheckKeys(string path, string allowed, string &err)
  {
   string keys[];
   int n = JKeysOf(path, keys);
   string list = "," + allowed + ",";
   for(int i = 0; i < n; i++)
      if(StringFind(list, "," + keys[i] + ",") < 0)
        {
         err = "unknown field " + (path == "" ? "" : path + ".") + keys[i];
         return false;
        }
   return true;
  }

//--- volume and stops ---------------------------------------------------------
string Px(string sym, double v)
  {
   return DoubleToString(v, SymDigits(sym));
  }

// Lots against MODE_MINLOT / MODE_MAXLOT / MODE_LOTSTEP. what: "volume" etc.
bool CheckVolume(string sym, double lots, string what, string &msg)
  {
   double minlot = MarketInfo(sym, MODE_MINLOT);
   double maxlot = MarketInfo(sym, MODE_MAXLOT);
   double step = MarketInfo(sym, MODE_LOTSTEP);
   if(lots <= 0)
     {
      msg = what + " must be positive";
      return false;
     }
   if(minlot > 0 && lots < minlot - 0.0000001)
     {
      msg = what + " " + JNum(lots, 8) + " is below the minimum " + JNum(minlot, 8) + " lots for " + sym;
      return false;
     }
   if(maxlot > 0 && lots > maxlot + 0.0000001)
     {
      msg = what + " " + JNum(lots, 8) + " is above the maximum " + JNum(maxlot, 8) + " lots for " + sym;
      return false;
     }
   if(step > 0)
     {
      double k = lots / step;
      if(MathAbs(k - MathRound(k)) > 0.000001)
        {
         msg = what + " " + JNum(lots, 8) + " is not a multiple of the lot step " + JNum(step, 8) + " for " + sym;
         return false;
        }
     }
   return true;
  }

// S/L, T/P (and a pending order's price) against MODE_STOPLEVEL and the side
// of the market. price: the entry of a pending order (ignored for market).
bool CheckStops(string sym, int type, double price, double sl, double tp, string &msg)
  {
   double pt = MarketInfo(sym, MODE_POINT);
   if(pt <= 0)
      pt = 0.00001;
   int lvl_pts = (int)MarketInfo(sym, MODE_STOPLEVEL);
   double lvl = lvl_pts * pt;
   double gap = MathMax(lvl, pt) - pt / 2.0;   // at least one point, within rounding
   double bid = MarketInfo(sym, MODE_BID);
   double ask = MarketInfo(sym, MODE_ASK);
   string lvl_txt = " (stops level " + IntegerToString(lvl_pts) + " points)";
   bool buy = (type == OP_BUY || type == OP_BUYLIMIT || type == OP_BUYSTOP);
   double ref = price;
   if(type == OP_BUY)
      ref = bid;           // a buy closes at the bid
   if(type == OP_SELL)
      ref = ask;           // a sell closes at the ask
   if(type == OP_BUYLIMIT && price > ask - gap)
     {
      msg = "buy_limit price " + Px(sym, price) + " must be below the ask " + Px(sym, ask) + lvl_txt;
      return false;
     }
   if(type == OP_SELLLIMIT && price < bid + gap)
     {
      msg = "sell_limit price " + Px(sym, price) + " must be above the bid " + Px(sym, bid) + lvl_txt;
      return false;
     }
   if(type == OP_BUYSTOP && price < ask + gap)
     {
      msg = "buy_stop price " + Px(sym, price) + " must be above the ask " + Px(sym, ask) + lvl_txt;
      return false;
     }
   if(type == OP_SELLSTOP && price > bid - gap)
     {
      msg = "sell_stop price " + Px(sym, price) + " must be below the bid " + Px(sym, bid) + lvl_txt;
      return false;
     }
   string side = TypeName(type);
   if(buy)
     {
      if(sl > 0 && sl > ref - gap)
        {
         msg = "stop_loss " + Px(sym, sl) + " of a " + side + " must be below " + Px(sym, ref - lvl) + lvl_txt;
         return false;
        }
      if(tp > 0 && tp < ref + gap)
        {
         msg = "take_profit " + Px(sym, tp) + " of a " + side + " must be above " + Px(sym, ref + lvl) + lvl_txt;
         return false;
        }
     }
   else
     {
      if(sl > 0 && sl < ref + gap)
        {
         msg = "stop_loss " + Px(sym, sl) + " of a " + side + " must be above " + Px(sym, ref + lvl) + lvl_txt;
         return false;
        }
      if(tp > 0 && tp > ref - gap)
        {
         msg = "take_profit " + Px(sym, tp) + " of a " + side + " must be below " + Px(sym, ref - lvl) + lvl_txt;
         return false;
        }
     }
   return true;
  }

// The tag that marks an order as placed for a request id: "mc" + 8 hex of MD5.
string RequestTag(string rid)
  {
   return "mc" + StringSubstr(Md5Hex(rid), 0, 8);
  }

// Tag first (servers rewrite the end of comments: "[sl]", "[tp]"), then as
// much of the trader's comment as fits in MT4's 31 characters.
string TaggedComment(string tag, string comment)
  {
   if(comment == "")
      return tag;
   return tag + " " + Clip(comment, 31 - StringLen(tag) - 1);
  }
// Slippage in points: a given value as is; -1 (not given) is SLIP_DEFAULT_PIPS pips, so
// 3 points on a 4-digit quote and 30 on a 5-digit one (3 points there is 0.3 pip).
#define SLIP_DEFAULT_PIPS 3
int SlipPoints(string sym, int slip)
  {
   if(slip >= 0)
      return slip;
   int digits = (int)MarketInfo(sym, MODE_DIGITS);
   return SLIP_DEFAULT_PIPS * ((digits == 3 || digits == 5) ? 10 : 1);
  }

// The selected order is inside the broker's freeze level (MODE_FREEZELEVEL): the server
// refuses to modify or close it (error 145). Checked first, with a clear message.
bool Frozen(string &msg)
  {
   string sym = OrderSymbol();
   int lvl = (int)MarketInfo(sym, MODE_FREEZELEVEL);
   double pt = MarketInfo(sym, MODE_POINT);
   if(lvl <= 0 || pt <= 0)
      return false;
   double dist = lvl * pt - pt * 0.001;
   int type = OrderType();
   double bid = MarketInfo(sym, MODE_BID), ask = MarketInfo(sym, MODE_ASK);
   bool frozen = false;
   if(type == OP_BUY)
      frozen = (OrderStopLoss() > 0 && bid - OrderStopLoss() < dist) || (OrderTakeProfit() > 0 && OrderTakeProfit() - bid < dist);
   else
      if(type == OP_SELL)
         frozen = (OrderStopLoss() > 0 && OrderStopLoss() - ask < dist) || (OrderTakeProfit() > 0 && ask - OrderTakeProfit() < dist);
      else
        {
         double ref = ((type == OP_BUYLIMIT || type == OP_BUYSTOP) ? ask : bid);
         frozen = MathAbs(OrderOpenPrice() - ref) < dist;
        }
   if(frozen)
      msg = "#" + IntegerToString(OrderTicket()) + " is within the broker's freeze level (" + IntegerToString(lvl)
            + " points from the market): it cannot be changed or closed until the price moves away";
   return frozen;
  }
//+------------------------------------------------------------------+
