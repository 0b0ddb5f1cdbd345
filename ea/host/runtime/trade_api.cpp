// MQL4 market/account/order functions over the simulated trade server. Every trade call the
// EA makes is reported as {"event":"trade",...} so tests can count them.
#include <cmath>

#include "internal.hpp"
#include "trade_server.hpp"

namespace mql4api {

double Bid = 0, Ask = 0, Point = 0, _Point = 0;
int Digits = 0, _Digits = 0, _Period = 60, Bars = 1000;
string _Symbol;

}  // namespace mql4api

namespace mql {
using namespace mql4api;

namespace {
Order g_selected;
bool g_has_selected = false;

std::string sym_name(const string& s) {
  std::string n = s.utf8();
  return n.empty() ? host().chart_symbol : n;
}

// Broker state first (when something changed), then the trade event: a reader that waits for
// the trade event already has the state it produced.
void trade_event(const char* op, int ticket, int err, const std::string& extra) {
  if (err == 0) emit_broker();
  std::string line = std::string("{\"event\":\"trade\",\"op\":") + jstr(op) +
                     ",\"ticket\":" + std::to_string(ticket) + ",\"error\":" + std::to_string(err) + extra + "}";
  emit_line(line);
}
}  // namespace

void refresh_predefined() {
  SymbolSpec* s = broker().sym(host().chart_symbol);
  if (!s) return;
  Bid = s->bid;
  Ask = s->ask;
  Point = _Point = s->point;
  Digits = _Digits = s->digits;
  _Period = host().period;
  _Symbol = string(s->name.c_str());
}

}  // namespace mql

namespace mql4api {
using mql::broker;
using mql::host;

bool RefreshRates() {
  mql::refresh_predefined();
  return true;
}
string Symbol() { return string(host().chart_symbol.c_str()); }
int Period() { return host().period; }

double MarketInfo(const string& symbol, int mode) {
  auto& b = broker();
  mql::SymbolSpec* s = b.sym(mql::sym_name(symbol));
  if (!s) {
    mql::set_error(ERR_UNKNOWN_SYMBOL);
    return 0;
  }
  switch (mode) {
    case MODE_BID: return s->bid;
    case MODE_ASK: return s->ask;
    case MODE_LOW: return s->bid;
    case MODE_HIGH: return s->bid;
    case MODE_TIME: return static_cast<double>(s->quote_time);
    case MODE_POINT: return s->point;
    case MODE_DIGITS: return s->digits;
    case MODE_SPREAD: return std::round((s->ask - s->bid) / s->point);
    case MODE_STOPLEVEL: return s->stops_level;
    case MODE_FREEZELEVEL: return s->freeze_level;
    case MODE_LOTSIZE: return s->contract;
    case MODE_TICKVALUE: return b.tick_value(*s);
    case MODE_TICKSIZE: return s->point;
    case MODE_SWAPLONG: case MODE_SWAPSHORT: return 0;
    case MODE_STARTING: case MODE_EXPIRATION: return 0;
    case MODE_TRADEALLOWED: return s->trade_allowed ? 1 : 0;
    case MODE_MINLOT: return s->min_lot;
    case MODE_LOTSTEP: return s->lot_step;
    case MODE_MAXLOT: return s->max_lot;
    case MODE_SWAPTYPE: return 0;
    case MODE_PROFITCALCMODE: return s->contract == 100000 ? 0 : 1;
    case MODE_MARGINCALCMODE: return s->contract == 100000 ? 0 : 1;
    case MODE_MARGININIT: case MODE_MARGINMAINTENANCE: return 0;
    case MODE_MARGINHEDGED: return s->contract / 2;
    case MODE_MARGINREQUIRED: return b.margin_for(*s, 1.0, s->ask);
    case MODE_CLOSEBY_ALLOWED: return 1;
    default:
      mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE);
      return 0;
  }
}

bool SymbolSelect(const string& name, bool select) {
  mql::SymbolSpec* s = broker().sym(name.utf8());
  if (!s) {
    mql::set_error(ERR_UNKNOWN_SYMBOL);
    return false;
  }
  s->selected = select;
  return true;
}
int SymbolsTotal(bool selected) {
  int n = 0;
  for (auto& s : broker().symbols) n += (!selected || s.selected) ? 1 : 0;
  return n;
}
string SymbolName(int pos, bool selected) {
  int n = 0;
  for (auto& s : broker().symbols) {
    if (selected && !s.selected) continue;
    if (n++ == pos) return string(s.name.c_str());
  }
  mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE);
  return string();
}

bool SymbolInfoDouble(const string& name, ENUM_SYMBOL_INFO_DOUBLE prop, double& out) {
  mql::SymbolSpec* s = broker().sym(mql::sym_name(name));
  if (!s) {
    mql::set_error(ERR_UNKNOWN_SYMBOL);
    return false;
  }
  switch (prop) {
    case SYMBOL_BID: out = s->bid; break;
    case SYMBOL_ASK: out = s->ask; break;
    case SYMBOL_LAST: out = s->bid; break;
    case SYMBOL_POINT: out = s->point; break;
    case SYMBOL_TRADE_TICK_VALUE: out = broker().tick_value(*s); break;
    case SYMBOL_TRADE_TICK_SIZE: out = s->point; break;
    case SYMBOL_TRADE_CONTRACT_SIZE: out = s->contract; break;
    case SYMBOL_VOLUME_MIN: out = s->min_lot; break;
    case SYMBOL_VOLUME_MAX: out = s->max_lot; break;
    case SYMBOL_VOLUME_STEP: out = s->lot_step; break;
    case SYMBOL_SWAP_LONG: case SYMBOL_SWAP_SHORT: out = 0; break;
    case SYMBOL_MARGIN_INITIAL: out = 0; break;
    default: mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE); return false;
  }
  return true;
}
double SymbolInfoDouble(const string& name, ENUM_SYMBOL_INFO_DOUBLE prop) {
  double v = 0;
  SymbolInfoDouble(name, prop, v);
  return v;
}
bool SymbolInfoInteger(const string& name, ENUM_SYMBOL_INFO_INTEGER prop, long& out) {
  mql::SymbolSpec* s = broker().sym(mql::sym_name(name));
  if (!s) {
    mql::set_error(ERR_UNKNOWN_SYMBOL);
    return false;
  }
  switch (prop) {
    case SYMBOL_SELECT: case SYMBOL_VISIBLE: out = s->selected; break;
    case SYMBOL_DIGITS: out = s->digits; break;
    case SYMBOL_SPREAD: out = std::lround((s->ask - s->bid) / s->point); break;
    case SYMBOL_SPREAD_FLOAT: out = 1; break;
    case SYMBOL_TRADE_STOPS_LEVEL: out = s->stops_level; break;
    case SYMBOL_TRADE_FREEZE_LEVEL: out = s->freeze_level; break;
    case SYMBOL_TRADE_MODE: out = s->trade_allowed ? SYMBOL_TRADE_MODE_FULL : SYMBOL_TRADE_MODE_DISABLED; break;
    case SYMBOL_TIME: out = s->quote_time; break;
    case SYMBOL_TRADE_EXEMODE:
      out = s->market_execution ? SYMBOL_TRADE_EXECUTION_MARKET : SYMBOL_TRADE_EXECUTION_INSTANT;
      break;
    default: mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE); return false;
  }
  return true;
}
long SymbolInfoInteger(const string& name, ENUM_SYMBOL_INFO_INTEGER prop) {
  long v = 0;
  SymbolInfoInteger(name, prop, v);
  return v;
}
bool SymbolInfoString(const string& name, ENUM_SYMBOL_INFO_STRING prop, string& out) {
  mql::SymbolSpec* s = broker().sym(mql::sym_name(name));
  if (!s) {
    mql::set_error(ERR_UNKNOWN_SYMBOL);
    return false;
  }
  switch (prop) {
    case SYMBOL_CURRENCY_BASE: case SYMBOL_CURRENCY_MARGIN: out = string(s->base.c_str()); break;
    case SYMBOL_CURRENCY_PROFIT: out = string(s->profit_ccy.c_str()); break;
    case SYMBOL_DESCRIPTION: out = string(s->description.c_str()); break;
    case SYMBOL_PATH: out = string(("Forex\\" + s->name).c_str()); break;
    default: mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE); return false;
  }
  return true;
}
string SymbolInfoString(const string& name, ENUM_SYMBOL_INFO_STRING prop) {
  string v;
  SymbolInfoString(name, prop, v);
  return v;
}
bool SymbolInfoTick(const string& name, MqlTick& tick) {
  mql::SymbolSpec* s = broker().sym(mql::sym_name(name));
  if (!s) {
    mql::set_error(ERR_UNKNOWN_SYMBOL);
    return false;
  }
  tick.time = s->quote_time;
  tick.bid = s->bid;
  tick.ask = s->ask;
  tick.last = s->bid;
  tick.volume = 1;
  return true;
}

// ---- account ------------------------------------------------------------------------------
long AccountInfoInteger(ENUM_ACCOUNT_INFO_INTEGER prop) {
  auto& b = broker();
  switch (prop) {
    case ACCOUNT_LOGIN: return b.login;
    case ACCOUNT_TRADE_MODE: return ACCOUNT_TRADE_MODE_DEMO;
    case ACCOUNT_LEVERAGE: return b.leverage;
    case ACCOUNT_LIMIT_ORDERS: return b.max_orders;
    case ACCOUNT_MARGIN_SO_MODE: return 0;
    case ACCOUNT_TRADE_ALLOWED: return 1;
    case ACCOUNT_TRADE_EXPERT: return 1;
  }
  return 0;
}
double AccountInfoDouble(ENUM_ACCOUNT_INFO_DOUBLE prop) {
  auto& b = broker();
  switch (prop) {
    case ACCOUNT_BALANCE: return b.balance;
    case ACCOUNT_CREDIT: return b.credit;
    case ACCOUNT_PROFIT: return b.floating();
    case ACCOUNT_EQUITY: return b.equity();
    case ACCOUNT_MARGIN: return b.margin();
    case ACCOUNT_MARGIN_FREE: return b.free_margin();
    case ACCOUNT_MARGIN_LEVEL: return b.margin_level();
    case ACCOUNT_MARGIN_SO_CALL: return 50;
    case ACCOUNT_MARGIN_SO_SO: return 20;
  }
  return 0;
}
string AccountInfoString(ENUM_ACCOUNT_INFO_STRING prop) {
  auto& b = broker();
  switch (prop) {
    case ACCOUNT_NAME: return string(b.name.c_str());
    case ACCOUNT_SERVER: return string(b.server.c_str());
    case ACCOUNT_CURRENCY: return string(b.currency.c_str());
    case ACCOUNT_COMPANY: return string(b.company.c_str());
  }
  return string();
}
int AccountNumber() { return static_cast<int>(broker().login); }
double AccountBalance() { return broker().balance; }
double AccountEquity() { return broker().equity(); }
double AccountMargin() { return broker().margin(); }
double AccountFreeMargin() { return broker().free_margin(); }
double AccountProfit() { return broker().floating(); }
double AccountCredit() { return broker().credit; }
string AccountCurrency() { return string(broker().currency.c_str()); }
string AccountCompany() { return string(broker().company.c_str()); }
string AccountServer() { return string(broker().server.c_str()); }
string AccountName() { return string(broker().name.c_str()); }
int AccountLeverage() { return broker().leverage; }
int AccountStopoutLevel() { return 20; }
int AccountStopoutMode() { return 0; }
double AccountFreeMarginCheck(const string& symbol, int cmd, double volume) {
  mql::SymbolSpec* s = broker().sym(mql::sym_name(symbol));
  if (!s) return 0;
  return broker().free_margin() - broker().margin_for(*s, volume, cmd == OP_BUY ? s->ask : s->bid);
}

// ---- orders -------------------------------------------------------------------------------
int OrdersTotal() {
  if (broker().settle()) mql::emit_broker();
  return static_cast<int>(broker().open.size());
}
int OrdersHistoryTotal() {
  return host().history_visible ? static_cast<int>(broker().history.size()) : 0;
}

bool OrderSelect(int index, int select, int pool) {
  auto& b = broker();
  if (b.settle()) mql::emit_broker();
  const mql::Order* o = nullptr;
  if (select == SELECT_BY_TICKET) {
    o = b.find_any(index);
  } else if (pool == MODE_HISTORY) {
    if (host().history_visible && index >= 0 && index < static_cast<int>(b.history.size()))
      o = &b.history[size_t(index)];
  } else if (index >= 0 && index < static_cast<int>(b.open.size())) {
    o = &b.open[size_t(index)];
  }
  if (!o) {
    mql::g_has_selected = false;
    mql::set_error(select == SELECT_BY_TICKET ? ERR_INVALID_TICKET : ERR_INVALID_FUNCTION_PARAMVALUE);
    return false;
  }
  // MT4 copies the order into the program's context: later price changes show after re-select.
  mql::g_selected = *o;
  if (o->close_time == 0) {
    mql::g_selected.profit = b.profit_of(*o);
    mql::g_selected.close_price = b.close_price_of(*o);
  }
  mql::g_has_selected = true;
  return true;
}

static const mql::Order* sel() {
  if (!mql::g_has_selected) {
    mql::set_error(ERR_NO_ORDER_SELECTED);
    return nullptr;
  }
  return &mql::g_selected;
}
int OrderTicket() { auto o = sel(); return o ? o->ticket : 0; }
string OrderSymbol() { auto o = sel(); return o ? string(o->symbol.c_str()) : string(); }
int OrderType() { auto o = sel(); return o ? o->type : 0; }
double OrderLots() { auto o = sel(); return o ? o->lots : 0; }
double OrderOpenPrice() { auto o = sel(); return o ? o->open_price : 0; }
datetime OrderOpenTime() { auto o = sel(); return o ? o->open_time : 0; }
double OrderClosePrice() { auto o = sel(); return o ? o->close_price : 0; }
datetime OrderCloseTime() { auto o = sel(); return o ? o->close_time : 0; }
double OrderStopLoss() { auto o = sel(); return o ? o->sl : 0; }
double OrderTakeProfit() { auto o = sel(); return o ? o->tp : 0; }
double OrderProfit() { auto o = sel(); return o ? o->profit : 0; }
double OrderSwap() { auto o = sel(); return o ? o->swap : 0; }
double OrderCommission() { auto o = sel(); return o ? o->commission : 0; }
int OrderMagicNumber() { auto o = sel(); return o ? o->magic : 0; }
string OrderComment() { auto o = sel(); return o ? string(o->comment.c_str()) : string(); }
datetime OrderExpiration() { auto o = sel(); return o ? o->expiration : 0; }
void OrderPrint() {
  auto o = sel();
  if (o) Print("#", o->ticket, " ", o->symbol.c_str(), " type ", o->type, " lots ", o->lots);
}

int OrderSend(const string& symbol, int cmd, double volume, double price, int slippage,
              double stoploss, double takeprofit, const string& comment, int magic,
              datetime expiration, color) {
  int err = 0;
  std::string sym = mql::sym_name(symbol);
  int ticket = broker().send(mql::Actor::EA, sym, cmd, volume, price, slippage, stoploss,
                             takeprofit, comment.utf8(), magic, expiration, err);
  if (err) mql::set_error(err);  // success leaves _LastError alone, as MT4 does
  mql::trade_event("OrderSend", ticket, err,
                   ",\"symbol\":" + mql::jstr(sym) + ",\"cmd\":" + std::to_string(cmd) +
                       ",\"lots\":" + mql::jnum(volume) + ",\"price\":" + mql::jnum(price) +
                       ",\"slippage\":" + std::to_string(slippage) + ",\"magic\":" + std::to_string(magic));
  return ticket;
}

bool OrderClose(int ticket, double lots, double price, int slippage, color) {
  int err = 0;
  bool ok = broker().close(mql::Actor::EA, ticket, lots, price, slippage, err);
  if (err) mql::set_error(err);  // success leaves _LastError alone, as MT4 does
  mql::trade_event("OrderClose", ticket, err, ",\"lots\":" + mql::jnum(lots) + ",\"price\":" + mql::jnum(price) +
                                                  ",\"slippage\":" + std::to_string(slippage));
  return ok;
}

bool OrderCloseBy(int ticket, int opposite, color) {
  mql::set_error(ERR_TRADE_DISABLED);
  mql::trade_event("OrderCloseBy", ticket, ERR_TRADE_DISABLED, ",\"opposite\":" + std::to_string(opposite));
  return false;
}

bool OrderModify(int ticket, double price, double stoploss, double takeprofit, datetime expiration,
                 color) {
  int err = 0;
  bool ok = broker().modify(mql::Actor::EA, ticket, price, stoploss, takeprofit, expiration, err);
  if (err) mql::set_error(err);  // success leaves _LastError alone, as MT4 does
  mql::trade_event("OrderModify", ticket, err,
                   ",\"sl\":" + mql::jnum(stoploss) + ",\"tp\":" + mql::jnum(takeprofit) +
                       ",\"price\":" + mql::jnum(price));
  return ok;
}

bool OrderDelete(int ticket, color) {
  int err = 0;
  bool ok = broker().remove(mql::Actor::EA, ticket, err);
  if (err) mql::set_error(err);  // success leaves _LastError alone, as MT4 does
  mql::trade_event("OrderDelete", ticket, err, "");
  return ok;
}

}  // namespace mql4api
