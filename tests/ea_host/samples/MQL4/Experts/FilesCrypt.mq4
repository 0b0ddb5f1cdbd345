//+------------------------------------------------------------------+
//| Test EA: file I/O confined to MQL4/Files, CryptEncode vectors.   |
//+------------------------------------------------------------------+
#property strict

void Check(bool ok, string what)
  {
   Print(ok ? "OK " : "FAIL ", what);
  }

string Hex(const uchar &a[])
  {
   string s = "";
   for(int i = 0; i < ArraySize(a); i++)
      s += StringFormat("%02x", a[i]);
   return s;
  }

string B64(string text)
  {
   uchar src[], key[], dst[];
   StringToCharArray(text, src, 0, StringLen(text));
   CryptEncode(CRYPT_BASE64, src, key, dst);
   return CharArrayToString(dst);
  }

int OnInit()
  {
   // text file, Unicode (default) and ANSI
   int h = FileOpen("sub\\notes.txt", FILE_WRITE | FILE_TXT);
   Check(h != INVALID_HANDLE, "open write");
   FileWrite(h, "line1", 2);
   FileWriteString(h, "caf\x00e9\r\n");
   FileClose(h);
   h = FileOpen("sub\\notes.txt", FILE_READ | FILE_TXT);
   string a = FileReadString(h);
   string b = FileReadString(h);
   Check(a == "line1\t2" && b == "caf\x00e9", "read back unicode [" + a + "][" + b + "]");
   Check(FileIsEnding(h), "ending");
   FileClose(h);
   h = FileOpen("ansi.csv", FILE_WRITE | FILE_CSV | FILE_ANSI, ';');
   FileWrite(h, "x", 1.5, true);
   FileClose(h);
   h = FileOpen("ansi.csv", FILE_READ | FILE_CSV | FILE_ANSI, ';');
   string f1 = FileReadString(h);
   double f2 = FileReadNumber(h);
   string f3 = FileReadString(h);
   Check(f1 == "x" && f2 == 1.5 && f3 == "true", "csv fields");
   Check(FileSize(h) == 12, "size " + IntegerToString(FileSize(h)));
   FileClose(h);
   // append with read|write + seek
   h = FileOpen("ansi.csv", FILE_READ | FILE_WRITE | FILE_TXT | FILE_ANSI);
   FileSeek(h, 0, SEEK_END);
   FileWriteString(h, "more\r\n");
   FileFlush(h);
   Check(FileSize(h) == 18, "append");
   FileClose(h);
   // binary arrays
   int nums[] = {1, -2, 300000};
   h = FileOpen("data.bin", FILE_WRITE | FILE_BIN);
   FileWriteArray(h, nums);
   FileWriteDouble(h, 2.5);
   FileClose(h);
   int back[];
   h = FileOpen("data.bin", FILE_READ | FILE_BIN);
   int got = (int)FileReadArray(h, back, 0, 3);
   double d = FileReadDouble(h);
   FileClose(h);
   Check(got == 3 && back[1] == -2 && back[2] == 300000 && d == 2.5, "binary");
   h = FileOpen("str.bin", FILE_WRITE | FILE_BIN);
   FileWriteString(h, "h\x00e9!");
   FileWriteString(h, "ab", -1);
   FileClose(h);
   h = FileOpen("str.bin", FILE_READ | FILE_BIN);
   string s1 = FileReadString(h, 3);
   string s2 = FileReadString(h, 2);
   Check(s1 == "h\x00e9!" && s2 == "ab" && FileSize(h) == 10, "binary strings are UTF-16");
   FileClose(h);
   // sandbox confinement
   ResetLastError();
   h = FileOpen("..\\..\\escape.txt", FILE_WRITE | FILE_TXT);
   Check(h == INVALID_HANDLE && GetLastError() == 5002, "escape rejected");
   Check(!FileIsExist("/etc/passwd"), "absolute rejected");
   Check(FileMove("data.bin", 0, "moved.bin", 0) && FileIsExist("moved.bin") && !FileIsExist("data.bin"), "move");
   Check(FileDelete("moved.bin") && !FileIsExist("moved.bin"), "delete");
   Check(FolderCreate("dir1\\dir2"), "folder");
   Check(FileIsExist("SUB\\Notes.TXT") && FileIsExist("sub/notes.txt"), "case-insensitive names");
   // crypt
   string key = "dGhlIHNhbXBsZSBub25jZQ==" + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
   uchar src[], nokey[], sha[], b64[];
   StringToCharArray(key, src, 0, StringLen(key));
   CryptEncode(CRYPT_HASH_SHA1, src, nokey, sha);
   CryptEncode(CRYPT_BASE64, sha, nokey, b64);
   Check(CharArrayToString(b64) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "websocket accept");
   uchar abc[], md[], s256[];
   StringToCharArray("abc", abc, 0, 3);
   CryptEncode(CRYPT_HASH_MD5, abc, nokey, md);
   Check(Hex(md) == "900150983cd24fb0d6963f7d28e17f72", "md5 " + Hex(md));
   CryptEncode(CRYPT_HASH_SHA256, abc, nokey, s256);
   Check(Hex(s256) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256");
   Check(B64("") == "" && B64("f") == "Zg==" && B64("fo") == "Zm8=" && B64("foobar") == "Zm9vYmFy", "base64");
   uchar dec[], enc[];
   StringToCharArray("Zm9vYmE=", enc, 0, 8);
   CryptDecode(CRYPT_BASE64, enc, nokey, dec);
   Check(CharArrayToString(dec) == "fooba", "base64 decode");
   Print("done");
   return(INIT_SUCCEEDED);
  }
