// Simulated MT4 trade server: symbols, account, open orders, history, MT4's trade rules.
#pragma once

#include <deque>
#include <string>
#include <vector>

namespace mql {

struct SymbolSpec {
  std::string name, base, profit_ccy, description;
  int digits = 5;
  double point = 0.00001;
  double bid = 0, ask = 0;
  int stops_level = 0;   // points
  int freeze_level = 0;  // points
  double contract = 100000;
  double min_lot = 0.01, max_lot = 100, lot_step = 0.01;
  bool trade_allowed = true;
  bool market_open = true;  // false: trade operations fail with 132 (market is closed)
  // Market execution (ECN/STP): market orders fill at the market whatever the slippage, and
  // an OrderSend of a market order with S/L or T/P fails with 130 (set them with OrderModify).
  bool market_execution = false;
  bool selected = true;
  long quote_time = 0;
};

struct Order {
  int ticket = 0;
  std::string symbol;
  int type = 0;
  double lots = 0;
  double open_price = 0;
  long open_time = 0;
  double sl = 0, tp = 0;
  double close_price = 0;
  long close_time = 0;
  double profit = 0, swap = 0, commission = 0;
  int magic = 0;
  std::string comment;
  long expiration = 0;
};

// One injected failure (`fail_next`). `executed`: the server does place the order but the
// terminal reports `error` (a timeout, say), and the order reaches the terminal's order list
// only `appear_after_ms` later.
struct FailSpec {
  int error = 0;
  bool executed = false;
  int appear_after_ms = 0;
  std::string on;  // "OrderSend", "OrderModify"...: only that function fails ("": the next op)
};

// An order the server placed that the terminal does not show yet.
struct DelayedOrder {
  Order order;
  long long appear_at_us = 0;
};

// Who asks for a trade: the EA (subject to AutoTrading, fail_next, slippage) or the trader by
// hand in the terminal (always at market).
enum class Actor { EA, Manual };

class Broker {
 public:
  long login = 12345678;
  std::string name = "Demo Trader", server = "Demo-Server", company = "Simulated Broker Ltd",
              currency = "USD";
  int leverage = 100;
  double balance = 10000, credit = 0;
  int max_orders = 200;
  double commission_per_lot = 0;  // charged when a position opens (negative OrderCommission)
  std::vector<SymbolSpec> symbols;
  std::vector<Order> open;     // market and pending orders, oldest first
  std::vector<Order> history;  // closed orders and deleted pendings
  std::deque<FailSpec> fail_queue;  // injected errors for the EA's next trade operations
  long long fail_until_us = 0;       // `fail_next` with `for_ms`: every EA trade op fails
  int fail_until_error = 0;          // ... with this error until then
  std::vector<DelayedOrder> delayed;
  int next_ticket = 1000001;

  Broker();
  SymbolSpec* sym(const std::string& name);
  Order* find_open(int ticket);
  const Order* find_any(int ticket) const;

  int send(Actor who, const std::string& symbol, int cmd, double lots, double price, int slippage,
           double sl, double tp, const std::string& comment, int magic, long expiration, int& err);
  bool close(Actor who, int ticket, double lots, double price, int slippage, int& err);
  bool modify(Actor who, int ticket, double price, double sl, double tp, long expiration, int& err);
  bool remove(Actor who, int ticket, int& err);
  // New quote: triggers pending orders and SL/TP; returns true if any order changed.
  bool quote(const std::string& symbol, double bid, double ask);

  // Moves delayed orders whose time has come into the order list; true if any moved.
  bool settle();
  // The error every EA trade op gets right now from a `for_ms` window, or 0.
  int failing_now() const;

  double profit_of(const Order& o) const;
  double close_price_of(const Order& o) const;
  double margin_of(const Order& o) const;
  double margin_for(const SymbolSpec& s, double lots, double price) const;
  double tick_value(const SymbolSpec& s) const;
  double floating() const;
  double equity() const { return balance + credit + floating(); }
  double margin() const;
  double free_margin() const { return equity() - margin(); }
  double margin_level() const;

 private:
  bool pre_checks(Actor who, const char* op, int& err, FailSpec* executed = nullptr);
  bool volume_ok(const SymbolSpec& s, double lots) const;
  bool stops_ok(const SymbolSpec& s, int type, double ref, double sl, double tp) const;
  bool pending_price_ok(const SymbolSpec& s, int type, double price) const;
  void close_part(Order& o, double lots, double price, const char* tag);
};

Broker& broker();

}  // namespace mql
