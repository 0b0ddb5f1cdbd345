//+------------------------------------------------------------------+
//| Json.mqh: a small JSON writer and a strict reader.               |
//| The reader parses one document into a flat table of paths        |
//| ("data.symbols.0") so commands can be read with typed getters.   |
//| It rejects anything that is not RFC 8259 JSON (bad escapes,      |
//| trailing garbage, leading zeros, NaN...) and nests at most 32.   |
//+------------------------------------------------------------------+
#property strict

#define J_NULL   0
#define J_BOOL   1
#define J_NUM    2
#define J_STR    3
#define J_ARR    4
#define J_OBJ    5
#define J_MAX_DEPTH 32
#define J_MAX_ENTRIES 20000

//=== writer ===========================================================
string JsonEscape(string s)
  {
   int n = StringLen(s);
   bool plain = true;
   for(int i = 0; i < n; i++)
     {
      ushort c = StringGetCharacter(s, i);
      if(c < 0x20 || c == '"' || c == '\\')
        {
         plain = false;
         break;
        }
     }
   if(plain)
      return s;
   string r = "";
   for(int k = 0; k < n; k++)
     {
      ushort ch = StringGetCharacter(s, k);
      if(ch == '"')
         r += "\\\"";
      else
         if(ch == '\\')
            r += "\\\\";
         else
            if(ch == '\n')
               r += "\\n";
            else
               if(ch == '\r')
                  r += "\\r";
               else
                  if(ch == '\t')
                     r += "\\t";
                  else
                     if(ch < 0x20)
                        r += StringFormat("\\u%04x", ch);
                     else
                        r += ShortToString(ch);
     }
   return r;
  }

string JQ(string s)
  {
   return "\"" + JsonEscape(s) + "\"";
  }

// A number with at most `digits` decimals, trailing zeros dropped ("0.1", "12").
string JNum(double v, int digits)
  {
   if(!MathIsValidNumber(v))
      return "0";
   if(digits < 0)
      digits = 0;
   if(digits > 8)
      digits = 8;
   string s = DoubleToString(v, digits);
   if(digits > 0 && StringFind(s, ".") >= 0)
     {
      int n = StringLen(s);
      while(n > 0 && StringGetCharacter(s, n - 1) == '0')
         n--;
      if(n > 0 && StringGetCharacter(s, n - 1) == '.')
         n--;
      s = StringSubstr(s, 0, n);
     }
   if(s == "-0" || s == "")
      s = "0";
   return s;
  }

string JBool(bool b)
  {
   return b ? "true" : "false";
  }

string JKs(string key, string value)
  {
   return "\"" + key + "\":" + JQ(value);
  }

string JKn(string key, double value, int digits)
  {
   return "\"" + key + "\":" + JNum(value, digits);
  }

string JKi(string key, long value)
  {
   return "\"" + key + "\":" + IntegerToString(value);
  }

string JKb(string key, bool value)
  {
   return "\"" + key + "\":" + JBool(value);
  }

string JKr(string key, string raw)
  {
   return "\"" + key + "\":" + raw;
  }

string JKnull(string key)
  {
   return "\"" + key + "\":null";
  }

// ISO time or null when t is 0.
string JKt(string key, datetime utc)
  {
   if(utc <= 0)
      return JKnull(key);
   return JKs(key, IsoUtc(utc));
  }

//=== reader ===========================================================
ushort g_jc[];
int    g_jlen = 0;
int    g_jpos = 0;
string g_jerr = "";
string g_jpath[];
int    g_jtype[];
string g_jval[];
int    g_jn = 0;

int JAdd(string path, int type, string val)
  {
   if(g_jn >= J_MAX_ENTRIES)
      return -1;
   if(ArraySize(g_jpath) <= g_jn)
     {
      ArrayResize(g_jpath, g_jn + 1, 64);
      ArrayResize(g_jtype, g_jn + 1, 64);
      ArrayResize(g_jval, g_jn + 1, 64);
     }
   g_jpath[g_jn] = path;
   g_jtype[g_jn] = type;
   g_jval[g_jn] = val;
   g_jn++;
   return g_jn - 1;
  }

void JSkipWs()
  {
   while(g_jpos < g_jlen)
     {
      ushort c = g_jc[g_jpos];
      if(c == ' ' || c == '\t' || c == '\n' || c == '\r')
         g_jpos++;
      else
         break;
     }
  }

bool JFail(string why)
  {
   if(g_jerr == "")
      g_jerr = why + " at offset " + IntegerToString(g_jpos);
   return false;
  }

int JHex(ushort c)
  {
   if(c >= '0' && c <= '9')
      return c - '0';
   if(c >= 'a' && c <= 'f')
      return c - 'a' + 10;
   if(c >= 'A' && c <= 'F')
      return c - 'A' + 10;
   return -1;
  }

bool JRead4Hex(int &v)
  {
   if(g_jpos + 4 > g_jlen)
      return JFail("short \\u escape");
   v = 0;
   for(int i = 0; i < 4; i++)
     {
      int h = JHex(g_jc[g_jpos + i]);
      if(h < 0)
         return JFail("bad \\u escape");
      v = v * 16 + h;
     }
   g_jpos += 4;
   return true;
  }

// At an opening quote: reads the string into out.
bool JParseString(string &out)
  {
   out = "";
   if(g_jpos >= g_jlen || g_jc[g_jpos] != '"')
      return JFail("expected a string");
   g_jpos++;
   int run = g_jpos;   // start of a run of plain characters
   while(true)
     {
      if(g_jpos >= g_jlen)
         return JFail("unterminated string");
      ushort c = g_jc[g_jpos];
      if(c == '"')
        {
         if(g_jpos > run)
            out += ShortArrayToString(g_jc, run, g_jpos - run);
         g_jpos++;
         return true;
        }
      if(c < 0x20)
         return JFail("control character in string");
      if(c != '\\')
        {
         g_jpos++;
         continue;
        }
      if(g_jpos > run)
         out += ShortArrayToString(g_jc, run, g_jpos - run);
      g_jpos++;
      if(g_jpos >= g_jlen)
         return JFail("unterminated escape");
      ushort e = g_jc[g_jpos];
      g_jpos++;
      if(e == '"')
         out += "\"";
      else
         if(e == '\\')
            out += "\\";
         else
            if(e == '/')
               out += "/";
            else
               if(e == 'b')
                  out += ShortToString(8);
               else
                  if(e == 'f')
                     out += ShortToString(12);
                  else
                     if(e == 'n')
                        out += "\n";
                     else
                        if(e == 'r')
                           out += "\r";
                        else
                           if(e == 't')
                              out += "\t";
                           else
                              if(e == 'u')
                                {
                                 int v = 0;
                                 if(!JRead4Hex(v))
                                    return false;
                                 if(v == 0)
                                    return JFail("NUL character in string");
                                 out += ShortToString((ushort)v);   // surrogate pairs stay as two UTF-16 units
                                }
                              else
                                 return JFail("bad escape");
      run = g_jpos;
     }
   return false;
  }

bool JIsDigit(int pos)
  {
   return pos < g_jlen && g_jc[pos] >= '0' && g_jc[pos] <= '9';
  }

bool JParseNumber(string &raw)
  {
   int start = g_jpos;
   if(g_jpos < g_jlen && g_jc[g_jpos] == '-')
      g_jpos++;
   if(!JIsDigit(g_jpos))
      return JFail("bad number");
   if(g_jc[g_jpos] == '0')
     {
      g_jpos++;
      if(JIsDigit(g_jpos))
         return JFail("leading zero in number");
     }
   else
      while(JIsDigit(g_jpos))
         g_jpos++;
   if(g_jpos < g_jlen && g_jc[g_jpos] == '.')
     {
      g_jpos++;
      if(!JIsDigit(g_jpos))
         return JFail("bad fraction");
      while(JIsDigit(g_jpos))
         g_jpos++;
     }
   if(g_jpos < g_jlen && (g_jc[g_jpos] == 'e' || g_jc[g_jpos] == 'E'))
     {
      g_jpos++;
      if(g_jpos < g_jlen && (g_jc[g_jpos] == '+' || g_jc[g_jpos] == '-'))
         g_jpos++;
      if(!JIsDigit(g_jpos))
         return JFail("bad exponent");
      while(JIsDigit(g_jpos))
         g_jpos++;
     }
   raw = ShortArrayToString(g_jc, start, g_jpos - start);
   return true;
  }

bool JMatchWord(string w)
  {
   int n = StringLen(w);
   if(g_jpos + n > g_jlen)
      return false;
   for(int i = 0; i < n; i++)
      if(g_jc[g_jpos + i] != StringGetCharacter(w, i))
         return false;
   g_jpos += n;
   return true;
  }

string JChildPath(string parent, string key)
  {
   if(parent == "")
      return key;
   return parent + "." + key;
  }

bool JParseValue(string path, int depth)
  {
   if(depth > J_MAX_DEPTH)
      return JFail("nested too deeply");
   JSkipWs();
   if(g_jpos >= g_jlen)
      return JFail("unexpected end");
   ushort c = g_jc[g_jpos];
   if(c == '{')
     {
      int idx = JAdd(path, J_OBJ, "");
      if(idx < 0)
         return JFail("too many values");
      g_jpos++;
      JSkipWs();
      int count = 0;
      if(g_jpos < g_jlen && g_jc[g_jpos] == '}')
        {
         g_jpos++;
         g_jval[idx] = "0";
         return true;
        }
      while(true)
        {
         JSkipWs();
         string key;
         if(!JParseString(key))
            return false;
         JSkipWs();
         if(g_jpos >= g_jlen || g_jc[g_jpos] != ':')
            return JFail("expected ':'");
         g_jpos++;
         if(!JParseValue(JChildPath(path, key), depth + 1))
            return false;
         count++;
         JSkipWs();
         if(g_jpos >= g_jlen)
            return JFail("unterminated object");
         if(g_jc[g_jpos] == ',')
           {
            g_jpos++;
            continue;
           }
         if(g_jc[g_jpos] == '}')
           {
            g_jpos++;
            g_jval[idx] = IntegerToString(count);
            return true;
           }
         return JFail("expected ',' or '}'");
        }
     }
   if(c == '[')
     {
      int aidx = JAdd(path, J_ARR, "");
      if(aidx < 0)
         return JFail("too many values");
      g_jpos++;
      JSkipWs();
      int n = 0;
      if(g_jpos < g_jlen && g_jc[g_jpos] == ']')
        {
         g_jpos++;
         g_jval[aidx] = "0";
         return true;
        }
      while(true)
        {
         if(!JParseValue(JChildPath(path, IntegerToString(n)), depth + 1))
            return false;
         n++;
         JSkipWs();
         if(g_jpos >= g_jlen)
            return JFail("unterminated array");
         if(g_jc[g_jpos] == ',')
           {
            g_jpos++;
            continue;
           }
         if(g_jc[g_jpos] == ']')
           {
            g_jpos++;
            g_jval[aidx] = IntegerToString(n);
            return true;
           }
         return JFail("expected ',' or ']'");
        }
     }
   if(c == '"')
     {
      string s;
      if(!JParseString(s))
         return false;
      if(JAdd(path, J_STR, s) < 0)
         return JFail("too many values");
      return true;
     }
   if(c == '-' || (c >= '0' && c <= '9'))
     {
      string raw;
      if(!JParseNumber(raw))
         return false;
      if(JAdd(path, J_NUM, raw) < 0)
         return JFail("too many values");
      return true;
     }
   if(JMatchWord("true"))
      return JAdd(path, J_BOOL, "true") >= 0;
   if(JMatchWord("false"))
      return JAdd(path, J_BOOL, "false") >= 0;
   if(JMatchWord("null"))
      return JAdd(path, J_NULL, "") >= 0;
   return JFail("unexpected character");
  }

// Parses `text`; on failure g_jerr says why.
bool JsonParse(string text)
  {
   g_jn = 0;
   g_jerr = "";
   g_jpos = 0;
   g_jlen = StringLen(text);
   ArrayResize(g_jc, g_jlen + 1);
   if(g_jlen > 0)
      StringToShortArray(text, g_jc, 0, g_jlen);
   if(!JParseValue("", 0))
      return false;
   JSkipWs();
   if(g_jpos != g_jlen)
      return JFail("trailing characters");
   return true;
  }

int JFind(string path)
  {
   for(int i = g_jn - 1; i >= 0; i--)   // the last duplicate key wins, as in Python
      if(g_jpath[i] == path)
         return i;
   return -1;
  }

// Type of the value at path, -1 when absent.
int JType(string path)
  {
   int i = JFind(path);
   if(i < 0)
      return -1;
   return g_jtype[i];
  }

bool JHas(string path)
  {
   return JFind(path) >= 0;
  }

// present and not null
bool JHasValue(string path)
  {
   int t = JType(path);
   return t >= 0 && t != J_NULL;
  }

bool JGetStr(string path, string &out)
  {
   int i = JFind(path);
   if(i < 0 || g_jtype[i] != J_STR)
      return false;
   out = g_jval[i];
   return true;
  }

bool JGetNum(string path, double &out)
  {
   int i = JFind(path);
   if(i < 0 || g_jtype[i] != J_NUM)
      return false;
   out = StringToDouble(g_jval[i]);
   return MathIsValidNumber(out);
  }

// An integer: a number without a fractional part ("3" or "3.0").
bool JGetInt(string path, long &out)
  {
   double d = 0;
   if(!JGetNum(path, d))
      return false;
   if(MathAbs(d) > 9.0e15 || d != MathFloor(d))
      return false;
   out = (long)d;
   return true;
  }

bool JGetBool(string path, bool &out)
  {
   int i = JFind(path);
   if(i < 0 || g_jtype[i] != J_BOOL)
      return false;
   out = (g_jval[i] == "true");
   return true;
  }

// Element count of an array (or key count of an object), -1 when not one.
int JCount(string path)
  {
   int i = JFind(path);
   if(i < 0 || (g_jtype[i] != J_ARR && g_jtype[i] != J_OBJ))
      return -1;
   return (int)StringToInteger(g_jval[i]);
  }

// The direct keys of the object at path (for rejecting unknown fields).
int JKeysOf(string path, string &keys[])
  {
   ArrayResize(keys, 0);
   string prefix = (path == "" ? "" : path + ".");
   int plen = StringLen(prefix);
   int n = 0;
   for(int i = 0; i < g_jn; i++)
     {
      string p = g_jpath[i];
      if(p == path || StringLen(p) <= plen)
         continue;
      if(plen > 0 && StringSubstr(p, 0, plen) != prefix)
         continue;
      string rest = StringSubstr(p, plen);
      if(StringFind(rest, ".") >= 0)
         continue;
      ArrayResize(keys, n + 1);
      keys[n] = rest;
      n++;
     }
   return n;
  }
//+------------------------------------------------------------------+
