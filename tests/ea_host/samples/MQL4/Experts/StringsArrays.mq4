//+------------------------------------------------------------------+
//| Exercises MQL4 string/array/struct semantics; prints results.    |
//+------------------------------------------------------------------+
#property copyright "test"
#property strict

#include <Sample/util.mqh>

input int    Mode = 0;       // 0: all checks; 1: array out of range; 2: zero divide
extern string Greeting = "hi";

int    g_counter = 5;
string g_names[];
Pair   g_pairs[];
int    g_fixed[4] = {1, 2, 3};
double g_matrix[][2];

int Later(int x);   // prototype, defined below

void Check(bool ok, string what)
  {
   Print(ok ? "OK " : "FAIL ", what);
  }

int Counter()
  {
   static int calls = 0;
   calls++;
   return calls;
  }

int OnInit()
  {
   if(Mode == 1)
     {
      int a[];
      ArrayResize(a, 3);
      int idx = 3;
      a[idx] = 1;
     }
   if(Mode == 2)
     {
      int z = 0;
      Print(10 / z);
     }
   if(Mode == 3)
      Print(Deep(1));
   if(Mode == 4)
      return(INIT_FAILED);
   if(Mode == 5)
      ExpertRemove();
   // strings
   string s = "Hello";
   s = s + ", " + "World" + 1 + 2.5;
   Check(s == "Hello, World12.5", "concat " + s);
   Check(StringLen("h\x00e9llo") == 5, "len unicode");
   Check(StringSubstr("abcdef", 2, 3) == "cde", "substr");
   Check(StringSubstr("abcdef", 4) == "ef", "substr to end");
   Check(StringFind("abcabc", "ca") == 2, "find");
   Check(StringFind("abc", "x") == -1, "find none");
   string r = "a-b-c";
   int n = StringReplace(r, "-", "+");
   Check(r == "a+b+c" && n == 2, "replace");
   uchar bytes[];
   int cnt = StringToCharArray("h\x00e9", bytes, 0, WHOLE_ARRAY, CP_UTF8);
   Check(cnt == 4 && bytes[1] == 0xC3 && bytes[2] == 0xA9 && bytes[3] == 0, "utf8 bytes " + cnt);
   Check(CharArrayToString(bytes, 0, cnt - 1, CP_UTF8) == "h\x00e9", "utf8 roundtrip");
   cnt = StringToCharArray("\x00e9", bytes);
   Check(cnt == 2 && bytes[0] == 0xE9, "ansi bytes");
   Check(StringGetCharacter("AB", 1) == 'B', "getchar");
   string t = "abc";
   StringSetCharacter(t, 1, 'X');
   Check(t == "aXc", "setchar");
   Check(StringToInteger("  42xyz") == 42, "toint");
   Check(MathAbs(StringToDouble("1.5e2") - 150.0) < 1e-9, "todouble");
   Check(IntegerToString(7, 3, '0') == "007", "inttostr");
   Check(DoubleToString(1.23456789, 3) == "1.235", "dbltostr");
   Check(DoubleToString(2.0) == "2.00000000", "dbltostr default");
   Check(StringTrimLeft("  x ") == "x " && StringTrimRight(" x  ") == " x", "trim");
   string u = "MiXed";
   StringToUpper(u);
   Check(u == "MIXED", "upper");
   string parts[];
   int k = StringSplit("a,b,,c", ',', parts);
   Check(k == 4 && parts[2] == "" && parts[3] == "c", "split");
   Check(Join(parts, "|") == "a|b||c", "join default param");
   Check(StringFormat("%05.1f|%-4s|%d|%x|%s", 3.14159, "ab", 42, 255, 7) == "003.1|ab  |42|ff|7", "format " + StringFormat("%05.1f|%-4s|%d|%x|%s", 3.14159, "ab", 42, 255, 7));
   Check(ShortToString(0x41) == "A" && CharToString(66) == "B", "short/char tostring");
   Check((string)5 == "5" && (int)"12" == 12, "casts");
   string nul = NULL;
   Check(nul == "" && StringLen(nul) == 0, "NULL string");
   Check("b" > "a", "compare");
   // arrays
   Check(ArraySize(g_fixed) == 4 && g_fixed[2] == 3 && g_fixed[3] == 0, "static init");
   Check(ArrayResize(g_fixed, 10) == -1, "static resize fails");
   ArrayResize(g_names, 2);
   g_names[0] = "x";
   g_names[1] = "y";
   string copy[];
   ArrayCopy(copy, g_names);
   copy[0] = "changed";
   Check(g_names[0] == "x" && ArraySize(copy) == 2, "array copy is deep");
   int nums[] = {5, 9, 1, 7};
   Check(ArrayMaximum(nums) == 1 && ArrayMinimum(nums) == 2, "max/min");
   ArraySort(nums);
   Check(nums[0] == 1 && nums[3] == 9, "sort");
   ArrayInitialize(nums, 3);
   Check(nums[2] == 3, "initialize");
   ArrayFree(g_names);
   Check(ArraySize(g_names) == 0, "free");
   ArrayResize(g_matrix, 3);
   g_matrix[2][1] = 4.5;
   Check(ArraySize(g_matrix) == 6 && ArrayRange(g_matrix, 1) == 2 && g_matrix[2][1] == 4.5, "2d");
   // structs
   ArrayResize(g_pairs, 2);
   g_pairs[1].key = "k";
   g_pairs[1].value = SQUARE(3);
   g_pairs[1].vals[2] = 1.5;
   Pair p = g_pairs[1];
   p.key = "other";
   Check(g_pairs[1].key == "k" && g_pairs[1].value == 9 && p.vals[2] == 1.5, "struct copy");
   // misc
   Check(Counter() == 1 && Counter() == 2, "static local");
   Check(Later(2) == 4, "forward call");
   Colour c = GREEN_;
   int flags = RED_ | BLUE_;
   Check(c == 2 && flags == 5, "enum");
   switch(flags)
     {
      case 5:
        {
         string inner = "five";
         Check(inner == "five", "switch");
         break;
        }
      default:
         Check(false, "switch default");
     }
   Check(g_counter == 5 && Greeting == "hi", "globals");
   g_counter++;
   Print("counter=", g_counter, " greeting=", Greeting, " mode=", Mode);
   Print("done");
   return(INIT_SUCCEEDED);
  }

void OnDeinit(const int reason)
  {
   Print("deinit ", reason);
  }

int Later(int x)
  {
   return x * 2;
  }

int Deep(int n)
  {
   int pad[];
   return Deep(n + 1) + n;
  }
