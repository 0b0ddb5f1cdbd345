//+------------------------------------------------------------------+
//| Test EA: executes trade commands the test writes to cmd.txt      |
//| (one per line, fields separated by ';') on each tick, and counts |
//| timer events.                                                    |
//+------------------------------------------------------------------+
#property strict

input int TimerMs = 25;
input string Label = "a";

int g_timer_calls = 0;

int OnInit()
  {
   EventSetMillisecondTimer(TimerMs);
   Print("label ", Label, " login ", AccountNumber());
   Print("account ", AccountNumber(), " ", AccountServer(), " ", AccountCompany(), " ",
         AccountCurrency(), " ", AccountLeverage(), " ", DoubleToString(AccountBalance(), 2));
   Print("symbol ", Symbol(), " digits ", Digits, " point ", DoubleToString(Point, 5),
         " stops ", (int)MarketInfo(Symbol(), MODE_STOPLEVEL),
         " lotsize ", (int)MarketInfo("USDJPY", MODE_LOTSIZE),
         " jpydigits ", (int)MarketInfo("USDJPY", MODE_DIGITS),
         " minlot ", DoubleToString(MarketInfo(Symbol(), MODE_MINLOT), 2));
   return(INIT_SUCCEEDED);
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
   Print("deinit ", reason, " timer calls ", g_timer_calls);
  }

void OnTimer()
  {
   g_timer_calls++;
   if(g_timer_calls % 20 == 0)
      Comment("timer ", g_timer_calls);
  }

double Px(string s, string sym)
  {
   if(s == "ask") return MarketInfo(sym, MODE_ASK);
   if(s == "bid") return MarketInfo(sym, MODE_BID);
   return StringToDouble(s);
  }

void Exec(string &f[], int n)
  {
   string op = f[0];
   ResetLastError();
   if(op == "send" && n >= 10)
     {
      int t = OrderSend(f[1], (int)StringToInteger(f[2]), StringToDouble(f[3]), Px(f[4], f[1]),
                        (int)StringToInteger(f[5]), Px(f[6], f[1]), Px(f[7], f[1]), f[8],
                        (int)StringToInteger(f[9]));
      Print("result send ", t, " ", GetLastError());
     }
   else if(op == "close" && n >= 5)
     {
      int ticket = (int)StringToInteger(f[1]);
      string sym = OrderSelect(ticket, SELECT_BY_TICKET) ? OrderSymbol() : Symbol();
      bool ok = OrderClose(ticket, StringToDouble(f[2]), Px(f[3], sym), (int)StringToInteger(f[4]));
      Print("result close ", ok, " ", GetLastError());
     }
   else if(op == "modify" && n >= 5)
     {
      int ticket = (int)StringToInteger(f[1]);
      string sym = OrderSelect(ticket, SELECT_BY_TICKET) ? OrderSymbol() : Symbol();
      bool ok = OrderModify(ticket, Px(f[2], sym), Px(f[3], sym), Px(f[4], sym), 0);
      Print("result modify ", ok, " ", GetLastError());
     }
   else if(op == "delete" && n >= 2)
     {
      bool ok = OrderDelete((int)StringToInteger(f[1]));
      Print("result delete ", ok, " ", GetLastError());
     }
   else if(op == "show" && n >= 2)
     {
      if(!OrderSelect((int)StringToInteger(f[1]), SELECT_BY_TICKET))
        {
         Print("result show none ", GetLastError());
         return;
        }
      Print("result show ", OrderTicket(), " ", OrderType(), " ", DoubleToString(OrderLots(), 2),
            " ", DoubleToString(OrderOpenPrice(), 5), " ", OrderComment(), " ",
            OrderCloseTime() != 0, " ", OrderMagicNumber(), " ", DoubleToString(OrderStopLoss(), 5),
            " ", DoubleToString(OrderClosePrice(), 5));
     }
   else if(op == "list")
     {
      string s = "";
      for(int i = 0; i < OrdersTotal(); i++)
         if(OrderSelect(i, SELECT_BY_POS, MODE_TRADES))
            s += IntegerToString(OrderTicket()) + ",";
      Print("result list ", OrdersTotal(), " ", OrdersHistoryTotal(), " ", s);
     }
   else if(op == "account")
     {
      Print("result account ", DoubleToString(AccountBalance(), 2), " ",
            DoubleToString(AccountEquity(), 2), " ", DoubleToString(AccountMargin(), 2), " ",
            DoubleToString(AccountFreeMargin(), 2), " ", IsTradeAllowed());
     }
   else if(op == "sleeploop")
     {
      Print("result sleeping");
      int loops = 0;
      while(!IsStopped() && loops < 400)
        {
         Sleep(50);
         loops++;
        }
      Print("stopped seen ", IsStopped());
     }
   else if(op == "symbols")
     {
      string names = "";
      for(int i = 0; i < SymbolsTotal(false); i++)
         names += SymbolName(i, false) + ",";
      Print("result symbols ", names, " ", DoubleToString(MarketInfo("EURGBP", MODE_BID), 5),
            " ", GetLastError());
     }
   else
      Print("result bad command ", op);
  }

void OnTick()
  {
   if(!FileIsExist("cmd.txt"))
      return;
   int h = FileOpen("cmd.txt", FILE_READ | FILE_TXT | FILE_ANSI);
   if(h == INVALID_HANDLE)
     {
      Print("cannot open cmd.txt ", GetLastError());
      return;
     }
   while(!FileIsEnding(h))
     {
      string line = FileReadString(h);
      if(StringLen(line) == 0)
         continue;
      string f[];
      int n = StringSplit(line, ';', f);
      Exec(f, n);
     }
   FileClose(h);
   FileDelete("cmd.txt");
   Print("batch done");
  }
