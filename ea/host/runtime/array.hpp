// MQL4 arrays: dynamic (`int a[]`) and static (`int a[10]`), bounds-checked. An index out of
// range stops the EA with "array out of range in 'File.mq4' (line,col)" like MT4.
#pragma once

#include <algorithm>

#include "string.hpp"

namespace mql4api {
constexpr int WHOLE_ARRAY = -1;
constexpr int MODE_ASCEND = 1;
constexpr int MODE_DESCEND = 2;
}  // namespace mql4api

namespace mql {

// Elements are wrapped so Array<bool> gets real bool& (std::vector<bool> would not).
template <class T>
struct Cell {
  T v{};
};

template <class T>
class Array {
 public:
  std::vector<Cell<T>> v;
  bool fixed = false;
  bool series = false;

  Array() = default;
  Array(FixedSize, long long n) : v(static_cast<size_t>(n < 0 ? 0 : n)), fixed(true) {}
  Array(FixedInit, long long n, std::initializer_list<T> il) : fixed(true) {
    size_t count = n < 0 ? il.size() : static_cast<size_t>(n);
    v.resize(count);
    size_t k = 0;
    for (const T& x : il) {
      if (k >= count) break;
      v[k++].v = x;
    }
  }

  int size() const { return static_cast<int>(v.size()); }
  T* data() { return v.empty() ? nullptr : &v[0].v; }
  const T* data() const { return v.empty() ? nullptr : &v[0].v; }

  T& operator[](Ix i) { return v[check(i)].v; }
  const T& operator[](Ix i) const { return v[check(i)].v; }
  // Unchecked-position access for runtime code (still bounds-checked, no location).
  T& at(int i) { return v[check(Ix{i, -1})].v; }
  const T& at(int i) const { return v[check(Ix{i, -1})].v; }

  int resize(int n, int reserve = 0) {
    if (fixed) return -1;
    if (n < 0) return -1;
    if (reserve > 0) v.reserve(static_cast<size_t>(n + reserve));
    v.resize(static_cast<size_t>(n));
    return n;
  }

 private:
  size_t check(Ix i) const {
    if (i.i < 0 || i.i >= static_cast<long long>(v.size())) critical("array out of range", i.loc);
    return static_cast<size_t>(series ? static_cast<long long>(v.size()) - 1 - i.i : i.i);
  }
};

// Inner dimension of a multi-dimensional array: `double m[][4]` is Array<Row<double,4>>.
template <class T, int N>
class Row : public Array<T> {
 public:
  Row() : Array<T>(fixed_size, N) {}
  Row(std::initializer_list<T> il) : Array<T>(fixed_init, N, il) {}
};

template <class T>
struct ElemCount {
  static constexpr int value = 1;
};
template <class T, int N>
struct ElemCount<Row<T, N>> {
  static constexpr int value = N * ElemCount<T>::value;
};

template <class T>
struct RowInfo {
  static constexpr int n = 0;
  static constexpr int depth = 0;
  using inner = char;
};
template <class T, int N>
struct RowInfo<Row<T, N>> {
  static constexpr int n = N;
  static constexpr int depth = 1 + RowInfo<T>::depth;
  using inner = T;
};

}  // namespace mql

namespace mql4api {
using mql::Array;

template <class T>
int ArraySize(const Array<T>& a) { return a.size() * mql::ElemCount<T>::value; }
template <class T>
int ArrayRange(const Array<T>& a, int dim) {
  if (dim == 0) return a.size();
  if (dim == 1) return mql::RowInfo<T>::n > 0 ? mql::RowInfo<T>::n : -1;
  if (dim == 2) return mql::RowInfo<typename mql::RowInfo<T>::inner>::n > 0
                           ? mql::RowInfo<typename mql::RowInfo<T>::inner>::n : -1;
  return -1;
}
template <class T>
int ArrayResize(Array<T>& a, int n, int reserve = 0) {
  int r = a.resize(n, reserve);
  if (r < 0) mql::set_error(4007);  // ERR_ARRAY_RESIZE-ish; MT4 leaves static arrays alone
  return r;
}
template <class T>
void ArrayFree(Array<T>& a) {
  if (!a.fixed) a.v.clear(), a.v.shrink_to_fit();
}
template <class T>
bool ArrayIsDynamic(const Array<T>& a) { return !a.fixed; }
template <class T>
bool ArrayIsSeries(const Array<T>&) { return false; }
template <class T>
bool ArrayGetAsSeries(const Array<T>& a) { return a.series; }
template <class T>
bool ArraySetAsSeries(Array<T>& a, bool flag) {
  a.series = flag;
  return true;
}
template <class T>
int ArrayDimension(const Array<T>&) { return 1 + mql::RowInfo<T>::depth; }
template <class T, class V>
int ArrayInitialize(Array<T>& a, V value) {
  for (auto& c : a.v) c.v = static_cast<T>(value);
  return a.size();
}
template <class T, class V>
void ArrayFill(Array<T>& a, int start, int count, V value) {
  if (start < 0) return;
  int end = std::min(a.size(), start + count);
  if (end > a.size() && !a.fixed) a.resize(end);
  for (int i = start; i < end; ++i) a.v[static_cast<size_t>(i)].v = static_cast<T>(value);
}
template <class T, class S>
int ArrayCopy(Array<T>& dst, const Array<S>& src, int dst_start = 0, int src_start = 0,
              int count = WHOLE_ARRAY) {
  if (dst_start < 0 || src_start < 0) return 0;
  int avail = src.size() - src_start;
  if (avail <= 0) return 0;
  int n = (count < 0 || count > avail) ? avail : count;
  if (dst.size() < dst_start + n) {
    if (dst.fixed) n = std::max(0, dst.size() - dst_start);
    else dst.resize(dst_start + n);
  }
  if (&dst == reinterpret_cast<const Array<T>*>(&src) && dst_start > src_start) {
    for (int i = n - 1; i >= 0; --i)
      dst.v[size_t(dst_start + i)].v = static_cast<T>(src.v[size_t(src_start + i)].v);
  } else {
    for (int i = 0; i < n; ++i)
      dst.v[size_t(dst_start + i)].v = static_cast<T>(src.v[size_t(src_start + i)].v);
  }
  return n;
}
template <class T>
int ArrayMaximum(const Array<T>& a, int count = WHOLE_ARRAY, int start = 0) {
  int end = (count < 0) ? a.size() : std::min(a.size(), start + count);
  int best = -1;
  for (int i = start; i < end; ++i)
    if (best < 0 || a.v[size_t(i)].v > a.v[size_t(best)].v) best = i;
  return best;
}
template <class T>
int ArrayMinimum(const Array<T>& a, int count = WHOLE_ARRAY, int start = 0) {
  int end = (count < 0) ? a.size() : std::min(a.size(), start + count);
  int best = -1;
  for (int i = start; i < end; ++i)
    if (best < 0 || a.v[size_t(i)].v < a.v[size_t(best)].v) best = i;
  return best;
}
template <class T>
bool ArraySort(Array<T>& a, int count = WHOLE_ARRAY, int start = 0, int direction = MODE_ASCEND) {
  if (start < 0 || start > a.size()) return false;
  int end = (count < 0) ? a.size() : std::min(a.size(), start + count);
  auto b = a.v.begin() + start, e = a.v.begin() + end;
  if constexpr (mql::ElemCount<T>::value > 1) {
    auto key = [](const mql::Cell<T>& c) { return c.v.at(0); };
    if (direction == MODE_DESCEND)
      std::stable_sort(b, e, [&](auto& x, auto& y) { return key(x) > key(y); });
    else
      std::stable_sort(b, e, [&](auto& x, auto& y) { return key(x) < key(y); });
  } else {
    if (direction == MODE_DESCEND)
      std::stable_sort(b, e, [](auto& x, auto& y) { return x.v > y.v; });
    else
      std::stable_sort(b, e, [](auto& x, auto& y) { return x.v < y.v; });
  }
  return true;
}
template <class T, class V>
int ArrayBsearch(const Array<T>& a, V value, int count = WHOLE_ARRAY, int start = 0) {
  int end = (count < 0) ? a.size() : std::min(a.size(), start + count);
  int lo = start, hi = end - 1, best = start;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (a.v[size_t(mid)].v == value) return mid;
    if (a.v[size_t(mid)].v < value) lo = mid + 1, best = mid;
    else hi = mid - 1;
  }
  return best;
}

}  // namespace mql4api
