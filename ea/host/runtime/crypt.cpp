// CryptEncode/CryptDecode: Base64, SHA-1, SHA-256, MD5 (self-contained implementations written
// from the FIPS 180-4 / RFC 1321 / RFC 4648 descriptions; no OpenSSL dependency).
#include <cmath>
#include <cstring>

#include "internal.hpp"

namespace mql {
namespace {

typedef std::vector<uint8_t> Bytes;

uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// Merkle-Damgard padding shared by SHA-1/SHA-256 (big-endian length) and MD5 (little-endian).
Bytes pad(const Bytes& in, bool big_endian) {
  Bytes m = in;
  uint64_t bits = static_cast<uint64_t>(in.size()) * 8;
  m.push_back(0x80);
  while (m.size() % 64 != 56) m.push_back(0);
  for (int i = 0; i < 8; ++i)
    m.push_back(static_cast<uint8_t>(big_endian ? bits >> (56 - 8 * i) : bits >> (8 * i)));
  return m;
}

Bytes sha1(const Bytes& in) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  Bytes m = pad(in, true);
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i)
      w[i] = (uint32_t(m[off + 4 * i]) << 24) | (uint32_t(m[off + 4 * i + 1]) << 16) |
             (uint32_t(m[off + 4 * i + 2]) << 8) | uint32_t(m[off + 4 * i + 3]);
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  Bytes out;
  for (uint32_t v : h)
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  return out;
}

const uint32_t kSha256K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

Bytes sha256(const Bytes& in) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  Bytes m = pad(in, true);
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = (uint32_t(m[off + 4 * i]) << 24) | (uint32_t(m[off + 4 * i + 1]) << 16) |
             (uint32_t(m[off + 4 * i + 2]) << 8) | uint32_t(m[off + 4 * i + 3]);
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t S1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
      uint32_t ch = (e & f) ^ (~e & g);
      uint32_t t1 = hh + S1 + ch + kSha256K[i] + w[i];
      uint32_t S0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
      uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
      uint32_t t2 = S0 + mj;
      hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
  }
  Bytes out;
  for (uint32_t v : h)
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  return out;
}

Bytes md5(const Bytes& in) {
  static const int S[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                            5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                            4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                            6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
  uint32_t K[64];
  for (int i = 0; i < 64; ++i)
    K[i] = static_cast<uint32_t>(static_cast<uint64_t>(std::fabs(std::sin(i + 1.0)) * 4294967296.0));
  uint32_t a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
  Bytes m = pad(in, false);
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t M[16];
    for (int i = 0; i < 16; ++i)
      M[i] = uint32_t(m[off + 4 * i]) | (uint32_t(m[off + 4 * i + 1]) << 8) |
             (uint32_t(m[off + 4 * i + 2]) << 16) | (uint32_t(m[off + 4 * i + 3]) << 24);
    uint32_t A = a0, B = b0, C = c0, D = d0;
    for (int i = 0; i < 64; ++i) {
      uint32_t F;
      int g;
      if (i < 16) F = (B & C) | (~B & D), g = i;
      else if (i < 32) F = (D & B) | (~D & C), g = (5 * i + 1) % 16;
      else if (i < 48) F = B ^ C ^ D, g = (3 * i + 5) % 16;
      else F = C ^ (B | ~D), g = (7 * i) % 16;
      F = F + A + K[i] + M[g];
      A = D, D = C, C = B, B = B + rol(F, S[i]);
    }
    a0 += A, b0 += B, c0 += C, d0 += D;
  }
  Bytes out;
  for (uint32_t v : {a0, b0, c0, d0})
    for (int s = 0; s < 32; s += 8) out.push_back(static_cast<uint8_t>(v >> s));
  return out;
}

const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Bytes b64enc(const Bytes& in) {
  Bytes out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = uint32_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint32_t(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= in[i + 2];
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < in.size() ? kB64[v & 63] : '=');
  }
  return out;
}

bool b64dec(const Bytes& in, Bytes& out) {
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t c : in) {
    if (c == '=' || c == '\r' || c == '\n') continue;
    const char* p = std::strchr(kB64, c);
    if (!p || !c) return false;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return true;
}

Bytes to_bytes(const mql4api::Array<mql4api::uchar>& a) {
  const uint8_t* p = a.data();
  return p ? Bytes(p, p + a.size()) : Bytes();
}

int store(const Bytes& b, mql4api::Array<mql4api::uchar>& out) {
  if (out.fixed && out.size() < static_cast<int>(b.size())) {
    set_error(mql4api::ERR_INVALID_FUNCTION_PARAMVALUE);
    return 0;
  }
  if (!out.fixed) out.resize(static_cast<int>(b.size()));
  for (size_t i = 0; i < b.size(); ++i) out.at(static_cast<int>(i)) = b[i];
  return static_cast<int>(b.size());
}

}  // namespace
}  // namespace mql

namespace mql4api {

int CryptEncode(ENUM_CRYPT_METHOD method, const Array<uchar>& data, const Array<uchar>&,
                Array<uchar>& result) {
  mql::Bytes in = mql::to_bytes(data);
  switch (method) {
    case CRYPT_BASE64: return mql::store(mql::b64enc(in), result);
    case CRYPT_HASH_SHA1: return mql::store(mql::sha1(in), result);
    case CRYPT_HASH_SHA256: return mql::store(mql::sha256(in), result);
    case CRYPT_HASH_MD5: return mql::store(mql::md5(in), result);
    default:
      // AES/DES/ZIP are not implemented by ea/host: fail like a bad parameter, loudly in logs.
      Print("ea/host: CryptEncode method ", static_cast<int>(method), " is not supported");
      mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE);
      return 0;
  }
}

int CryptDecode(ENUM_CRYPT_METHOD method, const Array<uchar>& data, const Array<uchar>&,
                Array<uchar>& result) {
  if (method != CRYPT_BASE64) {
    Print("ea/host: CryptDecode method ", static_cast<int>(method), " is not supported");
    mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE);
    return 0;
  }
  mql::Bytes out;
  if (!mql::b64dec(mql::to_bytes(data), out)) {
    mql::set_error(ERR_INVALID_FUNCTION_PARAMVALUE);
    return 0;
  }
  return mql::store(out, result);
}

}  // namespace mql4api
