// Math, time, timers and terminal/program state builtins.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <ctime>

#include "internal.hpp"
#include "trade_server.hpp"

namespace mql4api {
using mql::host;

// ---- math ---------------------------------------------------------------------------------
double MathPow(double b, double e) { return std::pow(b, e); }
double MathRound(double v) { return std::round(v); }
double MathFloor(double v) { return std::floor(v); }
double MathCeil(double v) { return std::ceil(v); }
double MathSqrt(double v) { return std::sqrt(v); }
double MathLog(double v) { return std::log(v); }
double MathLog10(double v) { return std::log10(v); }
double MathExp(double v) { return std::exp(v); }
double MathMod(double a, double b) { return std::fmod(a, b); }
double MathSin(double v) { return std::sin(v); }
double MathCos(double v) { return std::cos(v); }
double MathTan(double v) { return std::tan(v); }
double MathArctan(double v) { return std::atan(v); }
double MathArcsin(double v) { return std::asin(v); }
double MathArccos(double v) { return std::acos(v); }
bool MathIsValidNumber(double v) { return std::isfinite(v); }

// MQL4's MathRand returns 0..32767 (a 15-bit LCG like MSVC's rand()).
static unsigned g_rand = 1;
int MathRand() {
  g_rand = g_rand * 214013u + 2531011u;
  return static_cast<int>((g_rand >> 16) & 0x7FFF);
}
void MathSrand(int seed) { g_rand = static_cast<unsigned>(seed); }
void srand(int seed) { MathSrand(seed); }

// ---- time ---------------------------------------------------------------------------------
static void fill(datetime t, MqlDateTime& dt) {
  time_t tt = static_cast<time_t>(t);
  tm g;
  gmtime_r(&tt, &g);
  dt.year = g.tm_year + 1900;
  dt.mon = g.tm_mon + 1;
  dt.day = g.tm_mday;
  dt.hour = g.tm_hour;
  dt.min = g.tm_min;
  dt.sec = g.tm_sec;
  dt.day_of_week = g.tm_wday;
  dt.day_of_year = g.tm_yday;
}

datetime TimeGMT() { return static_cast<datetime>(std::time(nullptr)); }
// MT4's TimeCurrent() is the server time of the last quote: live unless the clock is stale.
datetime TimeCurrent() {
  return host().clock_stale ? host().last_quote_time : TimeGMT() + host().server_offset;
}
datetime TimeLocal() {
  time_t now = std::time(nullptr);
  tm l;
  localtime_r(&now, &l);
  return static_cast<datetime>(now + l.tm_gmtoff);
}
datetime TimeCurrent(MqlDateTime& dt) {
  datetime t = TimeCurrent();
  fill(t, dt);
  return t;
}
datetime TimeLocal(MqlDateTime& dt) {
  datetime t = TimeLocal();
  fill(t, dt);
  return t;
}
datetime TimeGMT(MqlDateTime& dt) {
  datetime t = TimeGMT();
  fill(t, dt);
  return t;
}
int TimeGMTOffset() { return static_cast<int>(TimeGMT() - TimeLocal()); }
int TimeDaylightSavings() { return 0; }
uint GetTickCount() { return static_cast<uint>(mql::now_us() / 1000); }
static const long long g_start_us = mql::now_us();
ulong GetMicrosecondCount() { return static_cast<ulong>(mql::now_us() - g_start_us); }

string TimeToString(datetime t, int mode) {
  MqlDateTime d;
  fill(t, d);
  char buf[64];
  std::string out;
  if (mode & TIME_DATE) {
    std::snprintf(buf, sizeof buf, "%04d.%02d.%02d", d.year, d.mon, d.day);
    out += buf;
  }
  if (mode & (TIME_MINUTES | TIME_SECONDS)) {
    if (!out.empty()) out += " ";
    if (mode & TIME_SECONDS) std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", d.hour, d.min, d.sec);
    else std::snprintf(buf, sizeof buf, "%02d:%02d", d.hour, d.min);
    out += buf;
  }
  return string(out.c_str());
}
string TimeToStr(datetime t, int mode) { return TimeToString(t, mode); }

datetime StringToTime(const string& s) {
  std::string a = s.utf8();
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  bool has_date = a.find('.') != std::string::npos;
  if (has_date) {
    std::sscanf(a.c_str(), "%d.%d.%d %d:%d:%d", &y, &mo, &d, &h, &mi, &sec);
  } else {
    std::sscanf(a.c_str(), "%d:%d:%d", &h, &mi, &sec);
    MqlDateTime now;
    fill(TimeCurrent(), now);
    y = now.year, mo = now.mon, d = now.day;
  }
  tm t{};
  t.tm_year = y - 1900;
  t.tm_mon = mo - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  t.tm_sec = sec;
  return static_cast<datetime>(timegm(&t));
}
datetime StrToTime(const string& s) { return StringToTime(s); }
bool TimeToStruct(datetime t, MqlDateTime& dt) {
  fill(t, dt);
  return true;
}
datetime StructToTime(MqlDateTime& dt) {
  tm t{};
  t.tm_year = dt.year - 1900;
  t.tm_mon = dt.mon - 1;
  t.tm_mday = dt.day;
  t.tm_hour = dt.hour;
  t.tm_min = dt.min;
  t.tm_sec = dt.sec;
  return static_cast<datetime>(timegm(&t));
}
#define MQL_TIME_PART(fn, field)        \
  int fn(datetime t) {                  \
    MqlDateTime d;                      \
    fill(t, d);                         \
    return d.field;                     \
  }
MQL_TIME_PART(TimeYear, year)
MQL_TIME_PART(TimeMonth, mon)
MQL_TIME_PART(TimeDay, day)
MQL_TIME_PART(TimeHour, hour)
MQL_TIME_PART(TimeMinute, min)
MQL_TIME_PART(TimeSeconds, sec)
MQL_TIME_PART(TimeDayOfWeek, day_of_week)
MQL_TIME_PART(TimeDayOfYear, day_of_year)
#undef MQL_TIME_PART
int Year() { return TimeYear(TimeCurrent()); }
int Month() { return TimeMonth(TimeCurrent()); }
int Day() { return TimeDay(TimeCurrent()); }
int Hour() { return TimeHour(TimeCurrent()); }
int Minute() { return TimeMinute(TimeCurrent()); }
int Seconds() { return TimeSeconds(TimeCurrent()); }
int DayOfWeek() { return TimeDayOfWeek(TimeCurrent()); }
int DayOfYear() { return TimeDayOfYear(TimeCurrent()); }

void Sleep(int ms) {
  if (ms > 0) mql::sleep_ms(ms);
}

// ---- timers and program state -------------------------------------------------------------
bool EventSetMillisecondTimer(int ms) {
  if (ms <= 0) {
    mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE);
    return false;
  }
  host().timer_ms = ms;
  mql::timer_reset();
  return true;
}
bool EventSetTimer(int seconds) {
  if (seconds <= 0) {
    mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE);
    return false;
  }
  return EventSetMillisecondTimer(seconds * 1000);
}
void EventKillTimer() { host().timer_ms = 0; }
bool IsStopped() { return host().stop_flag; }
void ExpertRemove() { host().remove_requested = true; }
bool IsDllsAllowed() { return host().dll_allowed; }
bool IsTradeAllowed() { return host().trade_allowed; }
bool IsTradeAllowed(const string&, datetime) { return host().trade_allowed; }
bool IsExpertEnabled() { return host().trade_allowed; }
bool IsConnected() { return host().connected; }
bool IsTesting() { return false; }
bool IsOptimization() { return false; }
bool IsVisualMode() { return false; }
bool IsDemo() { return true; }
// Busy while a `fail_next` window of error 146 (another EA holds the trade context) lasts.
bool IsTradeContextBusy() { return mql::broker().failing_now() == 146; }
bool IsLibrariesAllowed() { return true; }
// One chart per host process: two hosts on one sandbox are two charts of one terminal.
long ChartID() { return 131000000000000000L + static_cast<long>(getpid()); }
void WindowRedraw() {}
void ChartRedraw(long) {}
int ObjectsDeleteAll(long, int, int) { return 0; }
int ObjectsDeleteAll(long, const string&, int, int) { return 0; }
string WindowExpertName() { return string(host().ea_name.c_str()); }
string TerminalPath() { return string(host().sandbox.c_str()); }
string TerminalName() { return string("MetaTrader 4"); }
string TerminalCompany() { return string("MetaQuotes Software Corp."); }
int UninitializeReason() { return host().uninit_reason; }

long TerminalInfoInteger(ENUM_TERMINAL_INFO_INTEGER id) {
  switch (id) {
    case TERMINAL_BUILD: return 1420;
    case TERMINAL_CONNECTED: return host().connected;
    case TERMINAL_DLLS_ALLOWED: return host().dll_allowed;
    case TERMINAL_TRADE_ALLOWED: return host().trade_allowed;
    case TERMINAL_CODEPAGE: return 1252;
    case TERMINAL_MAXBARS: return 65000;
    case TERMINAL_CPU_CORES: return sysconf(_SC_NPROCESSORS_ONLN);
    case TERMINAL_X64: return 0;
    case TERMINAL_PING_LAST: return 20000;
    case TERMINAL_SCREEN_DPI: return 96;
    default: return 0;
  }
}
string TerminalInfoString(ENUM_TERMINAL_INFO_STRING id) {
  switch (id) {
    case TERMINAL_COMPANY: return TerminalCompany();
    case TERMINAL_NAME: return TerminalName();
    case TERMINAL_PATH: return string(host().sandbox.c_str());
    case TERMINAL_DATA_PATH:
      return string((host().data_path.empty() ? host().sandbox : host().data_path).c_str());
    case TERMINAL_COMMONDATA_PATH: return string((host().sandbox + "/../Common").c_str());
    case TERMINAL_LANGUAGE: return string("English");
  }
  return string();
}
long MQLInfoInteger(ENUM_MQL_INFO_INTEGER id) {
  switch (id) {
    case MQL_PROGRAM_TYPE: return PROGRAM_EXPERT;
    case MQL_DLLS_ALLOWED: return host().dll_allowed;
    case MQL_TRADE_ALLOWED: return host().trade_allowed;
    default: return 0;
  }
}
string MQLInfoString(ENUM_MQL_INFO_STRING id) {
  if (id == MQL_PROGRAM_NAME) return string(host().ea_name.c_str());
  return string(host().ea_path.c_str());
}

}  // namespace mql4api
