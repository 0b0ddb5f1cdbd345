//+------------------------------------------------------------------+
//| Test EA: object pointers (new/delete, polymorphism, lists).      |
//+------------------------------------------------------------------+
#property strict

input int Mode = 0;   // 1: access a deleted object; 2: leak one object

class CShape
  {
public:
   string m_name;
                     CShape(string name) { m_name = name; }
   virtual          ~CShape() {}
   virtual double    Area() { return 0; }
  };

class CSquare : public CShape
  {
public:
   double            m_side;
                     CSquare(double side) : CShape("square") { m_side = side; }
   virtual double    Area() { return m_side * m_side; }
  };

class CNode
  {
public:
   int               m_value;
   CNode            *m_next;
                     CNode(int v) { m_value = v; m_next = NULL; }
  };

CNode *g_head = NULL;

void Push(int v)
  {
   CNode *n = new CNode(v);
   n.m_next = g_head;
   g_head = n;
  }

int SumList()
  {
   int total = 0;
   for(CNode *cur = g_head; cur != NULL; cur = cur.m_next)
      total += cur.m_value;
   return total;
  }

void FreeList()
  {
   while(g_head != NULL)
     {
      CNode *next = g_head.m_next;
      delete g_head;
      g_head = next;
     }
  }

CShape *MakeShape(bool square)
  {
   if(square)
      return new CSquare(3);
   return new CShape("plain");
  }

void Check(bool ok, string what)
  {
   Print(ok ? "OK " : "FAIL ", what);
  }

int OnInit()
  {
   Push(1);
   Push(2);
   Push(3);
   Check(SumList() == 6 && g_head.m_next.m_value == 2, "linked list");
   FreeList();
   Check(g_head == NULL && SumList() == 0, "freed");
   CShape *shapes[];
   ArrayResize(shapes, 2);
   shapes[0] = MakeShape(true);
   shapes[1] = MakeShape(false);
   Check(shapes[0].Area() == 9.0 && shapes[1].Area() == 0.0 && shapes[0].m_name == "square",
         "virtual calls");
   CSquare *sq = (CSquare *)shapes[0];
   Check(sq.m_side == 3.0, "downcast");
   Check(CheckPointer(shapes[1]) == POINTER_DYNAMIC, "dynamic");
   CShape local("auto");
   CShape *pl = GetPointer(local);
   Check(CheckPointer(pl) == POINTER_AUTOMATIC && pl.m_name == "auto", "automatic");
   for(int i = 0; i < ArraySize(shapes); i++)
      delete shapes[i];
   Check(CheckPointer(shapes[0]) == POINTER_INVALID, "deleted is invalid");
   if(Mode == 1)
      Print(shapes[1].Area());
   if(Mode == 2)
      Push(9);
   return(INIT_SUCCEEDED);
  }
