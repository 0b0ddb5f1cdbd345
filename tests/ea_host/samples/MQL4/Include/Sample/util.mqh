//+------------------------------------------------------------------+
//| Shared helpers for the host samples                               |
//+------------------------------------------------------------------+
#define SAMPLE_MAX 8
#define SQUARE(x) ((x) * (x))

struct Pair
  {
   string key;
   int    value;
   double vals[3];
  };

enum Colour { RED_ = 1, GREEN_ = 2, BLUE_ = 4 };

string Join(const string &parts[], string sep = ",")
  {
   string out = "";
   for(int i = 0; i < ArraySize(parts); i++)
     {
      if(i > 0) out += sep;
      out += parts[i];
     }
   return out;
  }
