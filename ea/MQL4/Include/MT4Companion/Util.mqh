//+------------------------------------------------------------------+
//| Util.mqh: clock, time conversion, string helpers, logging.       |
//| Part of the MT4 Companion EA. Pure MQL4.                         |
//+------------------------------------------------------------------+
#property strict

//--- monotonic milliseconds built from GetTickCount() (wraps every 49.7 days)
uint  g_util_last_tick = 0;
long  g_util_tick_base = 0;
bool  g_util_tick_init = false;

long NowMs()
  {
   uint t = GetTickCount();
   if(!g_util_tick_init)
     {
      g_util_tick_init = true;
      g_util_last_tick = t;
     }
   if(t < g_util_last_tick)
      g_util_tick_base += 4294967296;   // GetTickCount wrapped around
   g_util_last_tick = t;
   return g_util_tick_base + (long)t;
  }

//--- logging: everything goes to the Experts journal with one prefix
string g_last_error = "";

void Log(string msg)
  {
   Print("MT4Companion: ", msg);
  }

void LogError(string msg)
  {
   g_last_error = msg;
   Print("MT4Companion ERROR: ", msg);
  }

//--- random numbers (MathRand gives 0..32767)
void RandomSeed()
  {
   MathSrand((int)(GetTickCount() ^ (uint)TimeLocal()));
  }

int RandomByte()
  {
   return (MathRand() >> 3) & 0xFF;
  }

//--- strings ---------------------------------------------------------
bool IsSpaceChar(ushort c)
  {
   return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
  }

string Trim(string s)
  {
   int n = StringLen(s);
   int a = 0;
   while(a < n && IsSpaceChar(StringGetCharacter(s, a)))
      a++;
   int b = n - 1;
   while(b >= a && IsSpaceChar(StringGetCharacter(s, b)))
      b--;
   if(b < a)
      return "";
   return StringSubstr(s, a, b - a + 1);
  }

string ToLowerAscii(string s)
  {
   string r = s;
   int n = StringLen(r);
   for(int i = 0; i < n; i++)
     {
      ushort c = StringGetCharacter(r, i);
      if(c >= 'A' && c <= 'Z')
         StringSetCharacter(r, i, (ushort)(c + 32));
     }
   return r;
  }

bool StartsWith(string s, string prefix)
  {
   int n = StringLen(prefix);
   if(n == 0)
      return true;
   if(StringLen(s) < n)
      return false;
   return StringSubstr(s, 0, n) == prefix;
  }

bool ParseIntStrict(string s, long &out)
  {
   s = Trim(s);
   int n = StringLen(s);
   if(n == 0 || n > 18)
      return false;
   int i = 0;
   if(StringGetCharacter(s, 0) == '-')
      i = 1;
   if(i >= n)
      return false;
   for(int k = i; k < n; k++)
     {
      ushort c = StringGetCharacter(s, k);
      if(c < '0' || c > '9')
         return false;
     }
   out = StringToInteger(s);
   return true;
  }

//--- time --------------------------------------------------------------
// Server time -> UTC: MT4 has no server time zone API, so the offset is
// TimeCurrent() - TimeGMT() rounded to 15 minutes. TimeCurrent() is the time of
// the last quote: on a weekend or before the first tick it can be hours or days
// old, so a sample is taken only when TimeCurrent() has moved since the previous
// timer tick (a quote just came: it is the server's time now). Until then the
// offset is unknown (or the last good one, saved per trade server): times go out
// as null rather than wrong, hello says so, and expirations are refused.
int      g_srv_offset = 0;          // seconds, server minus UTC
bool     g_srv_offset_known = false;
datetime g_srv_last_current = 0;
bool     g_srv_offset_dirty = false;   // measured, not saved yet

int RoundTo15Min(long seconds)
  {
   double q = (double)seconds / 900.0;
   return (int)(MathRound(q) * 900.0);
  }

void ServerOffsetUpdate()
  {
   datetime cur = TimeCurrent();
   if(g_srv_last_current != 0 && cur != g_srv_last_current)
     {
      int off = RoundTo15Min((long)cur - (long)TimeGMT());
      if(!g_srv_offset_known || off != g_srv_offset)
        {
         g_srv_offset = off;
         g_srv_offset_known = true;
         g_srv_offset_dirty = true;
        }
     }
   g_srv_last_current = cur;
  }

datetime ServerToUtc(datetime t)
  {
   if(t <= 0 || !g_srv_offset_known)
      return 0;   // sent as null: no time beats a wrong one
   return (datetime)((long)t - g_srv_offset);
  }

datetime UtcToServer(datetime t)
  {
   if(t <= 0)
      return 0;
   return (datetime)((long)t + g_srv_offset);
  }

string IsoUtc(datetime t)
  {
   MqlDateTime s;
   TimeToStruct(t, s);
   return StringFormat("%04d-%02d-%02dT%02d:%02d:%02dZ", s.year, s.mon, s.day, s.hour, s.min, s.sec);
  }

string IsoNow()
  {
   return IsoUtc(TimeGMT());
  }

int DigitAt(string s, int i)
  {
   ushort c = StringGetCharacter(s, i);
   if(c < '0' || c > '9')
      return -1;
   return (int)(c - '0');
  }

// "2024-05-01T12:30:00Z", "...T12:30:00.123+02:00", "... 12:30:00" (UTC assumed)
// -> UTC datetime. Returns false for anything else.
bool ParseIsoUtc(string s, datetime &out)
  {
   s = Trim(s);
   int n = StringLen(s);
   if(n < 19)
      return false;
   int pos[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
   int d[14];
   for(int i = 0; i < 14; i++)
     {
      d[i] = DigitAt(s, pos[i]);
      if(d[i] < 0)
         return false;
     }
   if(StringGetCharacter(s, 4) != '-' || StringGetCharacter(s, 7) != '-')
      return false;
   ushort sep = StringGetCharacter(s, 10);
   if(sep != 'T' && sep != 't' && sep != ' ')
      return false;
   if(StringGetCharacter(s, 13) != ':' || StringGetCharacter(s, 16) != ':')
      return false;
   int year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3];
   int mon = d[4] * 10 + d[5];
   int day = d[6] * 10 + d[7];
   int hour = d[8] * 10 + d[9];
   int min = d[10] * 10 + d[11];
   int sec = d[12] * 10 + d[13];
   if(year < 1970 || year > 3000 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
      return false;
   int i2 = 19;
   if(i2 < n && StringGetCharacter(s, i2) == '.')
     {
      i2++;
      if(i2 >= n || DigitAt(s, i2) < 0)
         return false;
      while(i2 < n && DigitAt(s, i2) >= 0)
         i2++;
     }
   long offset = 0;
   if(i2 < n)
     {
      ushort z = StringGetCharacter(s, i2);
      if(z == 'Z' || z == 'z')
        {
         i2++;
        }
      else
         if(z == '+' || z == '-')
           {
            if(i2 + 6 != n || StringGetCharacter(s, i2 + 3) != ':')
               return false;
            int h1 = DigitAt(s, i2 + 1), h2 = DigitAt(s, i2 + 2), m1 = DigitAt(s, i2 + 4), m2 = DigitAt(s, i2 + 5);
            if(h1 < 0 || h2 < 0 || m1 < 0 || m2 < 0)
               return false;
            offset = (long)((h1 * 10 + h2) * 3600 + (m1 * 10 + m2) * 60);
            if(z == '-')
               offset = -offset;
            i2 += 6;
           }
         else
            return false;
     }
   if(i2 != n)
      return false;
   MqlDateTime st;
   st.year = year;
   st.mon = mon;
   st.day = day;
   st.hour = hour;
   st.min = min;
   st.sec = (sec > 59 ? 59 : sec);
   st.day_of_week = 0;
   st.day_of_year = 0;
   datetime t = StructToTime(st);
   out = (datetime)((long)t - offset);
   return true;
  }
//+------------------------------------------------------------------+
