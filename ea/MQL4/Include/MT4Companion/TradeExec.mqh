//+------------------------------------------------------------------+
//| TradeExec.mqh: one step of the active trade command per timer    |
//| tick, and the recovery of commands a restart left half done.     |
//+------------------------------------------------------------------+
#property strict

// Finds the order a request placed: its tag first, in open orders and then in
// history (a one-off scan, only for recovery). Fallback when a partial close
// rewrote the comment ("from #"/"to #"): same symbol, type family and magic,
// opened within [sent_utc - 5 s, sent_utc + 300 s].
int FindTagged(string tag, string sym, int type, int magic, long sent_utc)
  {
   for(int i = OrdersTotal() - 1; i >= 0; i--)
      if(OrderSelect(i, SELECT_BY_POS, MODE_TRADES) && OrderSymbol() == sym && StartsWith(OrderComment(), tag))
         return OrderTicket();
   int total = OrdersHistoryTotal();
   for(int h = total - 1; h >= 0 && h >= total - 5000; h--)
      if(OrderSelect(h, SELECT_BY_POS, MODE_HISTORY) && OrderSymbol() == sym && StartsWith(OrderComment(), tag))
         return OrderTicket();
   if(sent_utc <= 0)
      return 0;
   bool buy = (type == OP_BUY || type == OP_BUYLIMIT || type == OP_BUYSTOP);
   for(int pass = 0; pass < 2; pass++)
     {
      int n = (pass == 0 ? OrdersTotal() : OrdersHistoryTotal());
      for(int k = n - 1; k >= 0 && k >= n - 5000; k--)
        {
         if(!OrderSelect(k, SELECT_BY_POS, pass == 0 ? MODE_TRADES : MODE_HISTORY))
            continue;
         if(OrderSymbol() != sym || OrderMagicNumber() != magic || OrderType() > OP_SELLSTOP)
            continue;
         int ot = OrderType();
         bool obuy = (ot == OP_BUY || ot == OP_BUYLIMIT || ot == OP_BUYSTOP);
         if(obuy != buy)
            continue;
         if(IsMarketType(type) && !IsMarketType(ot))
            continue;
         string c = OrderComment();
         if(!StartsWith(c, "from #") && !StartsWith(c, "to #"))
            continue;
         long opened = (long)ServerToUtc(OrderOpenTime());
         if(opened >= sent_utc - 5 && opened <= sent_utc + 300)
            return OrderTicket();
        }
     }
   return 0;
  }

// The reply data of a placed order, with the stops it carries now. `warning`: what the
// trader must know although the order is placed (its stops could not be set).
string ExecSuccessData(int ticket, int attempts, string warning)
  {
   string w = (warning == "" ? "" : "," + JKs("stops_warning", Clip(warning, 500)));
   if(!OrderSelect(ticket, SELECT_BY_TICKET))
      return "{" + JKi("ticket", ticket) + "," + JKr("open_price", "0") + w + "}";
   string sym = OrderSymbol();
   string s = "{" + JKi("ticket", ticket)
              + "," + JKr("open_price", PriceJ(sym, OrderOpenPrice()))
              + "," + JKr("lots", LotsJ(OrderLots()))
              + "," + JKs("symbol", sym)
              + "," + JKs("type", TypeName(OrderType()))
              + "," + JKr("stop_loss", PriceJ(sym, OrderStopLoss()))
              + "," + JKr("take_profit", PriceJ(sym, OrderTakeProfit()));
   if(attempts > 0)
      s += "," + JKi("attempts", attempts);
   return s + w + "}";
  }

// The order is placed; on market execution its stops come next, in the same command.
void ExecPlaced(int ticket)
  {
   if(g_ex_market && (g_ex_sl != 0 || g_ex_tp != 0))
     {
      g_ex_ticket = ticket;
      g_op_first_ms = 0;          // the modify gets its own retry time
      g_op_maybe_sent = false;
      g_op_next_ms = 0;
      return;
     }
   OpFinish(true, ExecSuccessData(ticket, g_op_attempts, ""), "");
  }

string StopsWarning(int ticket, string why)
  {
   return "position #" + IntegerToString(ticket) + " is open WITHOUT the requested stop loss / take profit: " + why
          + ". Set them yourself.";
  }

// Market execution, second step: OrderModify the stops onto the open position.
void StepExecStops()
  {
   int t = g_ex_ticket;
   if(!SelectOpen(t))
     {
      OpFinish(true, ExecSuccessData(t, g_op_attempts, "position #" + IntegerToString(t) + " was closed before its stops could be set"), "");
      return;
     }
   if(!NumChanged(OrderStopLoss(), g_ex_sl) && !NumChanged(OrderTakeProfit(), g_ex_tp))
     {
      OpFinish(true, ExecSuccessData(t, g_op_attempts, ""), "");   // set (an ambiguous modify went through)
      return;
     }
   if(g_op_maybe_sent)
     {
      if(!StillLooking())
         OpFinish(true, ExecSuccessData(t, g_op_attempts, StopsWarning(t, "OrderModify answered error " + IntegerToString(g_op_amb_err))), "");
      return;
     }
   g_op_attempts++;
   int err = 146;
   if(!IsTradeContextBusy())
     {
      ResetLastError();
      if(OrderModify(t, OrderOpenPrice(), g_ex_sl, g_ex_tp, 0, clrNONE))
        {
         OpFinish(true, ExecSuccessData(t, g_op_attempts, ""), "");
         return;
        }
      err = GetLastError();
     }
   if(RetryLater(err))
      return;
   if(IsAmbiguousError(err))
     {
      MarkAmbiguous(err);
      return;
     }
   Log("OrderModify of the stops of #" + IntegerToString(t) + " failed: " + IntegerToString(err));
   OpFinish(true, ExecSuccessData(t, g_op_attempts, StopsWarning(t, "setting them failed with MT4 error " + IntegerToString(err) + " (" + Mt4ErrText(err) + ")")), "");
  }

// Returns true when the op should try again on a later tick (and sets the pause).
bool RetryLater(int err)
  {
   long now = NowMs();
   if(g_op_first_ms == 0)
      g_op_first_ms = now;
   if(!IsRetryableError(err) || now - g_op_first_ms >= g_cfg_retry_ms)
      return false;
   g_op_next_ms = now + RetryPauseMs(g_op_attempts);
   return true;
  }

// After an ambiguous error: true while the EA should keep looking (and pauses the op).
bool StillLooking()
  {
   if(NowMs() - g_op_amb_ms >= g_cfg_ambiguous_ms)
      return false;
   g_op_next_ms = NowMs() + LOOK_PAUSE_MS;
   return true;
  }

void MarkAmbiguous(int err)
  {
   g_op_maybe_sent = true;
   g_op_amb_err = err;
   g_op_amb_ms = NowMs();
   g_op_next_ms = NowMs() + LOOK_PAUSE_MS;
  }

string AmbiguousGiveUp()
  {
   return "MT4 answered error " + IntegerToString(g_op_amb_err) + " and after " + IntegerToString(g_cfg_ambiguous_ms / 1000)
          + " s the account still shows no sign of it: not executed";
  }

void StepExecute()
  {
   if(g_ex_ticket > 0)
     {
      StepExecStops();
      return;
     }
   if(g_op_maybe_sent)
     {
      // Never sent again: the first call may have placed it. Look for the tag.
      int late = FindTagged(g_ex_tag, g_ex_sym, g_ex_type, g_ex_magic, 0);
      if(late > 0)
        {
         Log("the order of request " + g_op_rid + " appeared after error " + IntegerToString(g_op_amb_err) + ": #" + IntegerToString(late));
         ExecPlaced(late);
         return;
        }
      if(StillLooking())
         return;
      OpFinish(false, "", ErrMt4(g_op_amb_err, AmbiguousGiveUp() + " (no order tagged " + g_ex_tag + ")"));
      return;
     }
   if(IsTradeContextBusy())
     {
      g_op_attempts++;
      if(RetryLater(146))
         return;
      OpFinish(false, "", ErrMt4(146, "order not sent: the trade context stayed busy for " + IntegerToString(g_cfg_retry_ms / 1000) + " s"));
      return;
     }
   RefreshRates();
   int digits = SymDigits(g_ex_sym);
   double price = g_ex_price;
   if(g_ex_type == OP_BUY)
      price = MarketInfo(g_ex_sym, MODE_ASK);
   if(g_ex_type == OP_SELL)
      price = MarketInfo(g_ex_sym, MODE_BID);
   price = NormalizeDouble(price, digits);
   g_op_attempts++;
   ResetLastError();
   // Market execution refuses stops in OrderSend (error 130): they follow by OrderModify.
   double sl = (g_ex_market ? 0 : g_ex_sl);
   double tp = (g_ex_market ? 0 : g_ex_tp);
   int ticket = OrderSend(g_ex_sym, g_ex_type, g_ex_lots, price, SlipPoints(g_ex_sym, g_ex_slip), sl, tp, g_ex_comment, g_ex_magic, g_ex_exp, clrNONE);
   if(ticket > 0)
     {
      ExecPlaced(ticket);
      return;
     }
   int err = GetLastError();
   Log("OrderSend " + TypeName(g_ex_type) + " " + g_ex_sym + " failed: " + IntegerToString(err) + " (attempt " + IntegerToString(g_op_attempts) + ")");
   if(RetryLater(err))
      return;
   if(IsAmbiguousError(err))
     {
      int found = FindTagged(g_ex_tag, g_ex_sym, g_ex_type, g_ex_magic, 0);
      if(found > 0)
        {
         ExecPlaced(found);
         return;
        }
      MarkAmbiguous(err);
      return;
     }
   OpFinish(false, "", ErrMt4(err, "order not placed after " + IntegerToString(g_op_attempts) + " attempt(s)"));
  }

void StepModify()
  {
   if(!SelectOpen(g_md_ticket))
     {
      OpFinish(false, "", ErrJson("invalid_ticket", "#" + IntegerToString(g_md_ticket) + " is no longer open", 4108));
      return;
     }
   g_op_attempts++;
   ResetLastError();
   double price = (IsMarketType(OrderType()) ? OrderOpenPrice() : g_md_price);
   bool ok = OrderModify(g_md_ticket, price, g_md_sl, g_md_tp, g_md_exp, clrNONE);
   if(ok)
     {
      string sym = OrderSymbol();
      OpFinish(true, "{" + JKi("ticket", g_md_ticket) + "," + JKr("stop_loss", PriceJ(sym, g_md_sl)) + "," + JKr("take_profit", PriceJ(sym, g_md_tp))
               + "," + JKr("price", PriceJ(sym, price)) + "}", "");
      return;
     }
   int err = GetLastError();
   if(RetryLater(err))
      return;
   OpFinish(false, "", ErrMt4(err, "order #" + IntegerToString(g_md_ticket) + " not modified"));
  }

// The open ticket that carries on `ticket` after a partial close, 0 if none.
int RemainderOf(int ticket, string sym, int type, datetime opened, int magic)
  {
   if(OrderSelect(ticket, SELECT_BY_TICKET))
     {
      int to = TicketAfter(OrderComment(), "to #");
      if(to > 0 && SelectOpen(to))
         return to;
     }
   int best = 0;
   for(int i = OrdersTotal() - 1; i >= 0; i--)
     {
      if(!OrderSelect(i, SELECT_BY_POS, MODE_TRADES))
         continue;
      if(OrderTicket() == ticket || OrderSymbol() != sym || OrderType() != type)
         continue;
      int from = TicketAfter(OrderComment(), "from #");
      if(from == ticket)
         return OrderTicket();
      if(from == 0 && OrderOpenTime() == opened && OrderMagicNumber() == magic && OrderTicket() > best)
         best = OrderTicket();
     }
   return best;
  }

// Reply data of a (partial) close of `ticket`, from history.
string CloseData(int ticket, bool partial)
  {
   OrdRec h;
   if(!HistoryRecord(ticket, h))
      return "{" + JKi("ticket", ticket) + "}";
   double profit = h.profit;
   string s = "{" + JKi("ticket", ticket)
              + "," + JKr("close_price", PriceJ(h.symbol, h.cur_price))
              + "," + JKr("closed_lots", LotsJ(h.lots))
              + "," + JKr("profit", MoneyJ(profit))
              + "," + JKr("swap", MoneyJ(h.swap))
              + "," + JKr("commission", MoneyJ(h.commission))
              + "," + JKr("net_profit", MoneyJ(profit + h.swap + h.commission));
   if(partial)
     {
      int rem = RemainderOf(ticket, h.symbol, h.type, h.open_time, h.magic);
      if(rem > 0 && OrderSelect(rem, SELECT_BY_TICKET))
         s += "," + JKi("new_ticket", rem) + "," + JKr("remaining_lots", LotsJ(OrderLots()));
     }
   return s + "}";
  }

// One OrderClose/OrderDelete of `ticket`. 1 done, 0 retry later, -1 failed (err set).
int CloseOnce(int ticket, double lots, int slip, int &err)
  {
   err = 0;
   if(!SelectOpen(ticket))
      return 1;   // gone already
   if(IsTradeContextBusy())
     {
      err = 146;
      return -1;
     }
   RefreshRates();
   bool ok = false;
   ResetLastError();
   if(IsPendingType(OrderType()))
      ok = OrderDelete(ticket, clrNONE);
   else
     {
      string sym = OrderSymbol();
      double price = NormalizeDouble(OrderType() == OP_BUY ? MarketInfo(sym, MODE_BID) : MarketInfo(sym, MODE_ASK), SymDigits(sym));
      double l = (lots > 0 ? lots : OrderLots());
      ok = OrderClose(ticket, l, price, SlipPoints(sym, slip), clrNONE);
     }
   if(ok)
     {
      GatewayClosedAdd(ticket);
      return 1;
     }
   err = GetLastError();
   return -1;
  }

void StepClose()
  {
   if(!SelectOpen(g_cl_ticket))
     {
      if(g_op_maybe_sent)
         OpFinish(true, CloseData(g_cl_ticket, g_cl_lots > 0), "");   // the close went through
      else
         OpFinish(false, "", ErrJson("invalid_ticket", "#" + IntegerToString(g_cl_ticket) + " is no longer open", 4108));
      return;
     }
   if(g_op_maybe_sent)
     {
      if(!StillLooking())
         OpFinish(false, "", ErrMt4(g_op_amb_err, AmbiguousGiveUp() + " (#" + IntegerToString(g_cl_ticket) + " is still open)"));
      return;
     }
   g_op_attempts++;
   int err = 0;
   int r = CloseOnce(g_cl_ticket, g_cl_lots, g_cl_slip, err);
   if(r > 0)
     {
      OpFinish(true, CloseData(g_cl_ticket, g_cl_lots > 0), "");
      return;
     }
   if(RetryLater(err))
      return;
   if(IsAmbiguousError(err))
     {
      MarkAmbiguous(err);
      return;
     }
   OpFinish(false, "", ErrMt4(err, "position #" + IntegerToString(g_cl_ticket) + " not closed"));
  }

void StepDelete()
  {
   if(!SelectOpen(g_cl_ticket))
     {
      if(g_op_maybe_sent)
         OpFinish(true, "{" + JKi("ticket", g_cl_ticket) + "}", "");
      else
         OpFinish(false, "", ErrJson("invalid_ticket", "#" + IntegerToString(g_cl_ticket) + " is no longer pending", 4108));
      return;
     }
   if(g_op_maybe_sent)
     {
      if(!StillLooking())
         OpFinish(false, "", ErrMt4(g_op_amb_err, AmbiguousGiveUp() + " (#" + IntegerToString(g_cl_ticket) + " is still pending)"));
      return;
     }
   g_op_attempts++;
   int err = 0;
   if(CloseOnce(g_cl_ticket, 0, 0, err) > 0)
     {
      OpFinish(true, "{" + JKi("ticket", g_cl_ticket) + "}", "");
      return;
     }
   if(RetryLater(err))
      return;
   if(IsAmbiguousError(err))
     {
      MarkAmbiguous(err);
      return;
     }
   OpFinish(false, "", ErrMt4(err, "order #" + IntegerToString(g_cl_ticket) + " not deleted"));
  }

void CloseAllReply()
  {
   string data = "{\"closed\":[" + g_ca_closed + "],\"failed\":[" + g_ca_failed + "]}";
   if(g_ca_failed_n == 0)
      OpFinish(true, data, "");
   else
     {
      OpFinish(false, data, ErrJson(g_ca_first_err, IntegerToString(g_ca_failed_n) + " of " + IntegerToString(g_ca_n)
                                    + " orders could not be closed; see data.failed", -1));
     }
  }

void StepCloseAll()
  {
   if(g_ca_idx >= g_ca_n)
     {
      CloseAllReply();
      return;
     }
   int ticket = g_ca_tickets[g_ca_idx];
   g_ca_tries++;
   g_op_attempts = g_ca_tries;
   int err = 0;
   int r = CloseOnce(ticket, 0, g_ca_slip, err);
   if(r < 0 && RetryLater(err))
      return;
   if(r > 0)
      g_ca_closed += (g_ca_closed == "" ? "" : ",") + IntegerToString(ticket);
   else
     {
      if(g_ca_first_err == "")
         g_ca_first_err = Mt4ErrCode(err);
      g_ca_failed += (g_ca_failed == "" ? "" : ",") + "{" + JKi("ticket", ticket) + ",\"error\":" + ErrMt4(err, "#" + IntegerToString(ticket) + " not closed") + "}";
      g_ca_failed_n++;
     }
   g_ca_idx++;
   g_ca_tries = 0;
   g_op_first_ms = 0;   // each ticket gets its own retry time
   if(g_ca_idx >= g_ca_n)
      CloseAllReply();
  }

// Runs one step of the active trade command.
void TradeStep()
  {
   if(NowMs() < g_op_next_ms)
      return;
   if(g_op == OPK_EXEC)
      StepExecute();
   else
      if(g_op == OPK_MODIFY)
         StepModify();
      else
         if(g_op == OPK_CLOSE)
            StepClose();
         else
            if(g_op == OPK_DELETE)
               StepDelete();
            else
               if(g_op == OPK_CLOSEALL)
                  StepCloseAll();
  }

//=== recovery ======================================================================
// A "sending" entry means the EA stopped between writing it and recording the
// result: the trade call may or may not have reached the server. We never send
// it again. We look at what the account shows and answer from that: the order
// or the change is there -> success; it is not -> failure "not executed", and
// the client may send a new request (with a new request_id) if it still wants it.
void RecoverOne(int idx)
  {
   string rid = g_jr[idx].rid;
   long sent = g_jr[idx].t;
   if(!JsonParse(g_jr[idx].payload))
     {
      FinishCommand("execute_trade", rid, false, "", ErrJson("internal_error", "unreadable journal entry", -1));
      return;
     }
   string cmd = "";
   JGetStr("command", cmd);
   string not_done = "the EA restarted before MT4 answered and the account shows no trace of this request: it was not executed";
   if(cmd == "execute_trade")
     {
      string tag = "", sym = "", tname = "";
      long magic = 0;
      JGetStr("tag", tag);
      JGetStr("symbol", sym);
      JGetStr("type", tname);
      JGetInt("magic", magic);
      double want_sl = 0, want_tp = 0;
      JGetNum("sl", want_sl);
      JGetNum("tp", want_tp);
      int t = FindTagged(tag, sym, TypeFromName(tname), (int)magic, sent);
      string warn = "";
      if(t > 0 && SelectOpen(t) && ((want_sl != 0 && NumChanged(OrderStopLoss(), want_sl)) || (want_tp != 0 && NumChanged(OrderTakeProfit(), want_tp))))
         warn = StopsWarning(t, "the EA restarted before it could set them");
      if(t > 0)
         FinishCommand(cmd, rid, true, ExecSuccessData(t, 0, warn), "");
      else
         FinishCommand(cmd, rid, false, "", ErrJson("internal_error", not_done + " (no order tagged " + tag + ")", -1));
      return;
     }
   long ticket = 0;
   JGetInt("ticket", ticket);
   if(cmd == "close_position")
     {
      double lots = 0;
      JGetNum("lots", lots);
      if(OrderSelect((int)ticket, SELECT_BY_TICKET) && OrderCloseTime() != 0)
         FinishCommand(cmd, rid, true, CloseData((int)ticket, lots > 0), "");
      else
         FinishCommand(cmd, rid, false, "", ErrJson("internal_error", not_done, -1));
      return;
     }
   if(cmd == "delete_order")
     {
      if(OrderSelect((int)ticket, SELECT_BY_TICKET) && OrderCloseTime() != 0)
         FinishCommand(cmd, rid, true, "{" + JKi("ticket", ticket) + "}", "");
      else
         FinishCommand(cmd, rid, false, "", ErrJson("internal_error", not_done, -1));
      return;
     }
   if(cmd == "modify_position")
     {
      double sl = 0, tp = 0, price = 0;
      long want_exp = 0;   // not `exp`: that is MQL4's exp()
      JGetNum("sl", sl);
      JGetNum("tp", tp);
      JGetNum("price", price);
      JGetInt("exp", want_exp);
      if(SelectOpen((int)ticket) && !NumChanged(OrderStopLoss(), sl) && !NumChanged(OrderTakeProfit(), tp)
         && (IsMarketType(OrderType()) || (!NumChanged(OrderOpenPrice(), price) && (long)OrderExpiration() == want_exp)))
        {
         string sym = OrderSymbol();
         FinishCommand(cmd, rid, true, "{" + JKi("ticket", ticket) + "," + JKr("stop_loss", PriceJ(sym, sl)) + "," + JKr("take_profit", PriceJ(sym, tp)) + "}", "");
        }
      else
         FinishCommand(cmd, rid, false, "", ErrJson("internal_error", not_done, -1));
      return;
     }
   if(cmd == "close_all")
     {
      string closed = "", failed = "";
      int nf = 0;
      int n = JCount("tickets");
      for(int i = 0; i < n; i++)
        {
         long tk = 0;
         JGetInt("tickets." + IntegerToString(i), tk);
         if(OrderSelect((int)tk, SELECT_BY_TICKET) && OrderCloseTime() != 0)
            closed += (closed == "" ? "" : ",") + IntegerToString(tk);
         else
           {
            failed += (failed == "" ? "" : ",") + "{" + JKi("ticket", tk) + ",\"error\":" + ErrJson("internal_error", not_done, -1) + "}";
            nf++;
           }
        }
      string data = "{\"closed\":[" + closed + "],\"failed\":[" + failed + "]}";
      if(nf == 0)
         FinishCommand(cmd, rid, true, data, "");
      else
         FinishCommand(cmd, rid, false, data, ErrJson("internal_error", IntegerToString(nf) + " orders were not closed before the EA restarted", -1));
      return;
     }
   FinishCommand("execute_trade", rid, false, "", ErrJson("internal_error", "unknown journal entry", -1));
  }

// Resolves every "sending" entry left by an earlier run. Call once the account
// is logged in, before any command is taken.
void RecoverJournal()
  {
   string rids[];
   int k = 0;
   for(int i = 0; i < g_jr_n; i++)
      if(g_jr[i].state == JR_SENDING)
        {
         ArrayResize(rids, k + 1);
         rids[k] = g_jr[i].rid;
         k++;
        }
   for(int j = 0; j < k; j++)
     {
      int idx = JournalFind(rids[j]);
      if(idx < 0 || g_jr[idx].state != JR_SENDING)
         continue;
      // The op this program is still running (OnInit ran again without a reload): it
      // answers for itself. Resolving it here too would give the request two answers.
      if(g_op != OPK_NONE && rids[j] == g_op_rid)
         continue;
      Log("resolving unfinished request " + rids[j]);
      RecoverOne(idx);
     }
  }
//+------------------------------------------------------------------+
