// MT4 trade rules as the EA meets them (see docs "Requirements and Limitations in Making
// Trades"): stops level, slippage/requote, volume limits, margin, partial close tickets.
#include "trade_server.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <stdexcept>

#include "internal.hpp"

namespace mql {

namespace {
constexpr double kEps = 1e-9;

SymbolSpec make(const char* name, const char* base, const char* prof, int digits, double bid,
                double spread_points, int stops, double contract, double max_lot) {
  SymbolSpec s;
  s.name = name;
  s.base = base;
  s.profit_ccy = prof;
  s.description = std::string(base) + "/" + prof;
  s.digits = digits;
  s.point = std::pow(10.0, -digits);
  s.bid = bid;
  s.ask = bid + spread_points * s.point;
  s.stops_level = stops;
  s.contract = contract;
  s.max_lot = max_lot;
  return s;
}

bool is_buy(int type) { return type == 0 || type == 2 || type == 4; }
double norm(double v, int digits) {
  double p = std::pow(10.0, digits);
  return std::round(v * p) / p;
}
}  // namespace

Broker& broker() {
  static Broker b;
  return b;
}

Broker::Broker() {
  symbols.push_back(make("EURUSD", "EUR", "USD", 5, 1.10000, 12, 10, 100000, 100));
  symbols.push_back(make("GBPUSD", "GBP", "USD", 5, 1.27000, 15, 10, 100000, 100));
  symbols.push_back(make("USDJPY", "USD", "JPY", 3, 150.000, 12, 10, 100000, 100));
  symbols.push_back(make("XAUUSD", "XAU", "USD", 2, 2000.00, 30, 50, 100, 50));
  long t = static_cast<long>(std::time(nullptr));
  for (auto& s : symbols) s.quote_time = t;
}

SymbolSpec* Broker::sym(const std::string& name) {
  for (auto& s : symbols)
    if (s.name == name) return &s;
  return nullptr;
}

Order* Broker::find_open(int ticket) {
  for (auto& o : open)
    if (o.ticket == ticket) return &o;
  return nullptr;
}

const Order* Broker::find_any(int ticket) const {
  for (auto& o : open)
    if (o.ticket == ticket) return &o;
  for (auto& o : history)
    if (o.ticket == ticket) return &o;
  return nullptr;
}

double Broker::tick_value(const SymbolSpec& s) const {
  if (s.profit_ccy == currency) return s.contract * s.point;
  if (s.base == currency && s.bid > 0) return s.contract * s.point / s.bid;
  return s.contract * s.point;
}

double Broker::close_price_of(const Order& o) const {
  const SymbolSpec* s = const_cast<Broker*>(this)->sym(o.symbol);
  if (!s) return o.close_price;
  return is_buy(o.type) ? s->bid : s->ask;
}

double Broker::profit_of(const Order& o) const {
  if (o.type > 1) return 0;
  const SymbolSpec* s = const_cast<Broker*>(this)->sym(o.symbol);
  if (!s) return o.profit;
  double cp = close_price_of(o);
  double diff = o.type == 0 ? cp - o.open_price : o.open_price - cp;
  return std::round(diff / s->point * tick_value(*s) * o.lots * 100.0) / 100.0;
}

double Broker::margin_for(const SymbolSpec& s, double lots, double price) const {
  if (s.base == currency) return lots * s.contract / leverage;
  return lots * s.contract * price / leverage;
}

double Broker::margin_of(const Order& o) const {
  if (o.type > 1) return 0;
  const SymbolSpec* s = const_cast<Broker*>(this)->sym(o.symbol);
  return s ? margin_for(*s, o.lots, o.open_price) : 0;
}

double Broker::floating() const {
  double f = 0;
  for (auto& o : open) f += profit_of(o) + o.swap + o.commission;
  return f;
}

double Broker::margin() const {
  double m = 0;
  for (auto& o : open) m += margin_of(o);
  return std::round(m * 100.0) / 100.0;
}

double Broker::margin_level() const {
  double m = margin();
  return m > 0 ? equity() / m * 100.0 : 0.0;
}

int Broker::failing_now() const {
  return fail_until_us > 0 && now_us() < fail_until_us ? fail_until_error : 0;
}

bool Broker::settle() {
  bool moved = false;
  long long now = now_us();
  for (size_t i = 0; i < delayed.size();) {
    if (delayed[i].appear_at_us <= now) {
      open.push_back(delayed[i].order);
      delayed.erase(delayed.begin() + static_cast<long>(i));
      moved = true;
    } else {
      ++i;
    }
  }
  return moved;
}

// `executed` (OrderSend only) receives a queued failure that still places the order.
bool Broker::pre_checks(Actor who, const char* op, int& err, FailSpec* executed) {
  if (who != Actor::EA) return true;
  if (!host().trade_allowed) {
    err = 4109;  // ERR_TRADE_NOT_ALLOWED: AutoTrading off
    return false;
  }
  if (!host().connected) {
    err = 6;  // ERR_NO_CONNECTION
    return false;
  }
  if (int e = failing_now()) {
    err = e;
    return false;
  }
  // A failure aimed at another trade function waits for it.
  if (!fail_queue.empty() && (fail_queue.front().on.empty() || fail_queue.front().on == op)) {
    FailSpec f = fail_queue.front();
    fail_queue.pop_front();
    if (f.executed) {
      // ea/host models "placed but reported as failed" for OrderSend only.
      if (!executed) throw std::runtime_error("fail_next executed:true applies to OrderSend only");
      *executed = f;
      return true;
    }
    err = f.error;
    return false;
  }
  return true;
}

bool Broker::volume_ok(const SymbolSpec& s, double lots) const {
  if (lots < s.min_lot - kEps || lots > s.max_lot + kEps) return false;
  double steps = lots / s.lot_step;
  return std::fabs(steps - std::round(steps)) < 1e-6;
}

// Market orders: SL/TP against the price the position would close at (Bid for buys, Ask for
// sells). Pending orders: against their open price. Zero means "no SL/TP".
bool Broker::stops_ok(const SymbolSpec& s, int type, double ref, double sl, double tp) const {
  double lvl = s.stops_level * s.point;
  auto far_enough = [&](double dist) { return dist > kEps && dist >= lvl - s.point * 1e-3; };
  if (is_buy(type)) {
    if (sl != 0 && !far_enough(ref - sl)) return false;
    if (tp != 0 && !far_enough(tp - ref)) return false;
  } else {
    if (sl != 0 && !far_enough(sl - ref)) return false;
    if (tp != 0 && !far_enough(ref - tp)) return false;
  }
  return true;
}

bool Broker::pending_price_ok(const SymbolSpec& s, int type, double price) const {
  double lvl = s.stops_level * s.point;
  double dist = 0;
  switch (type) {
    case 2: dist = s.ask - price; break;  // buy limit below Ask
    case 3: dist = price - s.bid; break;  // sell limit above Bid
    case 4: dist = price - s.ask; break;  // buy stop above Ask
    case 5: dist = s.bid - price; break;  // sell stop below Bid
    default: return false;
  }
  return dist > kEps && dist >= lvl - s.point * 1e-3;
}

int Broker::send(Actor who, const std::string& symbol, int cmd, double lots, double price,
                 int slippage, double sl, double tp, const std::string& comment, int magic,
                 long expiration, int& err) {
  err = 0;
  FailSpec lost;
  if (!pre_checks(who, "OrderSend", err, &lost)) return -1;
  SymbolSpec* s = sym(symbol);
  if (!s) {
    err = 4106;  // ERR_UNKNOWN_SYMBOL
    return -1;
  }
  if (cmd < 0 || cmd > 5) {
    err = 3;  // ERR_INVALID_TRADE_PARAMETERS
    return -1;
  }
  if (!s->market_open) {
    err = 132;
    return -1;
  }
  if (!s->trade_allowed) {
    err = 133;
    return -1;
  }
  if (!volume_ok(*s, lots)) {
    err = 131;
    return -1;
  }
  if (static_cast<int>(open.size()) >= max_orders) {
    err = 148;
    return -1;
  }
  if (sl < 0 || tp < 0) {
    err = 130;
    return -1;
  }
  long now = static_cast<long>(std::time(nullptr)) + host().server_offset;
  Order o;
  o.symbol = symbol;
  o.type = cmd;
  o.lots = lots;
  o.sl = norm(sl, s->digits);
  o.tp = norm(tp, s->digits);
  o.magic = magic;
  o.comment = comment.substr(0, 31);
  if (who == Actor::EA && std::fabs(price - norm(price, s->digits)) > s->point * 1e-3) {
    err = 4107;  // ERR_INVALID_PRICE_PARAM: the terminal rejects unnormalized prices
    return -1;
  }
  if (cmd <= 1) {
    double market = cmd == 0 ? s->ask : s->bid;
    if (who == Actor::EA) {
      if (price <= 0) {
        err = 129;  // ERR_INVALID_PRICE
        return -1;
      }
      if (s->market_execution && (sl != 0 || tp != 0)) {
        err = 130;  // market execution: stops only by OrderModify once the position is open
        return -1;
      }
      if (!s->market_execution && std::fabs(price - market) > slippage * s->point + s->point * 1e-3) {
        err = 138;  // ERR_REQUOTE: the price moved beyond the allowed slippage
        return -1;
      }
    }
    if (!stops_ok(*s, cmd, cmd == 0 ? s->bid : s->ask, o.sl, o.tp)) {
      err = 130;
      return -1;
    }
    if (free_margin() - margin_for(*s, lots, market) < 0) {
      err = 134;
      return -1;
    }
    o.open_price = market;
    o.commission = -std::round(commission_per_lot * lots * 100.0) / 100.0;
    expiration = 0;
  } else {
    price = norm(price, s->digits);
    if (price <= 0) {
      err = 129;
      return -1;
    }
    if (!pending_price_ok(*s, cmd, price) || !stops_ok(*s, cmd, price, o.sl, o.tp)) {
      err = 130;
      return -1;
    }
    if (expiration != 0 && expiration <= now) {
      err = 147;  // ERR_TRADE_EXPIRATION_DENIED
      return -1;
    }
    o.open_price = price;
  }
  o.expiration = expiration;
  o.open_time = now;
  o.ticket = next_ticket++;
  o.close_price = close_price_of(o);
  if (lost.executed) {
    // Placed on the server, but the answer was lost: the terminal reports the error and
    // shows the order only later.
    delayed.push_back({o, now_us() + static_cast<long long>(lost.appear_after_ms) * 1000LL});
    err = lost.error;
    return -1;
  }
  open.push_back(o);
  return o.ticket;
}

void Broker::close_part(Order& o, double lots, double price, const char* tag) {
  long now = static_cast<long>(std::time(nullptr)) + host().server_offset;
  Order closed = o;
  closed.lots = lots;
  closed.close_price = price;
  closed.close_time = now;
  const SymbolSpec* s = sym(o.symbol);
  double diff = o.type == 0 ? price - o.open_price : o.open_price - price;
  closed.profit = s ? std::round(diff / s->point * tick_value(*s) * lots * 100.0) / 100.0 : 0;
  double share = o.lots > 0 ? lots / o.lots : 1;
  closed.swap = std::round(o.swap * share * 100.0) / 100.0;
  closed.commission = std::round(o.commission * share * 100.0) / 100.0;
  if (tag && closed.comment.size() + std::string(tag).size() <= 31) closed.comment += tag;
  balance += closed.profit + closed.swap + closed.commission;
  if (lots < o.lots - kEps) {
    // Partial close: the closed part keeps the ticket (comment "to #new"); the remainder is a
    // new order with a new ticket (comment "from #old"), same open time, price and magic.
    Order rest = o;
    rest.ticket = next_ticket++;
    rest.lots = std::round((o.lots - lots) * 100000.0) / 100000.0;
    rest.swap = o.swap - closed.swap;
    rest.commission = o.commission - closed.commission;
    rest.comment = "from #" + std::to_string(o.ticket);
    closed.comment = "to #" + std::to_string(rest.ticket);
    history.push_back(closed);
    for (auto& x : open)
      if (x.ticket == o.ticket) x = rest;
  } else {
    history.push_back(closed);
    int t = o.ticket;
    open.erase(std::remove_if(open.begin(), open.end(), [t](const Order& x) { return x.ticket == t; }),
               open.end());
  }
}

bool Broker::close(Actor who, int ticket, double lots, double price, int slippage, int& err) {
  err = 0;
  if (!pre_checks(who, "OrderClose", err)) return false;
  Order* o = find_open(ticket);
  if (!o || o->type > 1) {
    err = 4108;  // ERR_INVALID_TICKET (pending orders are deleted, not closed)
    return false;
  }
  SymbolSpec* s = sym(o->symbol);
  if (!s) {
    err = 4106;
    return false;
  }
  if (!s->market_open) {
    err = 132;
    return false;
  }
  if (who == Actor::Manual && lots <= 0) lots = o->lots;
  double rest = o->lots - lots;
  double steps = lots / s->lot_step;
  if (lots < s->min_lot - kEps || lots > o->lots + kEps ||
      std::fabs(steps - std::round(steps)) > 1e-6 || (rest > kEps && rest < s->min_lot - kEps)) {
    err = 131;
    return false;
  }
  double market = o->type == 0 ? s->bid : s->ask;
  if (who == Actor::EA) {
    if (price <= 0) {
      err = 129;
      return false;
    }
    if (std::fabs(price - market) > slippage * s->point + s->point * 1e-3) {
      err = 138;
      return false;
    }
  }
  close_part(*o, lots, market, nullptr);
  return true;
}

bool Broker::modify(Actor who, int ticket, double price, double sl, double tp, long expiration,
                    int& err) {
  err = 0;
  if (!pre_checks(who, "OrderModify", err)) return false;
  Order* o = find_open(ticket);
  if (!o) {
    err = 4108;
    return false;
  }
  SymbolSpec* s = sym(o->symbol);
  if (!s) {
    err = 4106;
    return false;
  }
  if (!s->market_open) {
    err = 132;
    return false;
  }
  sl = norm(sl, s->digits);
  tp = norm(tp, s->digits);
  if (sl < 0 || tp < 0) {
    err = 130;
    return false;
  }
  bool pending = o->type > 1;
  price = pending ? norm(price, s->digits) : o->open_price;
  if (!pending) expiration = o->expiration;
  if (std::fabs(sl - o->sl) < kEps && std::fabs(tp - o->tp) < kEps &&
      std::fabs(price - o->open_price) < kEps && expiration == o->expiration) {
    err = 1;  // ERR_NO_RESULT: nothing changed
    return false;
  }
  double freeze = s->freeze_level * s->point;
  if (freeze > 0) {
    double cp = close_price_of(*o);
    if ((o->sl != 0 && std::fabs(cp - o->sl) < freeze) || (o->tp != 0 && std::fabs(cp - o->tp) < freeze)) {
      err = 145;
      return false;
    }
  }
  if (pending) {
    if (!pending_price_ok(*s, o->type, price) || !stops_ok(*s, o->type, price, sl, tp)) {
      err = 130;
      return false;
    }
  } else if (!stops_ok(*s, o->type, o->type == 0 ? s->bid : s->ask, sl, tp)) {
    err = 130;
    return false;
  }
  o->open_price = price;
  o->sl = sl;
  o->tp = tp;
  o->expiration = expiration;
  return true;
}

bool Broker::remove(Actor who, int ticket, int& err) {
  err = 0;
  if (!pre_checks(who, "OrderDelete", err)) return false;
  Order* o = find_open(ticket);
  if (!o || o->type <= 1) {
    err = 4108;
    return false;
  }
  Order done = *o;
  done.close_time = static_cast<long>(std::time(nullptr)) + host().server_offset;
  done.close_price = close_price_of(done);
  history.push_back(done);
  open.erase(std::remove_if(open.begin(), open.end(), [ticket](const Order& x) { return x.ticket == ticket; }),
             open.end());
  return true;
}

bool Broker::quote(const std::string& symbol, double bid, double ask) {
  SymbolSpec* s = sym(symbol);
  if (!s) return false;
  s->bid = norm(bid, s->digits);
  s->ask = norm(ask, s->digits);
  long now = static_cast<long>(std::time(nullptr)) + host().server_offset;
  s->quote_time = now;
  bool changed = false;
  // Pending orders become market positions with the same ticket when the price reaches them.
  for (auto& o : open) {
    if (o.symbol != symbol || o.type <= 1) continue;
    bool hit = (o.type == 2 && s->ask <= o.open_price + kEps) ||
               (o.type == 3 && s->bid >= o.open_price - kEps) ||
               (o.type == 4 && s->ask >= o.open_price - kEps) ||
               (o.type == 5 && s->bid <= o.open_price + kEps);
    if (hit) {
      o.type = is_buy(o.type) ? 0 : 1;
      o.commission = -std::round(commission_per_lot * o.lots * 100.0) / 100.0;
      o.open_time = now;
      o.expiration = 0;
      changed = true;
    }
  }
  // Expired pendings are deleted; SL/TP hits close positions at the SL/TP price.
  std::vector<int> expired;
  for (auto& o : open)
    if (o.type > 1 && o.expiration != 0 && now >= o.expiration) expired.push_back(o.ticket);
  for (int t : expired) {
    int e;
    remove(Actor::Manual, t, e);
    changed = true;
  }
  std::vector<std::pair<int, double>> hits;
  std::vector<const char*> tags;
  for (auto& o : open) {
    if (o.symbol != symbol || o.type > 1) continue;
    double cp = o.type == 0 ? s->bid : s->ask;
    if (o.sl != 0 && (o.type == 0 ? cp <= o.sl + kEps : cp >= o.sl - kEps)) {
      hits.emplace_back(o.ticket, o.sl);
      tags.push_back("[sl]");
    } else if (o.tp != 0 && (o.type == 0 ? cp >= o.tp - kEps : cp <= o.tp + kEps)) {
      hits.emplace_back(o.ticket, o.tp);
      tags.push_back("[tp]");
    }
  }
  for (size_t k = 0; k < hits.size(); ++k) {
    Order* o = find_open(hits[k].first);
    if (o) close_part(*o, o->lots, hits[k].second, tags[k]);
    changed = true;
  }
  for (auto& o : open)
    if (o.symbol == symbol) o.close_price = close_price_of(o);
  return changed;
}

}  // namespace mql
