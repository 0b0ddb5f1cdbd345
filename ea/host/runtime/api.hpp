// Declarations of MQL4 builtins implemented in runtime/*.cpp, and MQL4's constants.
#pragma once

#include "format.hpp"
#include "pointer.hpp"

namespace mql4api {

// ---- errors ------------------------------------------------------------------------------
inline int& _LastError = mql::last_error;
int GetLastError();
void ResetLastError();
void SetUserError(ushort e);
string ErrorDescription(int code);
constexpr int ERR_NO_ERROR = 0, ERR_NO_RESULT = 1, ERR_COMMON_ERROR = 2,
              ERR_INVALID_TRADE_PARAMETERS = 3, ERR_SERVER_BUSY = 4, ERR_NO_CONNECTION = 6,
              ERR_TRADE_TIMEOUT = 128, ERR_INVALID_PRICE = 129, ERR_INVALID_STOPS = 130,
              ERR_INVALID_TRADE_VOLUME = 131, ERR_MARKET_CLOSED = 132, ERR_TRADE_DISABLED = 133,
              ERR_NOT_ENOUGH_MONEY = 134, ERR_PRICE_CHANGED = 135, ERR_OFF_QUOTES = 136,
              ERR_BROKER_BUSY = 137, ERR_REQUOTE = 138, ERR_ORDER_LOCKED = 139,
              ERR_TOO_MANY_REQUESTS = 141, ERR_TRADE_MODIFY_DENIED = 145,
              ERR_TRADE_CONTEXT_BUSY = 146, ERR_TRADE_EXPIRATION_DENIED = 147,
              ERR_TRADE_TOO_MANY_ORDERS = 148, ERR_NO_MQLERROR = 4000,
              ERR_ARRAY_INDEX_OUT_OF_RANGE = 4002, ERR_INVALID_FUNCTION_PARAMVALUE = 4051,
              ERR_STRING_FUNCTION_INTERNAL = 4052, ERR_END_OF_FILE = 4099,
              ERR_SOME_FILE_ERROR = 4100, ERR_WRONG_FILE_NAME = 4101,
              ERR_TOO_MANY_OPENED_FILES = 4102, ERR_CANNOT_OPEN_FILE = 4103,
              ERR_INCOMPATIBLE_FILEACCESS = 4104, ERR_NO_ORDER_SELECTED = 4105,
              ERR_UNKNOWN_SYMBOL = 4106, ERR_INVALID_PRICE_PARAM = 4107,
              ERR_INVALID_TICKET = 4108, ERR_TRADE_NOT_ALLOWED = 4109,
              ERR_LONGS_NOT_ALLOWED = 4110, ERR_SHORTS_NOT_ALLOWED = 4111,
              ERR_FILE_CANNOT_OPEN = 5004, ERR_FILE_CANNOT_DELETE = 5006,
              ERR_FILE_INVALID_HANDLE = 5007, ERR_FILE_WRONG_HANDLE = 5008,
              ERR_FILE_NOT_TOWRITE = 5009, ERR_FILE_NOT_TOREAD = 5010,
              ERR_FILE_NOT_BIN = 5011, ERR_FILE_NOT_TXT = 5012, ERR_FILE_WRITE_ERROR = 5016,
              ERR_FILE_IS_DIRECTORY = 5018, ERR_FILE_NOT_EXIST = 5019,
              ERR_FILE_CANNOT_REWRITE = 5020, ERR_FILE_WRONG_DIRECTORYNAME = 5021,
              ERR_WRONG_FILENAME = 5002, ERR_USER_ERROR_FIRST = 65536;

// ---- misc constants ----------------------------------------------------------------------
constexpr int EMPTY = -1;
constexpr int EMPTY_VALUE = 0x7FFFFFFF;
constexpr int INVALID_HANDLE = -1;
constexpr color CLR_NONE = 0xFFFFFFFF, clrNONE = 0xFFFFFFFF, clrRed = 0x0000FF,
                clrGreen = 0x008000, clrBlue = 0xFF0000, clrWhite = 0xFFFFFF, clrBlack = 0,
                clrYellow = 0x00FFFF, clrOrange = 0x00A5FF, clrGray = 0x808080,
                clrLime = 0x00FF00, Red = 0x0000FF, Green = 0x008000, Blue = 0xFF0000,
                White = 0xFFFFFF, Black = 0, Yellow = 0x00FFFF;
constexpr int INIT_SUCCEEDED = 0, INIT_FAILED = 1, INIT_PARAMETERS_INCORRECT = 2,
              INIT_AGENT_NOT_SUITABLE = 3;
constexpr int REASON_PROGRAM = 0, REASON_REMOVE = 1, REASON_RECOMPILE = 2,
              REASON_CHARTCHANGE = 3, REASON_CHARTCLOSE = 4, REASON_PARAMETERS = 5,
              REASON_ACCOUNT = 6, REASON_TEMPLATE = 7, REASON_INITFAILED = 8, REASON_CLOSE = 9;
constexpr int CP_ACP = 0, CP_OEMCP = 1, CP_MACCP = 2, CP_THREAD_ACP = 3, CP_SYMBOL = 42,
              CP_UTF7 = 65000, CP_UTF8 = 65001;
constexpr int TIME_DATE = 1, TIME_MINUTES = 2, TIME_SECONDS = 4;
constexpr int PERIOD_CURRENT = 0, PERIOD_M1 = 1, PERIOD_M5 = 5, PERIOD_M15 = 15,
              PERIOD_M30 = 30, PERIOD_H1 = 60, PERIOD_H4 = 240, PERIOD_D1 = 1440,
              PERIOD_W1 = 10080, PERIOD_MN1 = 43200;
// C headers define some of these as macros with the same values; keep theirs then.
#ifndef CHAR_MIN
constexpr int CHAR_MIN = -128;
#endif
#ifndef CHAR_MAX
constexpr int CHAR_MAX = 127;
#endif
#ifndef UCHAR_MAX
constexpr int UCHAR_MAX = 255;
#endif
#ifndef SHORT_MIN
constexpr int SHORT_MIN = -32768;
#endif
#ifndef SHORT_MAX
constexpr int SHORT_MAX = 32767;
#endif
#ifndef USHORT_MAX
constexpr int USHORT_MAX = 65535;
#endif
#ifndef INT_MIN
constexpr int INT_MIN = (-2147483647 - 1);
#endif
#ifndef INT_MAX
constexpr int INT_MAX = 2147483647;
#endif
#ifndef UINT_MAX
constexpr uint UINT_MAX = 0xFFFFFFFFu;
#endif
#ifndef LONG_MAX
constexpr long LONG_MAX = 0x7FFFFFFFFFFFFFFFL;
#endif
#ifndef LONG_MIN
constexpr long LONG_MIN = (-0x7FFFFFFFFFFFFFFFL - 1);
#endif
#ifndef ULONG_MAX
constexpr ulong ULONG_MAX = 0xFFFFFFFFFFFFFFFFul;
#endif
#ifndef DBL_MAX
constexpr double DBL_MAX = 1.7976931348623158e+308;
#endif
#ifndef DBL_MIN
constexpr double DBL_MIN = 2.2250738585072014e-308;
#endif
#ifndef DBL_EPSILON
constexpr double DBL_EPSILON = 2.2204460492503131e-016;
#endif
#ifndef M_PI
constexpr double M_PI = 3.14159265358979323846;
#endif
#ifndef M_E
constexpr double M_E = 2.71828182845904523536;
#endif
constexpr int CHARTS_MAX = 100;

// ---- strings / conversion ------------------------------------------------------------------
int StringLen(const string& s);
string StringSubstr(const string& s, int start, int length = -1);
int StringFind(const string& s, const string& match, int start = 0);
int StringReplace(string& s, const string& find, const string& replacement);
ushort StringGetCharacter(const string& s, int pos);
ushort StringGetChar(const string& s, int pos);
bool StringSetCharacter(string& s, int pos, ushort ch);
string StringSetChar(const string& s, int pos, ushort ch);
long StringToInteger(const string& s);
int StrToInteger(const string& s);
double StringToDouble(const string& s);
double StrToDouble(const string& s);
string IntegerToString(long v, int str_len = 0, ushort fill = ' ');
string DoubleToString(double v, int digits = 8);
string DoubleToStr(double v, int digits);
string StringTrimLeft(const string& s);
string StringTrimRight(const string& s);
bool StringToUpper(string& s);
bool StringToLower(string& s);
int StringSplit(const string& s, ushort sep, Array<string>& result);
string ShortToString(ushort c);
string CharToString(uchar c);
string CharToStr(uchar c);
int StringCompare(const string& a, const string& b, bool case_sensitive = true);
bool StringInit(string& s, int len = 0, ushort ch = 0);
int StringFill(string& s, ushort ch);
bool StringAdd(string& s, const string& add);
int StringBufferLen(const string& s);
int StringToCharArray(const string& s, Array<uchar>& a, int start = 0, int count = -1,
                      uint codepage = CP_ACP);
int StringToCharArray(const string& s, Array<char>& a, int start = 0, int count = -1,
                      uint codepage = CP_ACP);
string CharArrayToString(const Array<uchar>& a, int start = 0, int count = -1,
                         uint codepage = CP_ACP);
string CharArrayToString(const Array<char>& a, int start = 0, int count = -1,
                         uint codepage = CP_ACP);
int StringToShortArray(const string& s, Array<ushort>& a, int start = 0, int count = -1);
string ShortArrayToString(const Array<ushort>& a, int start = 0, int count = -1);
double NormalizeDouble(double v, int digits);

// ---- math ---------------------------------------------------------------------------------
template <class T>
T MathAbs(T v) { return v < 0 ? -v : v; }
template <class A, class B>
auto MathMax(A a, B b) -> std::common_type_t<A, B> { return a > b ? a : b; }
template <class A, class B>
auto MathMin(A a, B b) -> std::common_type_t<A, B> { return a < b ? a : b; }
double MathPow(double b, double e);
double MathRound(double v);
double MathFloor(double v);
double MathCeil(double v);
double MathSqrt(double v);
double MathLog(double v);
double MathLog10(double v);
double MathExp(double v);
double MathMod(double a, double b);
double MathSin(double v);
double MathCos(double v);
double MathTan(double v);
double MathArctan(double v);
double MathArcsin(double v);
double MathArccos(double v);
bool MathIsValidNumber(double v);
int MathRand();
void MathSrand(int seed);
void srand(int seed);

// ---- time ---------------------------------------------------------------------------------
struct MqlDateTime {
  int year, mon, day, hour, min, sec, day_of_week, day_of_year;
};
datetime TimeCurrent();
datetime TimeCurrent(MqlDateTime& dt);
datetime TimeLocal();
datetime TimeLocal(MqlDateTime& dt);
datetime TimeGMT();
datetime TimeGMT(MqlDateTime& dt);
int TimeGMTOffset();
int TimeDaylightSavings();
uint GetTickCount();
ulong GetMicrosecondCount();
string TimeToString(datetime t, int mode = TIME_DATE | TIME_MINUTES);
string TimeToStr(datetime t, int mode = TIME_DATE | TIME_MINUTES);
datetime StringToTime(const string& s);
datetime StrToTime(const string& s);
bool TimeToStruct(datetime t, MqlDateTime& dt);
datetime StructToTime(MqlDateTime& dt);
int TimeYear(datetime t);
int TimeMonth(datetime t);
int TimeDay(datetime t);
int TimeHour(datetime t);
int TimeMinute(datetime t);
int TimeSeconds(datetime t);
int TimeDayOfWeek(datetime t);
int TimeDayOfYear(datetime t);
int Year();
int Month();
int Day();
int Hour();
int Minute();
int Seconds();
int DayOfWeek();
int DayOfYear();
void Sleep(int ms);

// ---- program / terminal state ----------------------------------------------------------------
bool EventSetMillisecondTimer(int ms);
bool EventSetTimer(int seconds);
void EventKillTimer();
bool IsStopped();
inline bool& _StopFlag = mql::stop_flag_ref();  // same flag as IsStopped()
void ExpertRemove();
bool IsDllsAllowed();
bool IsTradeAllowed();
bool IsTradeAllowed(const string& symbol, datetime t);
bool IsExpertEnabled();
bool IsConnected();
bool IsTesting();
bool IsOptimization();
bool IsVisualMode();
bool IsDemo();
bool IsTradeContextBusy();
bool IsLibrariesAllowed();
bool RefreshRates();
long ChartID();
void WindowRedraw();
void ChartRedraw(long chart_id = 0);
int ObjectsDeleteAll(long chart_id = 0, int sub_window = -1, int type = -1);
int ObjectsDeleteAll(long chart_id, const string& prefix, int sub_window = -1, int type = -1);
string WindowExpertName();
string TerminalPath();
string TerminalName();
string TerminalCompany();
int UninitializeReason();

enum ENUM_TERMINAL_INFO_INTEGER {
  TERMINAL_BUILD = 5, TERMINAL_CONNECTED = 6, TERMINAL_DLLS_ALLOWED = 7,
  TERMINAL_TRADE_ALLOWED = 8, TERMINAL_EMAIL_ENABLED = 9, TERMINAL_FTP_ENABLED = 10,
  TERMINAL_MAXBARS = 11, TERMINAL_CODEPAGE = 12, TERMINAL_CPU_CORES = 21,
  TERMINAL_DISK_SPACE = 23, TERMINAL_MEMORY_PHYSICAL = 14, TERMINAL_MEMORY_TOTAL = 15,
  TERMINAL_MEMORY_AVAILABLE = 16, TERMINAL_MEMORY_USED = 17, TERMINAL_X64 = 18,
  TERMINAL_NOTIFICATIONS_ENABLED = 26, TERMINAL_PING_LAST = 27, TERMINAL_SCREEN_DPI = 28
};
enum ENUM_TERMINAL_INFO_STRING {
  TERMINAL_COMPANY = 0, TERMINAL_NAME = 1, TERMINAL_PATH = 2, TERMINAL_DATA_PATH = 3,
  TERMINAL_COMMONDATA_PATH = 4, TERMINAL_LANGUAGE = 13
};
enum ENUM_MQL_INFO_INTEGER {
  MQL_PROGRAM_TYPE = 2, MQL_DLLS_ALLOWED = 3, MQL_TRADE_ALLOWED = 4, MQL_DEBUG = 5,
  MQL_TESTER = 6, MQL_OPTIMIZATION = 7, MQL_VISUAL_MODE = 8, MQL_LICENSE_TYPE = 9,
  MQL_PROFILER = 10, MQL_FRAME_MODE = 12
};
enum ENUM_MQL_INFO_STRING { MQL_PROGRAM_NAME = 0, MQL_PROGRAM_PATH = 1 };
constexpr int PROGRAM_SCRIPT = 1, PROGRAM_EXPERT = 2, PROGRAM_INDICATOR = 3;
long TerminalInfoInteger(ENUM_TERMINAL_INFO_INTEGER id);
string TerminalInfoString(ENUM_TERMINAL_INFO_STRING id);
long MQLInfoInteger(ENUM_MQL_INFO_INTEGER id);
string MQLInfoString(ENUM_MQL_INFO_STRING id);

// ---- crypt --------------------------------------------------------------------------------
enum ENUM_CRYPT_METHOD {
  CRYPT_BASE64 = 0, CRYPT_AES128 = 1, CRYPT_AES256 = 2, CRYPT_DES = 3, CRYPT_HASH_SHA1 = 4,
  CRYPT_HASH_SHA256 = 5, CRYPT_HASH_MD5 = 6, CRYPT_ARCH_ZIP = 7
};
int CryptEncode(ENUM_CRYPT_METHOD method, const Array<uchar>& data, const Array<uchar>& key,
                Array<uchar>& result);
int CryptDecode(ENUM_CRYPT_METHOD method, const Array<uchar>& data, const Array<uchar>& key,
                Array<uchar>& result);

// ---- files --------------------------------------------------------------------------------
constexpr int FILE_READ = 1, FILE_WRITE = 2, FILE_BIN = 4, FILE_CSV = 8, FILE_TXT = 16,
              FILE_ANSI = 32, FILE_UNICODE = 64, FILE_SHARE_READ = 128,
              FILE_SHARE_WRITE = 256, FILE_REWRITE = 512, FILE_COMMON = 4096;
#ifndef SEEK_SET
constexpr int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;
#endif
int FileOpen(const string& name, int flags, ushort delimiter = '\t', uint codepage = CP_ACP);
void FileClose(int h);
bool FileIsExist(const string& name, int common_flag = 0);
bool FileDelete(const string& name, int common_flag = 0);
bool FileMove(const string& src, int common_flag, const string& dst, int mode_flags);
bool FileCopy(const string& src, int common_flag, const string& dst, int mode_flags);
bool FolderCreate(const string& name, int common_flag = 0);
bool FolderDelete(const string& name, int common_flag = 0);
bool FolderClean(const string& name, int common_flag = 0);
string FileReadString(int h, int length = -1);
uint FileWriteString(int h, const string& s, int length = -1);
bool FileIsEnding(int h);
bool FileIsLineEnding(int h);
bool FileSeek(int h, long offset, int origin);
ulong FileSize(int h);
ulong FileTell(int h);
void FileFlush(int h);
double FileReadNumber(int h);
long FileReadLong(int h);
int FileReadInteger(int h, int size = 4);
double FileReadDouble(int h);
bool FileReadBool(int h);
datetime FileReadDatetime(int h);
uint FileWriteInteger(int h, int v, int size = 4);
uint FileWriteLong(int h, long v);
uint FileWriteDouble(int h, double v);
uint mql_file_write_fields(int h, const std::vector<string>& fields);
uint mql_file_write_bytes(int h, const void* p, size_t n);
uint mql_file_read_bytes(int h, void* p, size_t n);
template <class... A>
uint FileWrite(int h, const A&... a) {
  return mql_file_write_fields(h, std::vector<string>{string(mql::concat(a))...});
}
template <class T>
uint FileWriteArray(int h, const Array<T>& a, int start = 0, int count = WHOLE_ARRAY) {
  static_assert(std::is_arithmetic_v<T>, "FileWriteArray: only arrays of simple types");
  if (start < 0 || start > a.size()) return 0;
  int n = (count < 0 || start + count > a.size()) ? a.size() - start : count;
  if (n <= 0) return 0;
  return mql_file_write_bytes(h, a.data() + start, size_t(n) * sizeof(T)) / sizeof(T);
}
template <class T>
uint FileReadArray(int h, Array<T>& a, int start = 0, int count = WHOLE_ARRAY) {
  static_assert(std::is_arithmetic_v<T>, "FileReadArray: only arrays of simple types");
  if (start < 0) return 0;
  if (count < 0) {
    count = int((FileSize(h) - FileTell(h)) / sizeof(T));
  }
  if (a.size() < start + count) {
    if (a.fixed) count = a.size() - start;
    else a.resize(start + count);
  }
  if (count <= 0) return 0;
  return mql_file_read_bytes(h, a.data() + start, size_t(count) * sizeof(T)) / sizeof(T);
}

}  // namespace mql4api
