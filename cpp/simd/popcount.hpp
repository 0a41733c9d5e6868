// Population count of 64-bit words, the inner operation of AND + popcount
// inner products over 0/1 vectors (THEORY.md §5). In WASM `i64.popcnt` is one
// instruction (V8 lowers it to the host's popcnt). Baseline x86-64 (SSE2) has
// no popcnt instruction, so native kernels that want it are compiled twice —
// plainly and with SUBQUAD_POPCNT_TARGET — and pick one at run time by
// popcnt_supported().
#pragma once

#include <cstdint>

namespace subquad::simd {

inline int popcount64(std::uint64_t x) { return __builtin_popcountll(x); }

#if (defined(__x86_64__) || defined(__i386__)) && !defined(__POPCNT__)
#define SUBQUAD_POPCNT_DISPATCH 1
#define SUBQUAD_POPCNT_TARGET __attribute__((target("popcnt")))
inline bool popcnt_supported() { return __builtin_cpu_supports("popcnt"); }
#else
#define SUBQUAD_POPCNT_DISPATCH 0
#define SUBQUAD_POPCNT_TARGET
inline bool popcnt_supported() { return true; }
#endif

}  // namespace subquad::simd
