// Shared state of the runtime modules (not seen by EA code): host flags, JSON output.
#pragma once

#include <string>

#include "mql4.hpp"

namespace mql {

struct HostState {
  std::string sandbox;  // terminal data folder; files live in <sandbox>/MQL4/Files
  std::string ea_name;
  std::string ea_path;
  std::string data_path;  // what TERMINAL_DATA_PATH reports (default: the sandbox)
  std::string chart_symbol = "EURUSD";
  int period = 60;
  bool dll_allowed = true;
  bool trade_allowed = true;  // the AutoTrading button and the EA's "allow live trading"
  bool connected = true;
  // The terminal's Account History tab period: when false, OrdersHistoryTotal() is 0 and
  // history is not reachable by position (SELECT_BY_TICKET still finds closed orders).
  bool history_visible = true;
  bool stop_flag = false;     // IsStopped()
  bool remove_requested = false;
  int timer_ms = 0;           // requested by EventSet*Timer (0: none)
  int timer_override = -1;    // --timer-ms
  int uninit_reason = 0;
  long server_offset = 0;     // server time - UTC, seconds
  // No quote since last_quote_time (server time): TimeCurrent() stays there, as in MT4 on a
  // weekend or before the first tick. The next `quote` op ends it.
  bool clock_stale = false;
  long last_quote_time = 0;
};
HostState& host();

long long now_us();  // monotonic microseconds

// One JSON line on stdout per event; flushed so that a reading test sees it at once.
void emit_line(const std::string& json);
std::string jstr(const std::string& utf8);  // JSON string literal
std::string jnum(double v);
void emit_broker();
void timer_reset();
void sleep_ms(int ms);  // Sleep(): reads stdin meanwhile so a stop sets IsStopped()  // EventSet*Timer changed the rate: next event one interval from now

}  // namespace mql
