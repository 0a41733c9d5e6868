// Replaces every global operator new/delete of the test binary (plain, array, nothrow,
// aligned, sized) with versions that count bytes in use and a high-water mark (see
// peak_memory.hpp). Each block carries a 16-byte header (its malloc pointer and size) just
// before the address handed out, so unsized deletes know what they free.
#include "peak_memory.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define SUBQUAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SUBQUAD_ASAN 1
#endif
#endif

namespace {

std::atomic<std::size_t> g_in_use{0};
std::atomic<std::size_t> g_peak{0};

}  // namespace

namespace subquad::testing {

#ifdef SUBQUAD_ASAN
bool peak_memory_available() { return false; }
#else
bool peak_memory_available() { return true; }
#endif

PeakMemory::PeakMemory() : baseline_(g_in_use.load()) { g_peak.store(baseline_); }

double PeakMemory::extra_bytes() const {
  const std::size_t peak = g_peak.load();
  return peak > baseline_ ? static_cast<double>(peak - baseline_) : 0.0;
}

}  // namespace subquad::testing

#ifndef SUBQUAD_ASAN

namespace {

struct Header {
  void* raw;
  std::size_t size;
};
static_assert(sizeof(Header) <= 16, "the header must fit the 16 bytes before each block");

void* counted_alloc(std::size_t size, std::size_t align) noexcept {
  align = std::max<std::size_t>(align, 16);
  void* raw = nullptr;
  // The block starts `align` bytes in (a multiple of align), leaving room for the header.
  if (align == 16) raw = std::malloc(size + 16);
  else if (posix_memalign(&raw, align, size + align) != 0) raw = nullptr;
  if (!raw) return nullptr;
  char* user = static_cast<char*>(raw) + align;
  *reinterpret_cast<Header*>(user - 16) = {raw, size};
  const std::size_t now = g_in_use.fetch_add(size) + size;
  std::size_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return user;
}

void counted_free(void* p) noexcept {
  if (!p) return;
  const Header h = *reinterpret_cast<Header*>(static_cast<char*>(p) - 16);
  g_in_use.fetch_sub(h.size);
  std::free(h.raw);
}

void* counted_new(std::size_t size, std::size_t align) {
  void* p = counted_alloc(size ? size : 1, align);
  if (!p) throw std::bad_alloc();
  return p;
}

constexpr std::size_t kDefault = alignof(std::max_align_t);

}  // namespace

void* operator new(std::size_t n) { return counted_new(n, kDefault); }
void* operator new[](std::size_t n) { return counted_new(n, kDefault); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n ? n : 1, kDefault); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n ? n : 1, kDefault); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_new(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_new(n, std::size_t(a)); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n ? n : 1, std::size_t(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n ? n : 1, std::size_t(a));
}
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_free(p); }

#endif  // SUBQUAD_ASAN
