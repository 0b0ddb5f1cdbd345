//+------------------------------------------------------------------+
//| Test EA: language features beyond basics (classes, templates,    |
//| overloading, switch fall-through, globals scope operator).       |
//+------------------------------------------------------------------+
#property strict

int g_total = 0;

int Twice(int x) { return x * 2; }
double Twice(double x) { return x * 2.5; }
string Twice(string s) { return s + s; }

template<typename T>
T Largest(const T &arr[])
  {
   T best = arr[0];
   for(int i = 1; i < ArraySize(arr); i++)
      if(arr[i] > best) best = arr[i];
   return best;
  }

template<typename T>
class Box
  {
private:
   T m_items[];
public:
   int Add(T v)
     {
      int n = ArraySize(m_items);
      ArrayResize(m_items, n + 1);
      m_items[n] = v;
      return n + 1;
     }
   T Get(int i) const { return m_items[i]; }
   int Count() const { return ArraySize(m_items); }
  };

class Counter
  {
public:
   static int        s_created;
private:
   int  m_value;
   string m_name;
public:
         Counter(string name) : m_value(0) { m_name = name; s_created++; }
        ~Counter() { g_total += m_value; }
   void  Inc(int by = 1) { m_value += by; ::g_total += 0; }
   int   Value() const { return this.m_value; }
   string Describe() { return m_name + "=" + IntegerToString(m_value) + Suffix(); }
   bool  operator==(const Counter &o) const { return m_value == o.m_value; }
  };

string Suffix() { return "!"; }
int Counter::s_created = 0;

struct Quote
  {
   string sym;
   double bid;
   double Mid(double ask) { return (bid + ask) / 2.0; }
  };

void Fill(Quote &qs[], int n)
  {
   ArrayResize(qs, n);
   for(int i = 0, j = n; i < n; i++, j--)
     {
      qs[i].sym = "S" + (string)i;
      qs[i].bid = j;
     }
  }

string Classify(int v)
  {
   string out = "";
   switch(v)
     {
      case 1:
         out += "one,";
      case 2:
         string two = "two";
         out += two;
         break;
      case 3:
      case 4:
         out = "three-four";
         break;
      default:
         out = "other";
     }
   return out;
  }

enum Side { SIDE_BUY, SIDE_SELL = 5, SIDE_ANY };

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
const string NAMES[] = {"zero", "one", "two"};

Quote MakeQuote(string sym, double bid)
  {
   Quote q;
   q.sym = sym;
   q.bid = bid;
   return q;
  }

int SumRows(int &m[][3])
  {
   int total = 0;
   for(int i = 0; i < ArrayRange(m, 0); i++)
      for(int j = 0; j < 3; j++)
         total += m[i][j];
   return total;
  }

string Cached(int k)
  {
   static string cache[];
   if(ArraySize(cache) <= k)
      ArrayResize(cache, k + 1);
   if(cache[k] == "")
      cache[k] = "v" + IntegerToString(k);
   return cache[k];
  }

int Edge()
  {
   int bad = 0;
   int a[4] = {4, 3, 2, 1};
   int b[2] = {1, 3};
   if(a[b[1]] != 1) bad++;
   int m[][3];
   ArrayResize(m, 2);
   m[1][2] = 5;
   m[1][2]++;
   if(SumRows(m) != 6) bad++;
   int i = 3, n = 0;
   while(i-- > 0) n++;
   do { n += 10; } while(n < 30);
   for(;;) { n++; break; }
   if(n != 34) bad++;
   double d = (double)7 / 2;
   int q = 9;
   q /= 2;
   q %= 3;
   if(d != 3.5 || q != 1) bad++;
   if(MAX2(3, 8) != 8 || ~0x0F & 0xFF != 0xF0 || (1 << 4) != 16) bad++;
   ulong big = 0xFFFFFFFFFFFFFFFF;
   if(big != ULONG_MAX) bad++;
   if(NAMES[2] != "two" || MakeQuote("X", 1.5).bid != 1.5) bad++;
   if(Cached(2) != "v2" || Cached(2) != "v2") bad++;
   string pct = StringFormat("%.2f%%", 12.345);
   if(pct != "12.35%" && pct != "12.34%") bad++;
   int c = 'B';
   switch(c)
     {
      case 'A': bad++; break;
      case 'B': break;
      default: bad++;
     }
   string s = (n > 100) ? "big" : (n > 10 ? "mid" : "small");
   if(s != "mid") bad++;
   Quote qs[3];
   qs[1].sym = "Q";
   if(qs[1].sym != "Q" || qs[0].bid != 0.0 || ArraySize(qs) != 3) bad++;
   return bad;
  }

void Check(bool ok, string what)
  {
   Print(ok ? "OK " : "FAIL ", what);
  }

int OnInit()
  {
   Check(Twice(2) == 4 && Twice(2.0) == 5.0 && Twice("ab") == "abab", "overloads");
   int ints[] = {3, 9, 4};
   double dbls[] = {1.5, -2.0};
   Check(Largest(ints) == 9 && Largest(dbls) == 1.5, "function template");
   Box<string> box;
   box.Add("a");
   Check(box.Add("b") == 2 && box.Get(1) == "b" && box.Count() == 2, "class template");
     {
      Counter c("hits");
      c.Inc();
      c.Inc(4);
      Counter d("other");
      d.Inc(5);
      Check(c.Value() == 5 && c.Describe() == "hits=5!" && c == d, "class");
     }
   Check(g_total == 10, "destructors ran " + IntegerToString(g_total));
   Check(Counter::s_created == 2, "static member");
   Quote qs[];
   Fill(qs, 3);
   Check(qs[2].sym == "S2" && qs[0].bid == 3 && qs[0].Mid(5) == 4.0, "struct array param");
   Check(Classify(1) == "one,two" && Classify(2) == "two" && Classify(4) == "three-four"
         && Classify(9) == "other", "switch fall-through");
   string s = "n=";
   s += 5;
   s += 0.25;
   Check(s == "n=50.25", "string += number " + s);
   Check(__FUNCTION__ == "OnInit", "__FUNCTION__");
   int x = 7;
   int y = (x > 5) ? x % 4 : -1;
   Check(y == 3 && 17 / 5 == 3 && -7 % 3 == -1 && 7.0 / 2 == 3.5, "arithmetic");
   uint big = 0xFFFFFFFF;
   Check(big + 1 == 0 && (int)big == -1, "uint wraps");
   long l = 1;
   l <<= 40;
   Check(l == 1099511627776, "long is 64-bit");
   Check(StringFormat("%s|%5.2f|%03d|%c", "x", 3.14159, 7, 'A') == "x| 3.14|007|A", "format");
   PrintFormat("formatted %d-%s", 12, "ok");
   datetime t = D'2024.03.05 10:20:30';
   MqlDateTime dt;
   TimeToStruct(t, dt);
   Check(dt.year == 2024 && dt.mon == 3 && dt.day == 5 && dt.hour == 10 && dt.day_of_week == 2,
         "TimeToStruct");
   Check(TimeToString(t, TIME_DATE | TIME_SECONDS) == "2024.03.05 10:20:30" && StructToTime(dt) == t,
         "TimeToString");
   Check(StringToTime("2024.03.05 10:20") == t - 30, "StringToTime");
   Check(NormalizeDouble(1.123456, 4) == 1.1235 && MathRound(2.5) == 3 && MathMax(2, 3.5) == 3.5,
         "math");
   Check(Edge() == 0, "edge cases " + IntegerToString(Edge()));
   Side sd = SIDE_SELL;
   Check(EnumToString(sd) == "SIDE_SELL" && EnumToString(SIDE_ANY) == "SIDE_ANY" && SIDE_ANY == 6,
         "EnumToString");
   float f = (float)0.1;
   Check(StringFormat("%s/%d", true, false) == "true/0" && (string)f == "0.1", "bool/float text");
   MathSrand(1);
   int r1 = MathRand();
   MathSrand(1);
   Check(MathRand() == r1 && r1 >= 0 && r1 < 32768, "rand");
   return(INIT_SUCCEEDED);
  }
