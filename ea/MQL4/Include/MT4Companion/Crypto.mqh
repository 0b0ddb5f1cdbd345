//+------------------------------------------------------------------+
//| Crypto.mqh: UTF-8 conversion, SHA1/MD5/Base64 via CryptEncode.   |
//| Part of the MT4 Companion EA. Pure MQL4.                         |
//+------------------------------------------------------------------+
#property strict

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// UTF-8 bytes of a string, without the terminating zero that StringToCharArray adds.
int Utf8Bytes(string s, uchar &out[])
  {
   ArrayResize(out, 0);
   if(StringLen(s) == 0)
      return 0;
   int n = StringToCharArray(s, out, 0, WHOLE_ARRAY, CP_UTF8);
   if(n > 0 && out[n - 1] == 0)
      n--;
   if(n < 0)
      n = 0;
   ArrayResize(out, n);
   return n;
  }

// Text from `count` UTF-8 bytes starting at `start`.
string Utf8String(const uchar &bytes[], int start, int count)
  {
   if(count <= 0)
      return "";
   return CharArrayToString(bytes, start, count, CP_UTF8);
  }

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool Utf8Valid(const uchar &b[], int start, int count)
  {
   int i = start, end = start + count;
   while(i < end)
     {
      int c = b[i];
      int need = 0, lowest = 0;
      if(c < 0x80)
        {
         i++;
         continue;
        }
      if(c >= 0xC2 && c <= 0xDF)
        {
         need = 1;
         lowest = 0x80;
        }
      else
         if(c >= 0xE0 && c <= 0xEF)
           {
            need = 2;
            lowest = 0x800;
           }
         else
            if(c >= 0xF0 && c <= 0xF4)
              {
               need = 3;
               lowest = 0x10000;
              }
            else
               return false;
      if(i + need >= end)
         return false;   // cut short
      int cp = c & (0x3F >> need);
      for(int k = 1; k <= need; k++)
        {
         int cc = b[i + k];
         if((cc & 0xC0) != 0x80)
            return false;
         cp = (cp << 6) | (cc & 0x3F);
        }
      if(cp < lowest || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
         return false;
      i += need + 1;
     }
   return true;
  }

string BytesToHex(const uchar &bytes[], int count)
  {
   string hex = "0123456789abcdef";
   string r = "";
   for(int i = 0; i < count && i < ArraySize(bytes); i++)
     {
      int b = bytes[i];
      r += StringSubstr(hex, (b >> 4) & 15, 1) + StringSubstr(hex, b & 15, 1);
     }
   return r;
  }

string Base64OfBytes(const uchar &data[])
  {
   uchar key[];
   uchar res[];
   ArrayResize(key, 0);
   int n = CryptEncode(CRYPT_BASE64, data, key, res);
   if(n <= 0)
      return "";
   return CharArrayToString(res, 0, n);
  }

// Lower-case hex MD5 of the UTF-8 bytes of `s`.
string Md5Hex(string s)
  {
   uchar data[];
   uchar key[];
   uchar res[];
   Utf8Bytes(s, data);
   ArrayResize(key, 0);
   int n = CryptEncode(CRYPT_HASH_MD5, data, key, res);
   if(n <= 0)
      return "";
   return BytesToHex(res, n);
  }

// The Sec-WebSocket-Accept value a server must answer for `key` (RFC 6455 4.2.2).
string WsAcceptFor(string key)
  {
   uchar data[];
   uchar k[];
   uchar sha[];
   Utf8Bytes(key + WS_GUID, data);
   ArrayResize(k, 0);
   int n = CryptEncode(CRYPT_HASH_SHA1, data, k, sha);
   if(n != 20)
      return "";
   return Base64OfBytes(sha);
  }

// A fresh Sec-WebSocket-Key: 16 random bytes, Base64.
string WsNewKey()
  {
   uchar raw[];
   ArrayResize(raw, 16);
   for(int i = 0; i < 16; i++)
      raw[i] = (uchar)RandomByte();
   return Base64OfBytes(raw);
  }
//+------------------------------------------------------------------+
