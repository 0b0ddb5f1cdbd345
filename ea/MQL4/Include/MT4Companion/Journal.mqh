//+------------------------------------------------------------------+
//| Journal.mqh: the at-most-once journal of trade commands.         |
//| MQL4\Files\MT4Companion\journal-<agent>.txt, one line per step:  |
//|   <request_id>|sending|<utc unix>|<what we are about to do>       |
//|   <request_id>|done|<utc unix>|<the reply JSON>                   |
//| "sending" is written and flushed BEFORE the first trade call;    |
//| "done" after the reply is known. The last line of an id wins.    |
//| request ids cannot hold '|' (protocol pattern [A-Za-z0-9_.:-]).  |
//+------------------------------------------------------------------+
#property strict

#define JR_SENDING   1
#define JR_DONE      2
#define JR_KEEP      500      // done entries kept when compacting
#define JR_COMPACT_AT 1000

struct JEnt
  {
   string            rid;
   int               state;
   long              t;        // UTC unix seconds
   string            payload;
  };

JEnt   g_jr[];
int    g_jr_n = 0;
int    g_jr_lines = 0;        // lines in the file (compaction trigger)
bool   g_jr_loaded = false;

string JournalFile()
  {
   return CFG_DIR + "\\journal-" + g_agent_id + ".txt";
  }

int JournalFind(string rid)
  {
   for(int i = g_jr_n - 1; i >= 0; i--)
      if(g_jr[i].rid == rid)
         return i;
   return -1;
  }

void JournalSetMem(string rid, int state, long t, string payload)
  {
   int i = JournalFind(rid);
   if(i < 0)
     {
      ArrayResize(g_jr, g_jr_n + 1, 64);
      i = g_jr_n;
      g_jr_n++;
     }
   g_jr[i].rid = rid;
   g_jr[i].state = state;
   g_jr[i].t = t;
   g_jr[i].payload = payload;
  }

string JournalLine(int i)
  {
   return g_jr[i].rid + "|" + (g_jr[i].state == JR_SENDING ? "sending" : "done") + "|" + IntegerToString(g_jr[i].t) + "|" + g_jr[i].payload + "\n";
  }

// Rewrites the file with every unfinished entry and the newest JR_KEEP done ones.
void JournalCompact()
  {
   int done_total = 0;
   for(int i = 0; i < g_jr_n; i++)
      if(g_jr[i].state == JR_DONE)
         done_total++;
   int skip = done_total - JR_KEEP;
   JEnt keep[];
   int k = 0;
   ArrayResize(keep, g_jr_n);
   for(int j = 0; j < g_jr_n; j++)
     {
      if(g_jr[j].state == JR_DONE && skip > 0)
        {
         skip--;
         continue;
        }
      keep[k].rid = g_jr[j].rid;
      keep[k].state = g_jr[j].state;
      keep[k].t = g_jr[j].t;
      keep[k].payload = g_jr[j].payload;
      k++;
     }
   ArrayResize(g_jr, k);
   for(int m = 0; m < k; m++)
     {
      g_jr[m].rid = keep[m].rid;
      g_jr[m].state = keep[m].state;
      g_jr[m].t = keep[m].t;
      g_jr[m].payload = keep[m].payload;
     }
   g_jr_n = k;
   string text = "";
   for(int w = 0; w < g_jr_n; w++)
      text += JournalLine(w);
   if(WriteTextFile(JournalFile(), text))
      g_jr_lines = g_jr_n;
  }

void JournalLoad()
  {
   g_jr_n = 0;
   g_jr_lines = 0;
   ArrayResize(g_jr, 0);
   string text = "";
   if(ReadTextFile(JournalFile(), text))
     {
      string lines[];
      int n = SplitLines(text, lines);
      for(int i = 0; i < n; i++)
        {
         string line = lines[i];
         if(StringLen(line) == 0)
            continue;
         int a = StringFind(line, "|");
         int b = (a < 0 ? -1 : StringFind(line, "|", a + 1));
         int c = (b < 0 ? -1 : StringFind(line, "|", b + 1));
         if(c < 0)
            continue;   // a torn last line from a crash: nothing was sent after it
         string rid = StringSubstr(line, 0, a);
         string st = StringSubstr(line, a + 1, b - a - 1);
         long t = StringToInteger(StringSubstr(line, b + 1, c - b - 1));
         string payload = StringSubstr(line, c + 1);
         int state = (st == "sending" ? JR_SENDING : (st == "done" ? JR_DONE : 0));
         if(state == 0 || rid == "")
            continue;
         if(state == JR_DONE && !JsonParse(payload))
            continue;   // torn line: the entry stays "sending" and is resolved
         JournalSetMem(rid, state, t, payload);
         g_jr_lines++;
        }
     }
   g_jr_loaded = true;
   if(g_jr_lines > JR_COMPACT_AT || g_jr_n > JR_KEEP + 50)
      JournalCompact();
  }

// Records a step. For JR_SENDING the caller must not trade when this fails.
bool JournalWrite(string rid, int state, string payload)
  {
   long t = (long)TimeGMT();
   JournalSetMem(rid, state, t, payload);
   int i = JournalFind(rid);
   bool ok = AppendTextFile(JournalFile(), JournalLine(i));
   g_jr_lines++;
   if(g_jr_lines > JR_COMPACT_AT)
      JournalCompact();
   return ok;
  }

int JournalState(string rid)
  {
   int i = JournalFind(rid);
   if(i < 0)
      return 0;
   return g_jr[i].state;
  }

string JournalPayload(string rid)
  {
   int i = JournalFind(rid);
   if(i < 0)
      return "";
   return g_jr[i].payload;
  }
//+------------------------------------------------------------------+
