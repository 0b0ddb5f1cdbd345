//+------------------------------------------------------------------+
//| Orders.mqh: one record per order (what the diff compares), the   |
//| order type names of the protocol, and a per-symbol cache.        |
//+------------------------------------------------------------------+
#property strict

struct OrdRec
  {
   int               ticket;
   int               type;          // OP_BUY .. OP_SELLSTOP
   string            symbol;
   double            lots;
   double            open_price;
   double            sl;
   double            tp;
   datetime          open_time;     // server time
   datetime          close_time;    // server time, 0 while open
   datetime          expiration;    // server time, 0 none
   int               magic;
   string            comment;
   double            cur_price;     // OrderClosePrice(): the price it would close at now
   double            profit;
   double            swap;
   double            commission;
   bool              sent_valid;    // what the last positions_update carried
   double            sent_price;
   double            sent_profit;
   double            sent_swap;
   double            sent_comm;
  };

void OrdClear(OrdRec &r)
  {
   r.ticket = 0;
   r.type = 0;
   r.symbol = "";
   r.lots = 0;
   r.open_price = 0;
   r.sl = 0;
   r.tp = 0;
   r.open_time = 0;
   r.close_time = 0;
   r.expiration = 0;
   r.magic = 0;
   r.comment = "";
   r.cur_price = 0;
   r.profit = 0;
   r.swap = 0;
   r.commission = 0;
   r.sent_valid = false;
   r.sent_price = 0;
   r.sent_profit = 0;
   r.sent_swap = 0;
   r.sent_comm = 0;
  }

void OrdCopy(OrdRec &d, const OrdRec &s)
  {
   d.ticket = s.ticket;
   d.type = s.type;
   d.symbol = s.symbol;
   d.lots = s.lots;
   d.open_price = s.open_price;
   d.sl = s.sl;
   d.tp = s.tp;
   d.open_time = s.open_time;
   d.close_time = s.close_time;
   d.expiration = s.expiration;
   d.magic = s.magic;
   d.comment = s.comment;
   d.cur_price = s.cur_price;
   d.profit = s.profit;
   d.swap = s.swap;
   d.commission = s.commission;
   d.sent_valid = s.sent_valid;
   d.sent_price = s.sent_price;
   d.sent_profit = s.sent_profit;
   d.sent_swap = s.sent_swap;
   d.sent_comm = s.sent_comm;
  }

// Fills r from the order chosen by the last successful OrderSelect.
void OrdFromSelected(OrdRec &r)
  {
   OrdClear(r);
   r.ticket = OrderTicket();
   r.type = OrderType();
   r.symbol = OrderSymbol();
   r.lots = OrderLots();
   r.open_price = OrderOpenPrice();
   r.sl = OrderStopLoss();
   r.tp = OrderTakeProfit();
   r.open_time = OrderOpenTime();
   r.close_time = OrderCloseTime();
   r.expiration = OrderExpiration();
   r.magic = OrderMagicNumber();
   r.comment = OrderComment();
   r.cur_price = OrderClosePrice();
   r.profit = OrderProfit();
   r.swap = OrderSwap();
   r.commission = OrderCommission();
  }

bool IsMarketType(int type)
  {
   return type == OP_BUY || type == OP_SELL;
  }

bool IsPendingType(int type)
  {
   return type >= OP_BUYLIMIT && type <= OP_SELLSTOP;
  }

string TypeName(int type)
  {
   if(type == OP_BUY)
      return "buy";
   if(type == OP_SELL)
      return "sell";
   if(type == OP_BUYLIMIT)
      return "buy_limit";
   if(type == OP_SELLLIMIT)
      return "sell_limit";
   if(type == OP_BUYSTOP)
      return "buy_stop";
   if(type == OP_SELLSTOP)
      return "sell_stop";
   return "other";
  }

int TypeFromName(string name)
  {
   if(name == "buy")
      return OP_BUY;
   if(name == "sell")
      return OP_SELL;
   if(name == "buy_limit")
      return OP_BUYLIMIT;
   if(name == "sell_limit")
      return OP_SELLLIMIT;
   if(name == "buy_stop")
      return OP_BUYSTOP;
   if(name == "sell_stop")
      return OP_SELLSTOP;
   return -1;
  }

bool NumChanged(double a, double b)
  {
   return MathAbs(a - b) > 0.0000000001;
  }

//--- per-symbol cache of digits -------------------------------------------
string g_sym_names[];
int    g_sym_digits[];
int    g_sym_n = 0;

// Whether the terminal knows the symbol (MarketInfo fails with 4106 otherwise).
bool SymbolKnown(string sym)
  {
   if(sym == "")
      return false;
   ResetLastError();
   double pt = MarketInfo(sym, MODE_POINT);
   int err = GetLastError();
   return (err != 4106 && pt > 0);
  }

int SymDigits(string sym)
  {
   for(int i = 0; i < g_sym_n; i++)
      if(g_sym_names[i] == sym)
         return g_sym_digits[i];
   int d = (int)MarketInfo(sym, MODE_DIGITS);
   if(d <= 0 && MarketInfo(sym, MODE_POINT) <= 0)
      return 5;   // unknown symbol: do not cache
   ArrayResize(g_sym_names, g_sym_n + 1, 16);
   ArrayResize(g_sym_digits, g_sym_n + 1, 16);
   g_sym_names[g_sym_n] = sym;
   g_sym_digits[g_sym_n] = d;
   g_sym_n++;
   return d;
  }

// Decimals of a lot step (0.01 -> 2, 0.1 -> 1, 1 -> 0).
int StepDigits(double step)
  {
   for(int d = 0; d <= 8; d++)
     {
      double scaled = step * MathPow(10, d);
      if(MathAbs(scaled - MathRound(scaled)) < 0.000001)
         return d;
     }
   return 8;
  }

int LotDigits(string sym)
  {
   double step = MarketInfo(sym, MODE_LOTSTEP);
   if(step <= 0)
      return 2;
   int d = StepDigits(step);
   return (d < 2 ? 2 : d);
  }

// Scans the open orders (MODE_TRADES) into arr. Returns how many.
int ScanOpenOrders(OrdRec &arr[])
  {
   int total = OrdersTotal();
   if(ArraySize(arr) < total)
      ArrayResize(arr, total, 32);
   int k = 0;
   for(int i = 0; i < total; i++)
     {
      if(!OrderSelect(i, SELECT_BY_POS, MODE_TRADES))
         continue;
      if(OrderType() > OP_SELLSTOP)
         continue;
      OrdFromSelected(arr[k]);
      k++;
     }
   return k;
  }

int FindTicket(const OrdRec &arr[], int n, int ticket, int hint)
  {
   if(hint >= 0 && hint < n && arr[hint].ticket == ticket)
      return hint;
   for(int i = 0; i < n; i++)
      if(arr[i].ticket == ticket)
         return i;
   return -1;
  }
//+------------------------------------------------------------------+
