//+------------------------------------------------------------------+
//| OrderTracker.mqh: finds order changes by diffing the open-order  |
//| list every timer tick (MQL4 has no OnTrade).                     |
//|                                                                  |
//| g_prev is what the gateway was last told. The diff only runs     |
//| while a session is up, so across a disconnect g_prev stays as    |
//| the gateway last saw it and the first diff after the reconnect   |
//| reports everything that happened meanwhile (closes with their    |
//| real close price from history). It is also saved to a file on    |
//| OnDeinit so an EA restart catches up the same way.               |
//| Vanished tickets are looked up with OrderSelect(ticket,          |
//| SELECT_BY_TICKET): the history list (OrdersHistoryTotal) depends |
//| on the period the trader picked and is never scanned here.       |
//+------------------------------------------------------------------+
#property strict

OrdRec g_prev[];
int    g_prev_n = 0;
bool   g_prev_valid = false;     // g_prev describes what the gateway knows
OrdRec g_cur[];
int    g_cur_n = 0;
bool   g_cur_new[];              // per g_cur entry: not in g_prev
bool   g_cur_used[];             // per g_cur entry: already reported as a partial-close remainder
int    g_gw_closed[];            // tickets our own commands closed (reason "gateway")
int    g_gw_closed_n = 0;

void GatewayClosedAdd(int ticket)
  {
   if(g_gw_closed_n >= 256)
     {
      for(int i = 1; i < g_gw_closed_n; i++)
         g_gw_closed[i - 1] = g_gw_closed[i];
      g_gw_closed_n--;
     }
   ArrayResize(g_gw_closed, g_gw_closed_n + 1, 32);
   g_gw_closed[g_gw_closed_n] = ticket;
   g_gw_closed_n++;
  }

bool GatewayClosedHas(int ticket)
  {
   for(int i = 0; i < g_gw_closed_n; i++)
      if(g_gw_closed[i] == ticket)
         return true;
   return false;
  }

// A closed or deleted order from history. False when the terminal cannot find it.
bool HistoryRecord(int ticket, OrdRec &h)
  {
   if(!OrderSelect(ticket, SELECT_BY_TICKET, MODE_HISTORY))
      return false;
   if(OrderCloseTime() == 0)
      return false;
   OrdFromSelected(h);
   return true;
  }

// "from #123" -> 123, "to #456" -> 456 for the given prefix; 0 otherwise.
int TicketAfter(string comment, string prefix)
  {
   int at = StringFind(comment, prefix);
   if(at < 0)
      return 0;
   string rest = StringSubstr(comment, at + StringLen(prefix));
   int n = 0;
   while(n < StringLen(rest) && StringGetCharacter(rest, n) >= '0' && StringGetCharacter(rest, n) <= '9')
      n++;
   if(n == 0 || n > 10)
      return 0;
   return (int)StringToInteger(StringSubstr(rest, 0, n));
  }

// The new ticket that carries on a partially closed position `old` (hist: its
// history record, hist_ok whether found). Matches on symbol, type, open time,
// open price and magic, and uses the from/to comments only to choose or veto.
int FindRemainder(const OrdRec &old, const OrdRec &hist, bool hist_ok)
  {
   int to_ticket = (hist_ok ? TicketAfter(hist.comment, "to #") : 0);
   double half_point = MarketInfo(old.symbol, MODE_POINT) / 2.0;
   if(half_point <= 0)
      half_point = 0.0000001;
   int best = -1;
   for(int i = 0; i < g_cur_n; i++)
     {
      if(!g_cur_new[i] || g_cur_used[i])
         continue;
      if(!IsMarketType(g_cur[i].type) || g_cur[i].type != old.type || g_cur[i].symbol != old.symbol)
         continue;
      if(g_cur[i].magic != old.magic || g_cur[i].open_time != old.open_time)
         continue;
      if(MathAbs(g_cur[i].open_price - old.open_price) > half_point)
         continue;
      int from_ticket = TicketAfter(g_cur[i].comment, "from #");
      if(from_ticket != 0 && from_ticket != old.ticket)
         continue;                    // the remainder of another position
      if(to_ticket != 0 && to_ticket != g_cur[i].ticket)
         continue;                    // history names a different remainder
      if(from_ticket == old.ticket || to_ticket == g_cur[i].ticket)
         return i;                    // structure and comment agree
      if(best < 0)
         best = i;
     }
   return best;
  }

// Builds g_cur and the new-ticket flags.
void TrackerScan()
  {
   g_cur_n = ScanOpenOrders(g_cur);
   ArrayResize(g_cur_new, g_cur_n);
   ArrayResize(g_cur_used, g_cur_n);
   for(int i = 0; i < g_cur_n; i++)
     {
      g_cur_new[i] = (FindTicket(g_prev, g_prev_n, g_cur[i].ticket, i) < 0);
      g_cur_used[i] = false;
     }
  }

// g_prev := g_cur, keeping what positions_update last sent for each ticket.
void TrackerCommit()
  {
   OrdRec keep[];
   ArrayResize(keep, g_prev_n);
   for(int k = 0; k < g_prev_n; k++)
      OrdCopy(keep[k], g_prev[k]);
   int old_n = g_prev_n;
   ArrayResize(g_prev, g_cur_n, 32);
   for(int i = 0; i < g_cur_n; i++)
     {
      OrdCopy(g_prev[i], g_cur[i]);
      int j = FindTicket(keep, old_n, g_cur[i].ticket, i);
      if(j >= 0)
        {
         g_prev[i].sent_valid = keep[j].sent_valid;
         g_prev[i].sent_price = keep[j].sent_price;
         g_prev[i].sent_profit = keep[j].sent_profit;
         g_prev[i].sent_swap = keep[j].sent_swap;
         g_prev[i].sent_comm = keep[j].sent_comm;
        }
     }
   g_prev_n = g_cur_n;
   g_prev_valid = true;
  }

// Takes the current orders as known without reporting anything.
void TrackerBaseline()
  {
   TrackerScan();
   TrackerCommit();
  }

void ReportVanished(const OrdRec &old)
  {
   OrdRec h;
   bool found = HistoryRecord(old.ticket, h);
   if(!found)
     {
      // Not in the terminal's history: report what we last saw.
      Log("ticket " + IntegerToString(old.ticket) + " vanished and is not in history; using the last known values");
      OrdCopy(h, old);
      h.close_time = TimeCurrent();
     }
   if(IsPendingType(old.type))
     {
      if(found && IsMarketType(h.type))
        {
         // filled and closed between two ticks: report both steps
         EnsureSymbolInfo(h.symbol);
         EmitEvent("order_triggered", PositionJson(h));
         EmitEvent("position_closed", ClosedJson(h, GatewayClosedHas(old.ticket)));
         return;
        }
      string reason = "cancelled";
      string lc = ToLowerAscii(h.comment);
      if(found && ((h.expiration > 0 && h.close_time >= h.expiration) || StringFind(lc, "expir") >= 0))
         reason = "expired";
      EmitEvent("order_deleted", "{" + JKi("ticket", old.ticket) + "," + JKs("reason", reason) + "}");
      return;
     }
   int r = FindRemainder(old, h, found);
   if(r >= 0)
     {
      g_cur_used[r] = true;
      if(!found || h.lots <= 0 || h.lots >= old.lots)
         h.lots = old.lots - g_cur[r].lots;   // the closed part
      if(h.lots <= 0)
         h.lots = old.lots;
      EnsureSymbolInfo(old.symbol);
      EmitEvent("position_partially_closed", PartialJson(h, g_cur[r]));
      return;
     }
   EnsureSymbolInfo(old.symbol);
   EmitEvent("position_closed", ClosedJson(h, GatewayClosedHas(old.ticket)));
  }

// The diff: reports every change since g_prev, then commits.
void TrackerDiff()
  {
   if(!g_prev_valid)
     {
      TrackerBaseline();
      return;
     }
   TrackerScan();
   // 1. vanished tickets: closed, partially closed, deleted
   for(int p = 0; p < g_prev_n; p++)
     {
      if(FindTicket(g_cur, g_cur_n, g_prev[p].ticket, p) >= 0)
         continue;
      ReportVanished(g_prev[p]);
     }
   // 2. tickets still there: triggered, modified
   for(int i = 0; i < g_cur_n; i++)
     {
      if(g_cur_new[i])
         continue;
      int j = FindTicket(g_prev, g_prev_n, g_cur[i].ticket, i);
      if(j < 0)
         continue;
      if(IsPendingType(g_prev[j].type) && IsMarketType(g_cur[i].type))
        {
         EnsureSymbolInfo(g_cur[i].symbol);
         EmitEvent("order_triggered", PositionJson(g_cur[i]));
         continue;
        }
      if(IsMarketType(g_cur[i].type))
        {
         if(NumChanged(g_prev[j].sl, g_cur[i].sl) || NumChanged(g_prev[j].tp, g_cur[i].tp))
            EmitEvent("position_modified", "{" + JKi("ticket", g_cur[i].ticket)
                      + "," + JKr("stop_loss", PriceJ(g_cur[i].symbol, g_cur[i].sl))
                      + "," + JKr("take_profit", PriceJ(g_cur[i].symbol, g_cur[i].tp)) + "}");
        }
      else
         if(NumChanged(g_prev[j].open_price, g_cur[i].open_price) || NumChanged(g_prev[j].sl, g_cur[i].sl)
            || NumChanged(g_prev[j].tp, g_cur[i].tp) || g_prev[j].expiration != g_cur[i].expiration)
            EmitEvent("order_modified", "{" + JKi("ticket", g_cur[i].ticket)
                      + "," + JKr("price", PriceJ(g_cur[i].symbol, g_cur[i].open_price))
                      + "," + JKr("stop_loss", PriceJ(g_cur[i].symbol, g_cur[i].sl))
                      + "," + JKr("take_profit", PriceJ(g_cur[i].symbol, g_cur[i].tp))
                      + "," + JKt("expiration", ServerToUtc(g_cur[i].expiration)) + "}");
     }
   // 3. new tickets that are not the remainder of a partial close
   for(int n = 0; n < g_cur_n; n++)
     {
      if(!g_cur_new[n] || g_cur_used[n])
         continue;
      EnsureSymbolInfo(g_cur[n].symbol);
      if(IsMarketType(g_cur[n].type))
         EmitEvent("position_opened", PositionJson(g_cur[n]));
      else
         EmitEvent("order_placed", PendingJson(g_cur[n]));
     }
   TrackerCommit();
  }

// The snapshot event's data, from g_prev (call right after a diff or baseline).
string SnapshotJson()
  {
   string pos = "";
   string pend = "";
   for(int i = 0; i < g_prev_n; i++)
     {
      if(IsMarketType(g_prev[i].type))
         pos += (pos == "" ? "" : ",") + PositionJson(g_prev[i]);
      else
         pend += (pend == "" ? "" : ",") + PendingJson(g_prev[i]);
     }
   return "{\"account\":" + AccountJson() + ",\"positions\":[" + pos + "],\"pending_orders\":[" + pend + "]}";
  }

// After a snapshot every position's live values count as sent.
void TrackerMarkAllSent()
  {
   for(int i = 0; i < g_prev_n; i++)
     {
      g_prev[i].sent_valid = true;
      g_prev[i].sent_price = g_prev[i].cur_price;
      g_prev[i].sent_profit = g_prev[i].profit;
      g_prev[i].sent_swap = g_prev[i].swap;
      g_prev[i].sent_comm = g_prev[i].commission;
     }
  }

// positions_update with the positions whose price/profit/swap changed.
void TrackerPositionsUpdate()
  {
   string list = "";
   for(int i = 0; i < g_prev_n; i++)
     {
      if(!IsMarketType(g_prev[i].type))
         continue;
      if(g_prev[i].sent_valid && !NumChanged(g_prev[i].sent_price, g_prev[i].cur_price)
         && !NumChanged(g_prev[i].sent_profit, g_prev[i].profit) && !NumChanged(g_prev[i].sent_swap, g_prev[i].swap)
         && !NumChanged(g_prev[i].sent_comm, g_prev[i].commission))
         continue;
      list += (list == "" ? "" : ",") + "{" + JKi("ticket", g_prev[i].ticket)
              + "," + JKr("current_price", PriceJ(g_prev[i].symbol, g_prev[i].cur_price))
              + "," + JKr("profit", MoneyJ(g_prev[i].profit))
              + "," + JKr("swap", MoneyJ(g_prev[i].swap))
              + "," + JKr("commission", MoneyJ(g_prev[i].commission)) + "}";
      g_prev[i].sent_valid = true;
      g_prev[i].sent_price = g_prev[i].cur_price;
      g_prev[i].sent_profit = g_prev[i].profit;
      g_prev[i].sent_swap = g_prev[i].swap;
      g_prev[i].sent_comm = g_prev[i].commission;
     }
   if(list != "")
      EmitEvent("positions_update", "{\"positions\":[" + list + "]}");
  }

//--- saving g_prev across EA restarts -----------------------------------
// One line per order: ticket|type|lots|open_price|sl|tp|open_time|expiration|magic|symbol|comment
// after a first line "account|<login>". The comment is last so it may hold '|'.
string TrackerFile()
  {
   return CFG_DIR + "\\state-" + g_agent_id + ".txt";
  }

void TrackerSave()
  {
   if(!g_prev_valid || g_agent_id == "")
      return;
   // The account the list was taken on: during an account switch AccountNumber() may
   // already be the new one.
   long login = (g_work_login != 0 ? g_work_login : AccountNumber());
   string text = "account|" + IntegerToString(login) + "\n";
   for(int i = 0; i < g_prev_n; i++)
     {
      string c = g_prev[i].comment;
      StringReplace(c, "\n", " ");
      StringReplace(c, "\r", " ");
      text += IntegerToString(g_prev[i].ticket) + "|" + IntegerToString(g_prev[i].type)
              + "|" + DoubleToString(g_prev[i].lots, 8) + "|" + DoubleToString(g_prev[i].open_price, 8)
              + "|" + DoubleToString(g_prev[i].sl, 8) + "|" + DoubleToString(g_prev[i].tp, 8)
              + "|" + IntegerToString((long)g_prev[i].open_time) + "|" + IntegerToString((long)g_prev[i].expiration)
              + "|" + IntegerToString(g_prev[i].magic) + "|" + g_prev[i].symbol + "|" + c + "\n";
     }
   WriteTextFile(TrackerFile(), text);
  }

// Loads the saved list as g_prev when it belongs to this account.
bool TrackerLoad()
  {
   string text = "";
   if(!ReadTextFile(TrackerFile(), text))
      return false;
   string lines[];
   int n = SplitLines(text, lines);
   if(n < 1 || lines[0] != "account|" + IntegerToString(AccountNumber()))
      return false;
   ArrayResize(g_prev, 0);
   g_prev_n = 0;
   for(int i = 1; i < n; i++)
     {
      string f[];
      if(StringSplit(lines[i], '|', f) < 11)
         continue;
      string comment = f[10];
      for(int k = 11; k < ArraySize(f); k++)
         comment += "|" + f[k];
      ArrayResize(g_prev, g_prev_n + 1, 32);
      OrdClear(g_prev[g_prev_n]);
      g_prev[g_prev_n].ticket = (int)StringToInteger(f[0]);
      g_prev[g_prev_n].type = (int)StringToInteger(f[1]);
      g_prev[g_prev_n].lots = StringToDouble(f[2]);
      g_prev[g_prev_n].open_price = StringToDouble(f[3]);
      g_prev[g_prev_n].sl = StringToDouble(f[4]);
      g_prev[g_prev_n].tp = StringToDouble(f[5]);
      g_prev[g_prev_n].open_time = (datetime)StringToInteger(f[6]);
      g_prev[g_prev_n].expiration = (datetime)StringToInteger(f[7]);
      g_prev[g_prev_n].magic = (int)StringToInteger(f[8]);
      g_prev[g_prev_n].symbol = f[9];
      g_prev[g_prev_n].comment = comment;
      if(g_prev[g_prev_n].ticket > 0 && g_prev[g_prev_n].lots > 0)
         g_prev_n++;
     }
   g_prev_valid = true;
   return true;
  }
//+------------------------------------------------------------------+
