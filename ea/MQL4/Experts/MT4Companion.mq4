//+------------------------------------------------------------------+
//| MT4Companion.mq4: connects this terminal to the MT4 Companion    |
//| gateway over a WebSocket (ws2_32.dll, no DLL of our own), reports|
//| account and order changes, and executes the app's trade commands |
//| at most once each.                                                |
//|                                                                  |
//| Order of messages on every (re)connect:                           |
//|   hello -> catch-up events (what changed since the state the      |
//|   gateway last saw, e.g. position_closed with the real close      |
//|   price for closes that happened while disconnected or while the  |
//|   EA was stopped; symbol_info precedes the first event of a       |
//|   symbol) -> snapshot (the whole truth now) -> symbol_info for     |
//|   the chart, order and subscribed symbols -> replies that waited. |
//+------------------------------------------------------------------+
#property copyright "MT4 Companion"
#property link      ""
#property version   "1.00"
#property description "Bridge between this terminal and the MT4 Companion app."
#property strict

#define COMPANION_EA_VERSION "1.0.0"

input string GatewayURL  = "";   // Gateway URL (empty: companion.cfg)
input string Token       = "";   // Gateway token (empty: companion.cfg)
input string AgentId     = "";   // Agent id (empty: companion.cfg or derived)
input int    TimerMs     = 0;    // Timer period in ms (0: companion.cfg or 25)
input int    HeartbeatMs = 0;    // Heartbeat period in ms (0: companion.cfg or 5000)
input int    UpdateMs    = 0;    // Live P/L and account update period in ms (0: 500)

#include <MT4Companion/Util.mqh>
#include <MT4Companion/Crypto.mqh>
#include <MT4Companion/Winsock.mqh>
#include <MT4Companion/WebSocket.mqh>
#include <MT4Companion/Json.mqh>
#include <MT4Companion/Config.mqh>
#include <MT4Companion/Orders.mqh>
#include <MT4Companion/Events.mqh>
#include <MT4Companion/OrderTracker.mqh>
#include <MT4Companion/Journal.mqh>
#include <MT4Companion/TradeCheck.mqh>
#include <MT4Companion/Trading.mqh>
#include <MT4Companion/TradeExec.mqh>
#include <MT4Companion/Commands.mqh>
#include <MT4Companion/ChartStatus.mqh>

#define BACKOFF_BASE_MS 500
#define BACKOFF_MAX_MS  30000

bool   g_config_ok = false;
bool   g_agent_ready = false;
bool   g_attempting = false;      // a connect attempt is under way
int    g_backoff_n = 0;
long   g_next_connect_ms = 0;
long   g_last_hb_ms = 0;
long   g_last_upd_ms = 0;
long   g_connected_at = 0;
string g_state_line = "starting";
#define SRV_TIME_GRACE_MS 2500
long   g_init_ms = 0;
double g_acc_balance = 0, g_acc_equity = 0, g_acc_margin = 0, g_acc_free = 0;

// MT4 runs OnDeinit then OnInit without reloading the program on a chart, parameters or
// account change: globals keep their values. What OnInit (and the first Tick after it, once
// the account is known) sets again on purpose: the settings (ConfigLoad starts from the
// defaults), the agent id, the journal (reloaded from its file), the tracker baseline, the
// connection and the timer. What is kept on purpose: the trade command in flight, the
// command queue and the replies not sent yet (see Trading.mqh: one true answer per request),
// the quote subscription and the server time offset.
int OnInit()
  {
   RandomSeed();
   g_agent_ready = false;
   g_init_ms = NowMs();
   g_config_ok = ConfigLoad(GatewayURL, Token, AgentId, TimerMs, HeartbeatMs, UpdateMs);
   if(!g_config_ok)
      LogError(g_cfg_error);
   if(!EventSetMillisecondTimer(g_cfg_timer_ms))
      LogError("EventSetMillisecondTimer(" + IntegerToString(g_cfg_timer_ms) + ") failed: " + IntegerToString(GetLastError()));
   g_next_connect_ms = 0;
   g_backoff_n = 0;
   g_state_line = (g_config_ok ? "starting" : "not configured");
   Log("EA " + COMPANION_EA_VERSION + " started; gateway " + g_cfg_url + ", timer " + IntegerToString(g_cfg_timer_ms) + " ms");
   ChartStatusUpdate(g_state_line, true);
   return INIT_SUCCEEDED;
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
   if(g_agent_ready)
      TrackerSave();
   if(reason == REASON_ACCOUNT && g_agent_ready && WorkOwnerChanged(g_agent_id))
      WorkAbandon("the terminal logged in to another account");
   if(g_session_ready && IsDllsAllowed())
      FlushReplies();   // answers the gateway is waiting for, on the session they belong to
   // Calling an import with DLLs disallowed stops the EA with a critical error,
   // so without the permission the socket is left to the terminal.
   if(g_wsa_started && IsDllsAllowed())
     {
      if(g_ws_state != WS_ST_CLOSED)
         WsShutdown(1001, "EA stopped");
      SockCleanup();
     }
   SessionReset();
   // A chart, parameters or account change keeps this EA on its chart: keep the claim.
   if(reason != REASON_CHARTCHANGE && reason != REASON_PARAMETERS && reason != REASON_ACCOUNT)
      InstanceRelease();
   ChartStatusClear();
   Log("EA stopped (reason " + IntegerToString(reason) + ")");
  }

void OnTick()
  {
   // Everything runs on the timer so that a quiet market changes nothing.
  }

void OnTimer()
  {
   Tick();
  }

void ScheduleReconnect()
  {
   long delay = BACKOFF_BASE_MS;
   for(int i = 0; i < g_backoff_n && delay < BACKOFF_MAX_MS; i++)
      delay *= 2;
   if(delay > BACKOFF_MAX_MS)
      delay = BACKOFF_MAX_MS;
   double jitter = 0.8 + 0.4 * (MathRand() / 32767.0);
   delay = (long)(delay * jitter);
   if(g_backoff_n < 10)
      g_backoff_n++;
   g_next_connect_ms = NowMs() + delay;
  }

void AccountMarkSent()
  {
   g_acc_balance = AccountBalance();
   g_acc_equity = AccountEquity();
   g_acc_margin = AccountMargin();
   g_acc_free = AccountFreeMargin();
  }

void AccountUpdateStep()
  {
   if(MathAbs(AccountBalance() - g_acc_balance) < 0.005 && MathAbs(AccountEquity() - g_acc_equity) < 0.005
      && MathAbs(AccountMargin() - g_acc_margin) < 0.005 && MathAbs(AccountFreeMargin() - g_acc_free) < 0.005)
      return;
   EmitEvent("account_update", AccountJson());
   AccountMarkSent();
  }

// The socket just opened: introduce ourselves and bring the gateway in sync.
void SessionStart()
  {
   g_session_ready = true;
   g_backoff_n = 0;
   g_attempting = false;
   g_connected_at = NowMs();
   g_last_error = "";
   EmitRaw(EventJson("hello", HelloData()));
   if(g_prev_valid)
      TrackerDiff();            // catch-up events since the state the gateway last saw
   else
      TrackerBaseline();
   EmitEvent("snapshot", SnapshotJson());
   TrackerMarkAllSent();
   AccountMarkSent();
   EnsureSymbolInfo(Symbol());
   for(int i = 0; i < g_prev_n; i++)
      EnsureSymbolInfo(g_prev[i].symbol);
   for(int q = 0; q < g_q_n; q++)
     {
      EnsureSymbolInfo(g_q_syms[q]);
      g_q_bid[q] = 0;
      g_q_ask[q] = 0;
     }
   g_last_hb_ms = NowMs();
   g_last_upd_ms = NowMs();
   FlushReplies();
   WsFlush();
   Log("connected to " + g_cfg_url + " as " + g_agent_id);
  }

void ConnectionStep()
  {
   long now = NowMs();
   if(g_ws_state != WS_ST_CLOSED)
      WsPoll();
   if(g_ws_state == WS_ST_CLOSED)
     {
      if(g_session_ready)
        {
         SessionReset();
         g_last_error = "disconnected: " + g_ws_error;
         ScheduleReconnect();
        }
      else
         if(g_attempting)
           {
            g_attempting = false;
            if(g_ws_error != "")
               g_last_error = g_ws_error;
            ScheduleReconnect();
           }
      if(now >= g_next_connect_ms)
        {
         g_attempting = true;
         if(!WsConnect())
           {
            g_attempting = false;
            g_last_error = g_ws_error;
            ScheduleReconnect();
           }
        }
      long wait = (g_next_connect_ms - NowMs()) / 1000;
      g_state_line = (g_ws_state == WS_ST_CLOSED ? "disconnected, next attempt in " + IntegerToString(wait < 0 ? 0 : wait) + " s" : "connecting...");
      return;
     }
   if(g_ws_state == WS_ST_OPEN && !g_session_ready)
      SessionStart();
   if(g_session_ready)
      g_state_line = "connected (" + IntegerToString((NowMs() - g_connected_at) / 1000) + " s)";
   else
      g_state_line = "connecting...";
  }

void Tick()
  {
   ServerOffsetUpdate();
   if(!g_config_ok)
     {
      ChartStatusUpdate("not configured", false);
      return;
     }
   if(!InstanceClaim())
     {
      ChartStatusUpdate("not running: the MT4 Companion EA already runs on another chart of this terminal (one per terminal); remove it from this chart", false);
      return;
     }
   if(!g_agent_ready)
     {
      if(!ConfigDeriveAgent())
        {
         ChartStatusUpdate("waiting for the account to log in", false);
         return;
        }
      if(WorkOwnerChanged(g_agent_id))
        {
         // The journal in memory is still the old agent's: settle its work there.
         string now_agent = g_agent_id;
         g_agent_id = g_work_agent;
         WorkAbandon("the agent id or account changed");
         g_agent_id = now_agent;
         if(g_work_agent != now_agent && g_replyq_n > 0)
           {
            Log(IntegerToString(g_replyq_n) + " replies of " + g_work_agent + " were not sent: its journal answers them on a resend");
            g_replyq_n = 0;
            ArrayResize(g_replyq, 0, 16);
           }
        }
      g_work_agent = g_agent_id;
      g_work_login = AccountNumber();
      ServerOffsetLoad();
      string err = "";
      if(!WsSetUrl(g_cfg_url, g_agent_id, g_cfg_token, err))
        {
         g_config_ok = false;
         g_cfg_error = err;
         LogError(err);
         ChartStatusUpdate("not configured", true);
         return;
        }
      g_agent_ready = true;
      JournalLoad();
      RecoverJournal();
      if(!TrackerLoad())
         g_prev_valid = false;
      Log("agent id " + g_agent_id);
     }
   if(!IsDllsAllowed())
     {
      ChartStatusUpdate("cannot connect: DLL imports are not allowed", false);
      return;
     }
   if(!SockStartup())
     {
      ChartStatusUpdate("cannot start Winsock", false);
      return;
     }
   ServerOffsetSave();
   RefreshRates();
   // At the first start, give the market a moment to tick so hello and the snapshot carry
   // true times; on a closed market connect anyway, with the times left null.
   if(!g_srv_offset_known && !g_session_ready && g_ws_state == WS_ST_CLOSED && NowMs() - g_init_ms < SRV_TIME_GRACE_MS)
     {
      ChartStatusUpdate("waiting for a quote to learn the server time", false);
      return;
     }
   ConnectionStep();
   string msg = "";
   for(int guard = 0; guard < 100 && WsPop(msg); guard++)
      HandleMessage(msg);
   CommandsStep();
   if(g_session_ready)
     {
      TrackerDiff();
      long now = NowMs();
      if(now - g_last_upd_ms >= g_cfg_update_ms)
        {
         g_last_upd_ms = now;
         TrackerPositionsUpdate();
         AccountUpdateStep();
        }
      QuotesStep();
      if(now - g_last_hb_ms >= g_cfg_heartbeat_ms)
        {
         g_last_hb_ms = now;
         EmitRaw(HeartbeatJson());
        }
      FlushReplies();
      WsFlush();
     }
   ChartStatusUpdate(g_state_line, false);
  }
//+------------------------------------------------------------------+
