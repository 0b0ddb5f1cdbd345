// The host loop: runs the EA's handlers like an MT4 chart does (OnInit, OnTimer at the
// requested rate, OnTick on quotes of the chart symbol, OnDeinit) and takes control
// operations as JSON lines on stdin. Waits in poll() with the timer's timeout: no busy spin.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <map>
#include <new>

#include "internal.hpp"
#include "json.hpp"
#include "trade_server.hpp"

namespace mql {

void refresh_predefined();

HostState& host() {
  static HostState h;
  return h;
}
bool& stop_flag_ref() { return host().stop_flag; }

long long now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000;
}

void emit_line(const std::string& json) {
  std::fwrite(json.data(), 1, json.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void emit_log(const mql4api::string& s) {
  emit_line("{\"event\":\"log\",\"text\":" + jstr(s.utf8()) + "}");
}
void emit_comment(const mql4api::string& s) {
  emit_line("{\"event\":\"comment\",\"text\":" + jstr(s.utf8()) + "}");
}
void emit_alert(const mql4api::string& s) {
  emit_line("{\"event\":\"alert\",\"text\":" + jstr(s.utf8()) + "}");
}

static std::string order_json(const Order& o) {
  return "{\"ticket\":" + std::to_string(o.ticket) + ",\"symbol\":" + jstr(o.symbol) +
         ",\"type\":" + std::to_string(o.type) + ",\"lots\":" + jnum(o.lots) +
         ",\"open_price\":" + jnum(o.open_price) + ",\"open_time\":" + std::to_string(o.open_time) +
         ",\"sl\":" + jnum(o.sl) + ",\"tp\":" + jnum(o.tp) + ",\"close_price\":" + jnum(o.close_price) +
         ",\"close_time\":" + std::to_string(o.close_time) + ",\"profit\":" + jnum(o.profit) +
         ",\"swap\":" + jnum(o.swap) + ",\"commission\":" + jnum(o.commission) +
         ",\"magic\":" + std::to_string(o.magic) + ",\"comment\":" + jstr(o.comment) +
         ",\"expiration\":" + std::to_string(o.expiration) + "}";
}

void emit_broker() {
  Broker& b = broker();
  std::string s = "{\"event\":\"broker\",\"orders\":[";
  for (size_t i = 0; i < b.open.size(); ++i) {
    Order o = b.open[i];
    o.profit = b.profit_of(o);
    o.close_price = b.close_price_of(o);
    s += (i ? "," : "") + order_json(o);
  }
  s += "],\"history_count\":" + std::to_string(b.history.size()) + ",\"account\":{\"login\":" +
       std::to_string(b.login) + ",\"name\":" + jstr(b.name) + ",\"server\":" + jstr(b.server) +
       ",\"company\":" + jstr(b.company) + ",\"currency\":" + jstr(b.currency) +
       ",\"leverage\":" + std::to_string(b.leverage) + ",\"balance\":" + jnum(b.balance) +
       ",\"equity\":" + jnum(b.equity()) + ",\"margin\":" + jnum(b.margin()) +
       ",\"free_margin\":" + jnum(b.free_margin()) + ",\"margin_level\":" + jnum(b.margin_level()) +
       ",\"profit\":" + jnum(b.floating()) + "}}";
  emit_line(s);
}

static void emit_history() {
  Broker& b = broker();
  std::string s = "{\"event\":\"history\",\"orders\":[";
  for (size_t i = 0; i < b.history.size(); ++i) s += (i ? "," : "") + order_json(b.history[i]);
  emit_line(s + "]}");
}

static void emit_error(const std::string& msg) {
  emit_line("{\"event\":\"error\",\"message\":" + jstr(msg) + "}");
}

// ---- inputs -------------------------------------------------------------------------------
static std::map<std::string, std::string> g_inputs;
static std::map<std::string, bool> g_inputs_seen;

const std::string* input_override(const char* name) {
  auto it = g_inputs.find(name);
  return it == g_inputs.end() ? nullptr : &it->second;
}
void input_seen(const char* name) { g_inputs_seen[name] = true; }
void bad_input(const char* name, const std::string& value) {
  emit_error(std::string("bad value for input ") + name + ": " + value);
  std::exit(2);
}

// ---- running the program ------------------------------------------------------------------
static const Program* g_prog = nullptr;
static const Loc* g_locs = nullptr;

[[noreturn]] void critical(const char* what, int loc) {
  char buf[512];
  if (loc >= 0 && g_locs) {
    const Loc& l = g_locs[loc];
    std::snprintf(buf, sizeof buf, "%s in '%s' (%d,%d)", what, l.file, l.line, l.col);
  } else {
    std::snprintf(buf, sizeof buf, "%s", what);
  }
  throw CriticalError(buf);
}

[[noreturn]] static void stopped(const std::string& reason, const std::string& text, int code) {
  if (!text.empty()) emit_line("{\"event\":\"log\",\"text\":" + jstr(text) + "}");
  emit_line("{\"event\":\"ea_stopped\",\"reason\":" + jstr(reason) + "}");
  std::exit(code);
}

template <class F>
static void guarded(F&& f) {
  try {
    refresh_predefined();
    f();
  } catch (const CriticalError& e) {
    // MT4 prints the critical error and removes the EA without calling OnDeinit.
    stopped(e.what(), e.what(), 3);
  } catch (const std::bad_alloc&) {
    stopped("not enough memory", "not enough memory", 3);
  } catch (const std::exception& e) {
    stopped(std::string("ea/host internal error: ") + e.what(), "", 4);
  }
}

// A crash in EA code (deep recursion, a bad pointer in a DLL buffer) must still end with the
// protocol's ea_stopped line. Runs on its own stack so stack overflows are caught too.
static void on_fatal_signal(int sig) {
  const char* msg = sig == SIGSEGV || sig == SIGBUS
      ? "{\"event\":\"log\",\"text\":\"stack overflow or invalid memory access\"}\n"
        "{\"event\":\"ea_stopped\",\"reason\":\"stack overflow or invalid memory access\"}\n"
      : "{\"event\":\"ea_stopped\",\"reason\":\"fatal signal\"}\n";
  ssize_t r = write(1, msg, std::strlen(msg));
  (void)r;
  _exit(3);
}

static void install_fatal_handlers() {
  static char altstack[1 << 16];
  stack_t ss{};
  ss.ss_sp = altstack;
  ss.ss_size = sizeof altstack;
  sigaltstack(&ss, nullptr);
  struct sigaction sa{};
  sa.sa_handler = on_fatal_signal;
  sa.sa_flags = SA_ONSTACK;
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(sig, &sa, nullptr);
}

static void deinit(int reason) {
  host().uninit_reason = reason;
  if (g_prog->on_deinit) guarded([&] { g_prog->on_deinit(reason); });
  host().timer_ms = 0;
  // MT4 reports objects created with `new` and never deleted when the program unloads.
  if (size_t n = ptr_forget_all()) emit_log(mql4api::string((std::to_string(n) + " undeleted objects left").c_str()));
}

// MT4 loads the program once: globals and static locals are initialised at load time only
// (first start, recompile). A chart, parameters or account change runs OnDeinit then OnInit
// on the same loaded program, so every global keeps its value (inputs take the new ones).
enum class Load { Fresh, KeepGlobals };

static void init(bool first, Load load = Load::Fresh) {
  host().stop_flag = false;
  host().timer_ms = 0;
  if (load == Load::Fresh) guarded([] { g_prog->reset(); });
  else if (g_prog->apply_inputs) guarded([] { g_prog->apply_inputs(); });
  if (first) {
    for (auto& kv : g_inputs)
      if (!g_inputs_seen.count(kv.first)) {
        emit_error("unknown input variable: " + kv.first);
        std::exit(2);
      }
  }
  int rc = 0;
  if (g_prog->on_init) guarded([&] { rc = g_prog->on_init(); });
  if (rc != 0) {
    deinit(mql4api::REASON_INITFAILED);
    stopped("init_failed", "initialization failed (OnInit returned " + std::to_string(rc) + ")", 1);
  }
  emit_line("{\"event\":\"ready\"}");
  emit_broker();
}

static void check_removed() {
  if (host().remove_requested) {
    deinit(mql4api::REASON_PROGRAM);
    stopped("ExpertRemove", "", 0);
  }
}

static int type_from(const JVal& v) {
  if (v.kind == JVal::Num) return static_cast<int>(v.n);
  std::string t;
  for (char c : v.s)
    if (c != '_' && c != ' ' && c != '-') t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const char* names[] = {"buy", "sell", "buylimit", "selllimit", "buystop", "sellstop"};
  for (int i = 0; i < 6; ++i)
    if (t == names[i]) return i;
  return -1;
}

// The last quote came `age` seconds ago and none since: TimeCurrent() and the symbols'
// quote times stay there until the next `quote` op.
static void set_stale_clock(long age) {
  HostState& h = host();
  h.clock_stale = true;
  h.last_quote_time = static_cast<long>(std::time(nullptr)) + h.server_offset - age;
  for (auto& s : broker().symbols) s.quote_time = h.last_quote_time;
}

static long long g_next_timer = 0;
void timer_reset() { g_next_timer = 0; }

// ---- stdin ----------------------------------------------------------------------------------
static std::string g_inbuf;
static bool g_eof = false;

// Wait up to timeout_ms (-1: forever) for stdin and append what is there to g_inbuf.
static void pump_stdin(int timeout_ms) {
  if (g_eof) return;
  pollfd pfd{0, POLLIN, 0};
  int r = poll(&pfd, 1, timeout_ms);
  if (r <= 0 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR))) return;
  char chunk[65536];
  ssize_t n = read(0, chunk, sizeof chunk);
  if (n <= 0) g_eof = true;
  else g_inbuf.append(chunk, static_cast<size_t>(n));
}

static bool next_line(std::string& line) {
  while (true) {
    size_t pos = g_inbuf.find('\n');
    if (pos == std::string::npos) return false;
    line = g_inbuf.substr(0, pos);
    g_inbuf.erase(0, pos + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) return true;
  }
}

// A stop (or closed stdin) that arrives while the EA is busy sets IsStopped(), as removing an
// EA does in MT4; the op itself is handled once the EA's handler returns.
static void note_pending_stop() {
  if (g_eof) host().stop_flag = true;
  size_t start = 0, pos;
  while ((pos = g_inbuf.find('\n', start)) != std::string::npos) {
    std::map<std::string, JVal> m;
    std::string err;
    if (parse_flat_json(g_inbuf.substr(start, pos - start), m, err)) {
      auto it = m.find("op");
      if (it != m.end() && it->second.kind == JVal::Str && it->second.s == "stop") host().stop_flag = true;
    }
    start = pos + 1;
  }
}

// Sleep() in MT4 returns early once the EA is being stopped (it checks every 0.1 s).
void sleep_ms(int ms) {
  long long deadline = now_us() + static_cast<long long>(ms) * 1000LL;
  while (!host().stop_flag) {
    long long left = deadline - now_us();
    if (left <= 0) break;
    pump_stdin(static_cast<int>((left + 999) / 1000));
    note_pending_stop();
    if (g_eof && !host().stop_flag) host().stop_flag = true;
  }
}

static int timer_interval_ms() {
  if (host().timer_ms <= 0) return 0;
  return host().timer_override > 0 ? host().timer_override : host().timer_ms;
}

// Fields an op accepts; anything else is refused (a typo must not be silently ignored).
static bool only_fields(const std::map<std::string, JVal>& m, std::initializer_list<const char*> ok,
                        std::string& bad) {
  for (auto& kv : m) {
    bool known = kv.first == "op";
    for (const char* f : ok) known = known || kv.first == f;
    if (!known) {
      bad = kv.first;
      return false;
    }
  }
  return true;
}

static void handle(const std::string& line) {
  std::map<std::string, JVal> m;
  std::string err;
  if (!parse_flat_json(line, m, err)) return emit_error("invalid JSON: " + err);
  auto get = [&](const char* k) -> const JVal* {
    auto it = m.find(k);
    return it == m.end() ? nullptr : &it->second;
  };
  auto num = [&](const char* k, double def) {
    const JVal* v = get(k);
    return v && v->kind == JVal::Num ? v->n : def;
  };
  auto str = [&](const char* k, const std::string& def) {
    const JVal* v = get(k);
    return v && v->kind == JVal::Str ? v->s : def;
  };
  const JVal* opv = get("op");
  if (!opv || opv->kind != JVal::Str) return emit_error("missing \"op\"");
  const std::string op = opv->s;
  Broker& b = broker();
  // The new broker state goes out before the answer, so whoever waits for the answer
  // already has the state it produced.
  auto manual = [&](const char* name, int ticket, int e) {
    if (e == 0) emit_broker();
    emit_line(std::string("{\"event\":\"manual\",\"op\":") + jstr(name) + ",\"ticket\":" +
              std::to_string(ticket) + ",\"error\":" + std::to_string(e) + "}");
  };
  if (op == "quote") {
    std::string sym = str("symbol", host().chart_symbol);
    const JVal* bid = get("bid");
    const JVal* ask = get("ask");
    if (!b.sym(sym)) return emit_error("unknown symbol: " + sym);
    if (!bid || !ask || bid->kind != JVal::Num || ask->kind != JVal::Num || bid->n <= 0 || ask->n < bid->n)
      return emit_error("quote needs numeric bid <= ask");
    host().clock_stale = false;
    b.quote(sym, bid->n, ask->n);
    emit_broker();
    if (sym == host().chart_symbol && g_prog->on_tick) guarded([] { g_prog->on_tick(); });
  } else if (op == "open") {
    int type = get("type") ? type_from(*get("type")) : -1;
    if (type < 0) return emit_error("open: bad or missing type");
    int e = 0;
    int t = b.send(Actor::Manual, str("symbol", host().chart_symbol), type, num("lots", 0),
                   num("price", 0), 0, num("sl", 0), num("tp", 0), str("comment", ""),
                   static_cast<int>(num("magic", 0)), static_cast<long>(num("expiration", 0)), e);
    manual("open", t, e);
  } else if (op == "close") {
    int e = 0;
    int ticket = static_cast<int>(num("ticket", 0));
    b.close(Actor::Manual, ticket, num("lots", 0), 0, 0, e);
    manual("close", ticket, e);
  } else if (op == "modify") {
    int e = 0;
    int ticket = static_cast<int>(num("ticket", 0));
    const Order* o = b.find_open(ticket);
    b.modify(Actor::Manual, ticket, num("price", o ? o->open_price : 0), num("sl", o ? o->sl : 0),
             num("tp", o ? o->tp : 0), static_cast<long>(num("expiration", o ? double(o->expiration) : 0)), e);
    manual("modify", ticket, e);
  } else if (op == "delete") {
    int e = 0;
    int ticket = static_cast<int>(num("ticket", 0));
    b.remove(Actor::Manual, ticket, e);
    manual("delete", ticket, e);
  } else if (op == "fail_next") {
    std::string bad;
    if (!only_fields(m, {"error", "count", "for_ms", "executed", "appear_after_ms", "on"}, bad))
      return emit_error("fail_next: unknown field " + bad);
    int e = static_cast<int>(num("error", 0));
    int count = static_cast<int>(num("count", 1));
    int for_ms = static_cast<int>(num("for_ms", 0));
    const JVal* ex = get("executed");
    if (ex && ex->kind != JVal::Bool) return emit_error("fail_next: executed must be true/false");
    bool executed = ex && ex->b;
    int appear = static_cast<int>(num("appear_after_ms", 0));
    if (e <= 0 || count <= 0 || for_ms < 0 || appear < 0)
      return emit_error("fail_next needs error > 0, count > 0, for_ms >= 0, appear_after_ms >= 0");
    if (for_ms > 0 && (executed || get("count")))
      return emit_error("fail_next: for_ms fails every op for a while; it takes no count or executed");
    if (get("appear_after_ms") && !executed)
      return emit_error("fail_next: appear_after_ms needs executed: true");
    std::string on = str("on", "");
    if (get("on") && on != "OrderSend" && on != "OrderClose" && on != "OrderModify" && on != "OrderDelete")
      return emit_error("fail_next: on must be OrderSend, OrderClose, OrderModify or OrderDelete");
    if (!on.empty() && (for_ms > 0 || (executed && on != "OrderSend")))
      return emit_error("fail_next: on goes with a counted failure (executed: OrderSend only)");
    if (for_ms > 0) {
      b.fail_until_us = now_us() + static_cast<long long>(for_ms) * 1000LL;
      b.fail_until_error = e;
    } else {
      for (int i = 0; i < count; ++i) b.fail_queue.push_back({e, executed, appear, on});
    }
  } else if (op == "restart_ea") {
    deinit(mql4api::REASON_RECOMPILE);
    init(false);
    int iv = timer_interval_ms();
    g_next_timer = now_us() + iv * 1000LL;
  } else if (op == "set") {
    for (auto& kv : m) {
      if (kv.first == "op") continue;
      if (kv.second.kind != JVal::Bool) return emit_error("set: " + kv.first + " must be true/false");
      if (kv.first == "dll_allowed") host().dll_allowed = kv.second.b;
      else if (kv.first == "trade_allowed") host().trade_allowed = kv.second.b;
      else if (kv.first == "connected") host().connected = kv.second.b;
      else if (kv.first == "history_visible") host().history_visible = kv.second.b;
      else return emit_error("set: unknown flag " + kv.first);
    }
  } else if (op == "inputs") {
    // New input values: MT4 runs OnDeinit(REASON_PARAMETERS) then OnInit with them.
    for (auto& kv : m) {
      if (kv.first == "op") continue;
      if (!g_inputs_seen.count(kv.first)) return emit_error("unknown input variable: " + kv.first);
      g_inputs[kv.first] = kv.second.kind == JVal::Str ? kv.second.s
                           : kv.second.kind == JVal::Bool ? (kv.second.b ? "true" : "false")
                                                          : jnum(kv.second.n);
    }
    deinit(mql4api::REASON_PARAMETERS);
    init(false, Load::KeepGlobals);
  } else if (op == "account") {
    // Logging in to another account: OnDeinit(REASON_ACCOUNT), then OnInit.
    b.login = static_cast<long>(num("login", static_cast<double>(b.login)));
    b.balance = num("balance", b.balance);
    b.leverage = static_cast<int>(num("leverage", b.leverage));
    b.name = str("name", b.name);
    b.server = str("server", b.server);
    b.company = str("company", b.company);
    b.currency = str("currency", b.currency);
    deinit(mql4api::REASON_ACCOUNT);
    init(false, Load::KeepGlobals);
  } else if (op == "clock") {
    // The trade server's clock: its offset from UTC, and how old the last quote is.
    std::string bad;
    if (!only_fields(m, {"server_offset_s", "last_quote_age_s"}, bad)) return emit_error("clock: unknown field " + bad);
    const JVal* off = get("server_offset_s");
    const JVal* age = get("last_quote_age_s");
    if ((off && off->kind != JVal::Num) || (age && (age->kind != JVal::Num || age->n < 0)))
      return emit_error("clock: server_offset_s and last_quote_age_s (>= 0) are numbers of seconds");
    if (off && std::fabs(off->n) > 86400) return emit_error("clock: server_offset_s beyond a day");
    if (off) host().server_offset = static_cast<long>(off->n);
    if (age) set_stale_clock(static_cast<long>(age->n));
  } else if (op == "chart") {
    // The trader switches the chart's symbol or timeframe: OnDeinit(REASON_CHARTCHANGE), then
    // OnInit, globals kept.
    std::string bad;
    if (!only_fields(m, {"symbol", "period"}, bad)) return emit_error("chart: unknown field " + bad);
    std::string sym = str("symbol", host().chart_symbol);
    int period = static_cast<int>(num("period", host().period));
    static const int periods[] = {1, 5, 15, 30, 60, 240, 1440, 10080, 43200};
    bool period_ok = false;
    for (int p : periods) period_ok = period_ok || p == period;
    if (!b.sym(sym)) return emit_error("chart: unknown symbol " + sym);
    if (!period_ok) return emit_error("chart: period must be one of MT4's timeframes in minutes");
    deinit(mql4api::REASON_CHARTCHANGE);
    host().chart_symbol = sym;
    host().period = period;
    init(false, Load::KeepGlobals);
    g_next_timer = 0;
  } else if (op == "symbol") {
    std::string name = str("symbol", "");
    if (const JVal* ex = get("execution")) {
      // Instant and market execution are modelled; request and exchange execution are not.
      if (ex->kind != JVal::Str || (ex->s != "instant" && ex->s != "market"))
        return emit_error("symbol: execution must be \"instant\" or \"market\"");
    }
    SymbolSpec* s = b.sym(name);
    if (!s && get("digits") && !name.empty()) {
      // A new symbol: digits, bid, ask, contract, base/profit currencies, lot limits.
      SymbolSpec n;
      n.name = name;
      n.digits = static_cast<int>(num("digits", 5));
      n.point = std::pow(10.0, -n.digits);
      n.base = str("base", name.substr(0, 3));
      n.profit_ccy = str("profit", name.size() >= 6 ? name.substr(3, 3) : "USD");
      n.description = name;
      b.symbols.push_back(n);
      s = &b.symbols.back();
    }
    if (!s) return emit_error("symbol: unknown symbol");
    s->bid = num("bid", s->bid);
    s->ask = num("ask", s->ask);
    s->contract = num("contract", s->contract);
    s->min_lot = num("min_lot", s->min_lot);
    s->max_lot = num("max_lot", s->max_lot);
    s->lot_step = num("lot_step", s->lot_step);
    s->stops_level = static_cast<int>(num("stops_level", s->stops_level));
    s->freeze_level = static_cast<int>(num("freeze_level", s->freeze_level));
    if (get("trade_allowed") && get("trade_allowed")->kind == JVal::Bool) s->trade_allowed = get("trade_allowed")->b;
    if (get("market_open") && get("market_open")->kind == JVal::Bool) s->market_open = get("market_open")->b;
    if (const JVal* ex = get("execution")) s->market_execution = ex->s == "market";
    emit_broker();
  } else if (op == "swap") {
    // Rollover: add swap (account currency) to an open position.
    Order* o = b.find_open(static_cast<int>(num("ticket", 0)));
    if (!o || o->type > 1) return emit_error("swap: no such open position");
    o->swap += num("amount", 0);
    emit_broker();
  } else if (op == "tick") {
    if (g_prog->on_tick) guarded([] { g_prog->on_tick(); });
  } else if (op == "timer") {
    if (g_prog->on_timer) guarded([] { g_prog->on_timer(); });
  } else if (op == "ping") {
    // Barrier for controllers: everything sent before the ping has been handled.
    const JVal* id = get("id");
    std::string idj = !id ? "null" : id->kind == JVal::Str ? jstr(id->s)
                      : id->kind == JVal::Num ? jnum(id->n) : id->kind == JVal::Bool ? (id->b ? "true" : "false") : "null";
    emit_line("{\"event\":\"pong\",\"id\":" + idj + "}");
  } else if (op == "state") {
    emit_broker();
  } else if (op == "history") {
    emit_history();
  } else if (op == "stop") {
    host().stop_flag = true;
    deinit(mql4api::REASON_REMOVE);
    stopped("removed", "", 0);
  } else {
    emit_error("unknown op: " + op);
  }
  check_removed();
}

static void usage_error(const std::string& msg) {
  emit_error(msg);
  std::exit(2);
}

int host_main(int argc, char** argv, const Program& p) {
  signal(SIGPIPE, SIG_IGN);
  install_fatal_handlers();
  g_prog = &p;
  g_locs = p.locs;
  HostState& h = host();
  h.ea_name = p.name;
  Broker& b = broker();
  long stale_age = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage_error("missing value for " + a);
      return argv[++i];
    };
    if (a == "--sandbox") h.sandbox = val();
    else if (a == "--ea-path") h.ea_path = val();
    else if (a == "--timer-ms") h.timer_override = std::atoi(val().c_str());
    else if (a == "--input") {
      std::string kv = val();
      size_t eq = kv.find('=');
      if (eq == std::string::npos) usage_error("--input needs name=value");
      g_inputs[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (a == "--account-login") b.login = std::atol(val().c_str());
    else if (a == "--balance") b.balance = std::atof(val().c_str());
    else if (a == "--leverage") b.leverage = std::atoi(val().c_str());
    else if (a == "--commission") b.commission_per_lot = std::atof(val().c_str());
    else if (a == "--currency") b.currency = val();
    else if (a == "--server") b.server = val();
    else if (a == "--company") b.company = val();
    else if (a == "--account-name") b.name = val();
    else if (a == "--symbol") h.chart_symbol = val();
    else if (a == "--server-offset") h.server_offset = std::atol(val().c_str());
    else if (a == "--last-quote-age") stale_age = std::atol(val().c_str());
    else if (a == "--terminal-data-path") h.data_path = val();
    else if (a == "--symbols") {
      // Keep only the listed symbols (comma separated), in that order.
      std::string list = val() + ",";
      std::vector<SymbolSpec> keep;
      for (size_t pos = 0, c; (c = list.find(',', pos)) != std::string::npos; pos = c + 1) {
        SymbolSpec* s = b.sym(list.substr(pos, c - pos));
        if (!s) usage_error("--symbols: unknown symbol " + list.substr(pos, c - pos));
        keep.push_back(*s);
      }
      b.symbols = keep;
    } else if (a == "--no-dll") h.dll_allowed = false;
    else if (a == "--no-trade") h.trade_allowed = false;
    else usage_error("unknown argument " + a);
  }
  if (h.sandbox.empty()) usage_error("--sandbox is required");
  if (stale_age >= 0) set_stale_clock(stale_age);
  if (!b.sym(h.chart_symbol)) usage_error("unknown chart symbol " + h.chart_symbol);
  init(true);
  check_removed();  // ExpertRemove() called from OnInit
  int iv = timer_interval_ms();
  g_next_timer = now_us() + iv * 1000LL;
  while (true) {
    // Lines read while the EA slept (see sleep_ms) are handled first.
    std::string line;
    while (next_line(line)) handle(line);
    if (g_eof) {
      // stdin closed: the controller is gone; behave like closing the terminal.
      deinit(mql4api::REASON_CLOSE);
      stopped("stdin closed", "", 0);
    }
    int interval = timer_interval_ms();
    int timeout = -1;
    long long now = now_us();
    if (interval > 0) {
      if (g_next_timer <= 0) g_next_timer = now + interval * 1000LL;
      long long left = g_next_timer - now;
      timeout = left <= 0 ? 0 : static_cast<int>((left + 999) / 1000);
    }
    // An order placed "late" (fail_next executed) shows up even while the EA makes no call.
    if (!b.delayed.empty()) {
      long long first = b.delayed.front().appear_at_us;
      for (auto& d : b.delayed) first = d.appear_at_us < first ? d.appear_at_us : first;
      int wait = first <= now ? 0 : static_cast<int>((first - now + 999) / 1000);
      timeout = timeout < 0 || wait < timeout ? wait : timeout;
    }
    pump_stdin(timeout);
    if (b.settle()) emit_broker();
    while (next_line(line)) handle(line);
    interval = timer_interval_ms();
    if (interval > 0 && now_us() >= g_next_timer) {
      // One pending timer event at most, like MT4: if we fell behind, do not queue a burst.
      g_next_timer += interval * 1000LL;
      if (g_next_timer < now_us()) g_next_timer = now_us() + interval * 1000LL;
      if (p.on_timer) guarded([&] { p.on_timer(); });
      check_removed();
    } else if (interval <= 0) {
      g_next_timer = 0;
    }
  }
}

}  // namespace mql
