//+------------------------------------------------------------------+
//| ChartStatus.mqh: the EA's state on the chart with Comment():     |
//| connected or not, gateway URL (never the token), agent id, last  |
//| error, and plain warnings when DLL imports or AutoTrading are off.|
//+------------------------------------------------------------------+
#property strict

string g_status_text = "";
long   g_status_at = 0;

void ChartStatusUpdate(string state_line, bool force)
  {
   long now = NowMs();
   if(!force && now - g_status_at < 250)
      return;
   g_status_at = now;
   string s = "MT4 Companion EA " + COMPANION_EA_VERSION + "\n";
   s += "Gateway: " + (g_cfg_url == "" ? "(not configured)" : g_cfg_url) + "\n";
   s += "Agent: " + (g_agent_id == "" ? "(waiting for the account)" : g_agent_id) + "\n";
   s += "Status: " + state_line + "\n";
   if(!IsDllsAllowed())
      s += "!! DLL imports are OFF: the EA cannot connect. Enable 'Allow DLL imports' (Tools > Options > Expert Advisors and the EA's Common tab).\n";
   if(!IsExpertEnabled())
      s += "!! AutoTrading is OFF: trade commands from the app will fail. Press the AutoTrading button.\n";
   else
      if(!IsTradeAllowed() && !IsTradeContextBusy())
         s += "!! Live trading is not allowed for this EA: tick 'Allow live trading' in its properties.\n";
   if(g_cfg_error != "")
      s += "Config error: " + g_cfg_error + "\n";
   if(g_last_error != "")
      s += "Last error: " + g_last_error + "\n";
   // Comment() shows at most 2,045 characters; gateway text can be longer.
   if(StringLen(s) > 2045)
      s = StringSubstr(s, 0, 2042) + "...";
   if(s == g_status_text)
      return;
   g_status_text = s;
   Comment(s);
  }

void ChartStatusClear()
  {
   g_status_text = "";
   Comment("");
  }
//+------------------------------------------------------------------+
