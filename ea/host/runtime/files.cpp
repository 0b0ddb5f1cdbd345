// MQL4 file functions confined to <sandbox>/MQL4/Files (FILE_COMMON: <sandbox>/../Common/Files).
// Text files are UTF-16LE unless FILE_ANSI, as in MT4; FileWrite ends lines with "\r\n".
#include <dirent.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>

#include "internal.hpp"

namespace mql {
namespace {

struct File {
  std::FILE* f = nullptr;
  int flags = 0;
  unsigned codepage = 0;
  char16_t delim = u'\t';
  bool text() const { return !(flags & mql4api::FILE_BIN); }
  bool unicode() const { return text() && !(flags & mql4api::FILE_ANSI); }
};

std::map<int, File> g_files;
int g_next = 1;

// Windows file names are case-insensitive: follow existing entries whatever their case, keep
// the given spelling for parts that do not exist yet.
std::string ci_path(const std::string& base, const std::string& rel) {
  std::string cur = base;
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    std::string part = rel.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    std::string found = part;
    struct stat st;
    if (::stat((cur + "/" + part).c_str(), &st) != 0) {
      if (DIR* d = ::opendir(cur.c_str())) {
        while (dirent* e = ::readdir(d)) {
          if (::strcasecmp(e->d_name, part.c_str()) == 0) {
            found = e->d_name;
            break;
          }
        }
        ::closedir(d);
      }
    }
    cur += "/" + found;
  }
  return cur;
}

// Resolve an MQL file name inside the sandbox; reject absolute paths and "..".
bool resolve(const mql4api::string& name, int common, std::string& out) {
  std::string n = name.utf8();
  for (char& c : n)
    if (c == '\\') c = '/';
  if (n.empty() || n[0] == '/' || n.find(':') != std::string::npos) return false;
  size_t start = 0;
  while (start <= n.size()) {
    size_t end = n.find('/', start);
    if (end == std::string::npos) end = n.size();
    std::string part = n.substr(start, end - start);
    if (part == "..") return false;
    start = end + 1;
  }
  std::string base = host().sandbox + ((common & mql4api::FILE_COMMON) ? "/../Common/Files" : "/MQL4/Files");
  out = ci_path(base, n);
  return true;
}

void mkdirs(const std::string& path) {
  for (size_t i = 1; i < path.size(); ++i)
    if (path[i] == '/') ::mkdir(path.substr(0, i).c_str(), 0755);
}

File* get(int h) {
  auto it = g_files.find(h);
  if (it == g_files.end()) {
    set_error(mql4api::ERR_FILE_INVALID_HANDLE);
    return nullptr;
  }
  return &it->second;
}

bool at_eof(File* f) {
  int c = std::fgetc(f->f);
  if (c == EOF) return true;
  std::ungetc(c, f->f);
  return false;
}

// Read one text unit (UTF-16 code unit or one decoded byte); -1 at end.
int read_unit(File* f) {
  if (f->unicode()) {
    int lo = std::fgetc(f->f);
    if (lo == EOF) return -1;
    int hi = std::fgetc(f->f);
    if (hi == EOF) return -1;
    return lo | (hi << 8);
  }
  int c = std::fgetc(f->f);
  return c == EOF ? -1 : c;
}

size_t write_text(File* f, const std::u16string& s) {
  if (f->unicode()) {
    std::string b;
    for (char16_t c : s) b += static_cast<char>(c & 0xFF), b += static_cast<char>(c >> 8);
    return std::fwrite(b.data(), 1, b.size(), f->f);
  }
  std::string b = encode_cp(s, f->codepage);
  return std::fwrite(b.data(), 1, b.size(), f->f);
}

}  // namespace
}  // namespace mql

namespace mql4api {
using mql::File;

int FileOpen(const string& name, int flags, ushort delimiter, uint codepage) {
  std::string path;
  if (!mql::resolve(name, flags, path)) {
    mql::set_error(ERR_WRONG_FILENAME);
    return INVALID_HANDLE;
  }
  if (!(flags & (FILE_READ | FILE_WRITE))) flags |= FILE_READ;
  if (!(flags & (FILE_BIN | FILE_CSV | FILE_TXT))) flags |= FILE_CSV;
  struct stat st;
  bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) {
    mql::set_error(ERR_FILE_IS_DIRECTORY);
    return INVALID_HANDLE;
  }
  const char* mode;
  if ((flags & FILE_WRITE) && !(flags & FILE_READ)) mode = "wb";
  else if (flags & FILE_WRITE) mode = exists ? "r+b" : "w+b";
  else mode = "rb";
  if (flags & FILE_WRITE) mql::mkdirs(path);
  std::FILE* f = std::fopen(path.c_str(), mode);
  if (!f) {
    mql::set_error(ERR_FILE_CANNOT_OPEN);
    return INVALID_HANDLE;
  }
  File file;
  file.f = f;
  file.flags = flags;
  file.codepage = codepage;
  file.delim = static_cast<char16_t>(delimiter);
  if (file.unicode()) {
    // Skip a UTF-16LE BOM when reading; write one into a new/truncated text file.
    int a = std::fgetc(f), b = std::fgetc(f);
    if (!(a == 0xFF && b == 0xFE)) std::fseek(f, 0, SEEK_SET);
    if ((flags & FILE_WRITE) && a == EOF) {
      std::fseek(f, 0, SEEK_SET);
      std::fputc(0xFF, f);
      std::fputc(0xFE, f);
    }
  }
  int h = mql::g_next++;
  mql::g_files[h] = file;
  return h;
}

void FileClose(int h) {
  File* f = mql::get(h);
  if (!f) return;
  std::fclose(f->f);
  mql::g_files.erase(h);
}

bool FileIsExist(const string& name, int common_flag) {
  std::string path;
  struct stat st;
  if (!mql::resolve(name, common_flag, path)) {
    mql::set_error(ERR_WRONG_FILENAME);
    return false;
  }
  if (::stat(path.c_str(), &st) != 0) {
    mql::set_error(ERR_FILE_NOT_EXIST);
    return false;
  }
  return true;
}

bool FileDelete(const string& name, int common_flag) {
  std::string path;
  if (!mql::resolve(name, common_flag, path)) {
    mql::set_error(ERR_WRONG_FILENAME);
    return false;
  }
  if (std::remove(path.c_str()) != 0) {
    mql::set_error(ERR_FILE_CANNOT_DELETE);
    return false;
  }
  return true;
}

// FileMove and FileCopy: both paths inside the sandbox, and the target only replaced when
// the caller passed FILE_REWRITE (MT4's rule).
static bool resolve_transfer(const string& src, int common_flag, const string& dst,
                             int mode_flags, std::string& a, std::string& b) {
  if (!mql::resolve(src, common_flag, a) || !mql::resolve(dst, mode_flags, b)) {
    mql::set_error(ERR_WRONG_FILENAME);
    return false;
  }
  struct stat st;
  if (::stat(b.c_str(), &st) == 0 && !(mode_flags & FILE_REWRITE)) {
    mql::set_error(ERR_FILE_CANNOT_REWRITE);
    return false;
  }
  return true;
}

bool FileMove(const string& src, int common_flag, const string& dst, int mode_flags) {
  std::string a, b;
  if (!resolve_transfer(src, common_flag, dst, mode_flags, a, b)) return false;
  mql::mkdirs(b);
  if (std::rename(a.c_str(), b.c_str()) != 0) {
    mql::set_error(ERR_FILE_NOT_EXIST);
    return false;
  }
  return true;
}

bool FileCopy(const string& src, int common_flag, const string& dst, int mode_flags) {
  std::string a, b;
  if (!resolve_transfer(src, common_flag, dst, mode_flags, a, b)) return false;
  std::FILE* in = std::fopen(a.c_str(), "rb");
  if (!in) {
    mql::set_error(ERR_FILE_NOT_EXIST);
    return false;
  }
  mql::mkdirs(b);
  std::FILE* out = std::fopen(b.c_str(), "wb");
  if (!out) {
    std::fclose(in);
    mql::set_error(ERR_FILE_CANNOT_OPEN);
    return false;
  }
  char buf[8192];
  size_t k;
  while ((k = std::fread(buf, 1, sizeof buf, in)) > 0) std::fwrite(buf, 1, k, out);
  std::fclose(in);
  std::fclose(out);
  return true;
}

bool FolderCreate(const string& name, int common_flag) {
  std::string path;
  if (!mql::resolve(name, common_flag, path)) {
    mql::set_error(ERR_FILE_WRONG_DIRECTORYNAME);
    return false;
  }
  mql::mkdirs(path + "/");
  return true;
}

bool FolderDelete(const string& name, int common_flag) {
  std::string path;
  if (!mql::resolve(name, common_flag, path) || ::rmdir(path.c_str()) != 0) {
    mql::set_error(ERR_FILE_WRONG_DIRECTORYNAME);
    return false;
  }
  return true;
}

bool FolderClean(const string&, int) {
  mql::set_error(ERR_FILE_WRONG_DIRECTORYNAME);
  return false;
}

string FileReadString(int h, int length) {
  File* f = mql::get(h);
  if (!f) return string();
  if (!(f->flags & FILE_READ)) {
    mql::set_error(ERR_FILE_NOT_TOREAD);
    return string();
  }
  std::u16string out;
  if (!f->text()) {
    // Binary: `length` characters, UTF-16LE units unless FILE_ANSI (then bytes in the codepage).
    if (f->flags & FILE_ANSI) {
      std::string bytes;
      for (int i = 0; i < length; ++i) {
        int c = std::fgetc(f->f);
        if (c == EOF) break;
        bytes += static_cast<char>(c);
      }
      return string(mql::decode_cp(bytes, f->codepage));
    }
    for (int i = 0; i < length; ++i) {
      int lo = std::fgetc(f->f);
      int hi = lo == EOF ? EOF : std::fgetc(f->f);
      if (hi == EOF) break;
      out += static_cast<char16_t>(lo | (hi << 8));
    }
    return string(out);
  }
  std::string raw;
  bool csv = f->flags & FILE_CSV;
  while (true) {
    int c = mql::read_unit(f);
    if (c < 0) break;
    if (c == '\n') break;
    if (csv && f->delim && c == f->delim) break;
    if (c == '\r') continue;
    if (f->unicode()) out += static_cast<char16_t>(c);
    else raw += static_cast<char>(c);
  }
  if (!f->unicode()) out = mql::decode_cp(raw, f->codepage);
  if (mql::at_eof(f) && out.empty()) mql::set_error(ERR_END_OF_FILE);
  return string(out);
}

uint FileWriteString(int h, const string& s, int length) {
  File* f = mql::get(h);
  if (!f) return 0;
  if (!(f->flags & FILE_WRITE)) {
    mql::set_error(ERR_FILE_NOT_TOWRITE);
    return 0;
  }
  std::u16string u = s.s;
  if (length >= 0 && length < static_cast<int>(u.size())) u.resize(static_cast<size_t>(length));
  if (!f->text()) {
    if (f->flags & FILE_ANSI) {
      std::string b = mql::encode_cp(u, f->codepage);
      return static_cast<uint>(std::fwrite(b.data(), 1, b.size(), f->f));
    }
    std::string b;
    for (char16_t c : u) b += static_cast<char>(c & 0xFF), b += static_cast<char>(c >> 8);
    return static_cast<uint>(std::fwrite(b.data(), 1, b.size(), f->f));
  }
  return static_cast<uint>(mql::write_text(f, u));
}

uint mql_file_write_fields(int h, const std::vector<string>& fields) {
  File* f = mql::get(h);
  if (!f) return 0;
  if (!(f->flags & FILE_WRITE)) {
    mql::set_error(ERR_FILE_NOT_TOWRITE);
    return 0;
  }
  std::u16string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i && f->delim) line += f->delim;
    line += fields[i].s;
  }
  line += u"\r\n";
  return static_cast<uint>(mql::write_text(f, line));
}

uint mql_file_write_bytes(int h, const void* p, size_t n) {
  File* f = mql::get(h);
  if (!f) return 0;
  if (!(f->flags & FILE_WRITE)) {
    mql::set_error(ERR_FILE_NOT_TOWRITE);
    return 0;
  }
  return static_cast<uint>(std::fwrite(p, 1, n, f->f));
}

uint mql_file_read_bytes(int h, void* p, size_t n) {
  File* f = mql::get(h);
  if (!f) return 0;
  return static_cast<uint>(std::fread(p, 1, n, f->f));
}

bool FileIsEnding(int h) {
  File* f = mql::get(h);
  return f ? mql::at_eof(f) : true;
}

bool FileIsLineEnding(int h) {
  File* f = mql::get(h);
  if (!f) return true;
  long pos = std::ftell(f->f);
  int c = mql::read_unit(f);
  std::fseek(f->f, pos, SEEK_SET);
  return c < 0 || c == '\r' || c == '\n';
}

bool FileSeek(int h, long offset, int origin) {
  File* f = mql::get(h);
  if (!f) return false;
  return std::fseek(f->f, offset, origin == 1 ? SEEK_CUR : origin == 2 ? SEEK_END : SEEK_SET) == 0;
}

ulong FileSize(int h) {
  File* f = mql::get(h);
  if (!f) return 0;
  std::fflush(f->f);
  struct stat st;
  return ::fstat(fileno(f->f), &st) == 0 ? static_cast<ulong>(st.st_size) : 0;
}

ulong FileTell(int h) {
  File* f = mql::get(h);
  return f ? static_cast<ulong>(std::ftell(f->f)) : 0;
}

void FileFlush(int h) {
  File* f = mql::get(h);
  if (f) std::fflush(f->f);
}

double FileReadNumber(int h) { return StringToDouble(FileReadString(h)); }
long FileReadLong(int h) {
  long v = 0;
  mql_file_read_bytes(h, &v, 8);
  return v;
}
int FileReadInteger(int h, int size) {
  int32_t v = 0;
  mql_file_read_bytes(h, &v, static_cast<size_t>(size == 1 || size == 2 ? size : 4));
  if (size == 1) return static_cast<int8_t>(v);
  if (size == 2) return static_cast<int16_t>(v);
  return v;
}
double FileReadDouble(int h) {
  double v = 0;
  mql_file_read_bytes(h, &v, 8);
  return v;
}
bool FileReadBool(int h) {
  File* f = mql::get(h);
  if (f && f->text()) {
    string s = FileReadString(h);
    return s == string("true") || s == string("1");
  }
  return FileReadInteger(h, 1) != 0;
}
datetime FileReadDatetime(int h) {
  File* f = mql::get(h);
  if (f && f->text()) return StringToTime(FileReadString(h));
  return FileReadLong(h);
}
uint FileWriteInteger(int h, int v, int size) {
  return mql_file_write_bytes(h, &v, static_cast<size_t>(size == 1 || size == 2 ? size : 4));
}
uint FileWriteLong(int h, long v) { return mql_file_write_bytes(h, &v, 8); }
uint FileWriteDouble(int h, double v) { return mql_file_write_bytes(h, &v, 8); }

}  // namespace mql4api
