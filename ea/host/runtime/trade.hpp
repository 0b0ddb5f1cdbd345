// MQL4 market, account and order functions (implemented in trade_api.cpp on top of the
// simulated trade server in trade_server.cpp).
#pragma once

#include "api.hpp"

namespace mql4api {

// Predefined variables, refreshed before every event and by RefreshRates().
extern double Bid, Ask, Point, _Point;
extern int Digits, _Digits, _Period, Bars;
extern string _Symbol;

constexpr int OP_BUY = 0, OP_SELL = 1, OP_BUYLIMIT = 2, OP_SELLLIMIT = 3, OP_BUYSTOP = 4,
              OP_SELLSTOP = 5;
constexpr int SELECT_BY_POS = 0, SELECT_BY_TICKET = 1, MODE_TRADES = 0, MODE_HISTORY = 1;
constexpr int MODE_LOW = 1, MODE_HIGH = 2, MODE_TIME = 5, MODE_BID = 9, MODE_ASK = 10,
              MODE_POINT = 11, MODE_DIGITS = 12, MODE_SPREAD = 13, MODE_STOPLEVEL = 14,
              MODE_LOTSIZE = 15, MODE_TICKVALUE = 16, MODE_TICKSIZE = 17, MODE_SWAPLONG = 18,
              MODE_SWAPSHORT = 19, MODE_STARTING = 20, MODE_EXPIRATION = 21,
              MODE_TRADEALLOWED = 22, MODE_MINLOT = 23, MODE_LOTSTEP = 24, MODE_MAXLOT = 25,
              MODE_SWAPTYPE = 26, MODE_PROFITCALCMODE = 27, MODE_MARGINCALCMODE = 28,
              MODE_MARGININIT = 29, MODE_MARGINMAINTENANCE = 30, MODE_MARGINHEDGED = 31,
              MODE_MARGINREQUIRED = 32, MODE_FREEZELEVEL = 33, MODE_CLOSEBY_ALLOWED = 34;

string Symbol();
int Period();
double MarketInfo(const string& symbol, int mode);
bool SymbolSelect(const string& name, bool select);
int SymbolsTotal(bool selected);
string SymbolName(int pos, bool selected);

enum ENUM_SYMBOL_INFO_DOUBLE {
  SYMBOL_BID = 1, SYMBOL_ASK = 4, SYMBOL_POINT = 16, SYMBOL_TRADE_TICK_VALUE = 26,
  SYMBOL_TRADE_TICK_SIZE = 27, SYMBOL_TRADE_CONTRACT_SIZE = 28, SYMBOL_VOLUME_MIN = 34,
  SYMBOL_VOLUME_MAX = 35, SYMBOL_VOLUME_STEP = 36, SYMBOL_SWAP_LONG = 38,
  SYMBOL_SWAP_SHORT = 39, SYMBOL_MARGIN_INITIAL = 42, SYMBOL_LAST = 7
};
enum ENUM_SYMBOL_INFO_INTEGER {
  SYMBOL_SELECT = 0, SYMBOL_VISIBLE = 76, SYMBOL_DIGITS = 17, SYMBOL_SPREAD = 18,
  SYMBOL_SPREAD_FLOAT = 41, SYMBOL_TRADE_STOPS_LEVEL = 31, SYMBOL_TRADE_FREEZE_LEVEL = 32,
  SYMBOL_TRADE_MODE = 30, SYMBOL_TIME = 15, SYMBOL_TRADE_EXEMODE = 33
};
enum ENUM_SYMBOL_INFO_STRING {
  SYMBOL_CURRENCY_BASE = 22, SYMBOL_CURRENCY_PROFIT = 23, SYMBOL_CURRENCY_MARGIN = 24,
  SYMBOL_DESCRIPTION = 20, SYMBOL_PATH = 21
};
constexpr int SYMBOL_TRADE_EXECUTION_REQUEST = 0, SYMBOL_TRADE_EXECUTION_INSTANT = 1,
              SYMBOL_TRADE_EXECUTION_MARKET = 2, SYMBOL_TRADE_EXECUTION_EXCHANGE = 3;
constexpr int SYMBOL_TRADE_MODE_DISABLED = 0, SYMBOL_TRADE_MODE_LONGONLY = 1,
              SYMBOL_TRADE_MODE_SHORTONLY = 2, SYMBOL_TRADE_MODE_CLOSEONLY = 3,
              SYMBOL_TRADE_MODE_FULL = 4;
double SymbolInfoDouble(const string& name, ENUM_SYMBOL_INFO_DOUBLE prop);
long SymbolInfoInteger(const string& name, ENUM_SYMBOL_INFO_INTEGER prop);
string SymbolInfoString(const string& name, ENUM_SYMBOL_INFO_STRING prop);
bool SymbolInfoDouble(const string& name, ENUM_SYMBOL_INFO_DOUBLE prop, double& out);
bool SymbolInfoInteger(const string& name, ENUM_SYMBOL_INFO_INTEGER prop, long& out);
bool SymbolInfoString(const string& name, ENUM_SYMBOL_INFO_STRING prop, string& out);
struct MqlTick {
  datetime time;
  double bid, ask, last;
  ulong volume;
};
bool SymbolInfoTick(const string& name, MqlTick& tick);

enum ENUM_ACCOUNT_INFO_INTEGER {
  ACCOUNT_LOGIN = 0, ACCOUNT_TRADE_MODE = 32, ACCOUNT_LEVERAGE = 35, ACCOUNT_LIMIT_ORDERS = 47,
  ACCOUNT_MARGIN_SO_MODE = 44, ACCOUNT_TRADE_ALLOWED = 33, ACCOUNT_TRADE_EXPERT = 34
};
enum ENUM_ACCOUNT_INFO_DOUBLE {
  ACCOUNT_BALANCE = 37, ACCOUNT_CREDIT = 38, ACCOUNT_PROFIT = 39, ACCOUNT_EQUITY = 40,
  ACCOUNT_MARGIN = 41, ACCOUNT_MARGIN_FREE = 42, ACCOUNT_FREEMARGIN = 42,
  ACCOUNT_MARGIN_LEVEL = 43, ACCOUNT_MARGIN_SO_CALL = 45, ACCOUNT_MARGIN_SO_SO = 46
};
enum ENUM_ACCOUNT_INFO_STRING {
  ACCOUNT_NAME = 1, ACCOUNT_SERVER = 3, ACCOUNT_CURRENCY = 36, ACCOUNT_COMPANY = 2
};
constexpr int ACCOUNT_TRADE_MODE_DEMO = 0, ACCOUNT_TRADE_MODE_CONTEST = 1,
              ACCOUNT_TRADE_MODE_REAL = 2;
long AccountInfoInteger(ENUM_ACCOUNT_INFO_INTEGER prop);
double AccountInfoDouble(ENUM_ACCOUNT_INFO_DOUBLE prop);
string AccountInfoString(ENUM_ACCOUNT_INFO_STRING prop);
int AccountNumber();
double AccountBalance();
double AccountEquity();
double AccountMargin();
double AccountFreeMargin();
double AccountProfit();
double AccountCredit();
string AccountCurrency();
string AccountCompany();
string AccountServer();
string AccountName();
int AccountLeverage();
int AccountStopoutLevel();
int AccountStopoutMode();
double AccountFreeMarginCheck(const string& symbol, int cmd, double volume);

int OrdersTotal();
int OrdersHistoryTotal();
bool OrderSelect(int index, int select, int pool = MODE_TRADES);
int OrderTicket();
string OrderSymbol();
int OrderType();
double OrderLots();
double OrderOpenPrice();
datetime OrderOpenTime();
double OrderClosePrice();
datetime OrderCloseTime();
double OrderStopLoss();
double OrderTakeProfit();
double OrderProfit();
double OrderSwap();
double OrderCommission();
int OrderMagicNumber();
string OrderComment();
datetime OrderExpiration();
void OrderPrint();
int OrderSend(const string& symbol, int cmd, double volume, double price, int slippage,
              double stoploss, double takeprofit, const string& comment = NULL_, int magic = 0,
              datetime expiration = 0, color arrow_color = clrNONE);
bool OrderClose(int ticket, double lots, double price, int slippage,
                color arrow_color = clrNONE);
bool OrderCloseBy(int ticket, int opposite, color arrow_color = clrNONE);
bool OrderModify(int ticket, double price, double stoploss, double takeprofit,
                 datetime expiration, color arrow_color = clrNONE);
bool OrderDelete(int ticket, color arrow_color = clrNONE);

}  // namespace mql4api
