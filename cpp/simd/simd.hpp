// The one portable vector layer: GCC/Clang vector extensions, which compile to
// SSE natively and to SIMD128 in WASM from the same source. Kernels use only
// what is here; no intrinsics or #ifdef __wasm__ in algorithm code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace subquad::simd {

typedef float f32x4 __attribute__((vector_size(16)));
typedef std::int32_t i32x4 __attribute__((vector_size(16)));
// Same vectors with 4-byte alignment, for unaligned loads and stores.
typedef float f32x4_u __attribute__((vector_size(16), aligned(4)));
typedef std::int32_t i32x4_u __attribute__((vector_size(16), aligned(4)));

constexpr int kWidth = 4;

inline f32x4 load(const float* p) { return *reinterpret_cast<const f32x4_u*>(p); }
inline void store(float* p, f32x4 v) { *reinterpret_cast<f32x4_u*>(p) = v; }
inline f32x4 splat(float x) { return f32x4{x, x, x, x}; }

// Loads the first `count` (< 4) floats, the rest zero; stores likewise.
inline f32x4 load_partial(const float* p, std::size_t count) {
  f32x4 v = splat(0.0f);
  for (std::size_t i = 0; i < count; ++i) v[i] = p[i];
  return v;
}
inline void store_partial(float* p, f32x4 v, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) p[i] = v[i];
}

inline i32x4 as_int(f32x4 v) {
  i32x4 r;
  std::memcpy(&r, &v, sizeof r);
  return r;
}
inline f32x4 as_float(i32x4 v) {
  f32x4 r;
  std::memcpy(&r, &v, sizeof r);
  return r;
}
// Lane-wise mask ? a : b, where mask lanes are all ones or all zeros.
// a·b + c. In the FMA flavours (built by clang ≥ 16 with -mrelaxed-simd and
// SUBQUAD_FMA, ../shared/TOOLCHAIN.md) one relaxed multiply-add, rounded once
// or twice as the host decides; everywhere else a multiply and an add. The
// micro-kernels, the calibrated ceiling and the Horner steps of exp, exp2 and
// exp2_nonpositive below call this.
#if defined(SUBQUAD_FMA) && defined(__wasm_relaxed_simd__) && defined(__clang_major__) && __clang_major__ >= 16
constexpr bool kFma = true;
inline f32x4 madd(f32x4 a, f32x4 b, f32x4 c) { return __builtin_wasm_relaxed_madd_f32x4(a, b, c); }
#else
constexpr bool kFma = false;
inline f32x4 madd(f32x4 a, f32x4 b, f32x4 c) { return a * b + c; }
#endif

inline f32x4 select(i32x4 mask, f32x4 a, f32x4 b) {
  return as_float((mask & as_int(a)) | (~mask & as_int(b)));
}
inline f32x4 max(f32x4 a, f32x4 b) { return select(a > b, a, b); }
inline f32x4 min(f32x4 a, f32x4 b) { return select(a < b, a, b); }

// True when any lane of a comparison mask (all ones / all zeros lanes) is set:
// one instruction on each target (v128.any_true, movmskps).
inline bool any(i32x4 mask) {
#if defined(__wasm_simd128__)
  typedef signed char i8x16 __attribute__((vector_size(16)));
  return __builtin_wasm_any_true_v128(reinterpret_cast<i8x16>(mask));
#elif defined(__SSE__)
  return __builtin_ia32_movmskps(as_float(mask)) != 0;
#else
  return (mask[0] | mask[1] | mask[2] | mask[3]) != 0;
#endif
}

inline float hsum(f32x4 v) { return (v[0] + v[2]) + (v[1] + v[3]); }
inline float hmax(f32x4 v) {
  const float a = v[0] > v[1] ? v[0] : v[1];
  const float b = v[2] > v[3] ? v[2] : v[3];
  return a > b ? a : b;
}

// The largest of x[0..count) (−inf when count = 0): a softmax row's max.
inline float max_of(const float* x, std::size_t count) {
  f32x4 v = splat(-__builtin_inff());
  std::size_t j = 0;
  for (; j + 4 <= count; j += 4) v = max(v, load(x + j));
  float m = hmax(v);
  for (; j < count; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// exp(x) for float lanes, Cephes-style: x = n·ln2 + r, |r| ≤ ln2/2, exp(r) by a
// degree-6 polynomial. Relative error ≤ 2e-7 on [-87.3, 88.3] (checked against
// std::exp in tests/native/test_simd.cpp); below -87.3 the result is exactly 0,
// above 88.3 it saturates at exp(88.3). No NaN handling: callers pass finite values.
inline f32x4 exp(f32x4 x) {
  const f32x4 hi = splat(88.3f), lo = splat(-87.3f);
  const i32x4 underflow = x < lo;
  x = min(max(x, lo), hi);
  // n = round(x / ln2) by the 1.5·2^23 trick (exact for |n| < 2^22).
  // The sum's low mantissa bits hold n as an integer, which spares a float→int
  // conversion (a long instruction sequence in WASM on x64).
  const f32x4 magic = splat(12582912.0f);
  const f32x4 shifted = x * splat(1.44269504088896341f) + magic;
  const f32x4 n = shifted - magic;
  // Cody–Waite reduction in two steps keeps r accurate.
  f32x4 r = x - n * splat(0.693359375f);
  r = r - n * splat(-2.12194440e-4f);
  f32x4 p = splat(1.9875691500e-4f);
  p = madd(p, r, splat(1.3981999507e-3f));
  p = madd(p, r, splat(8.3334519073e-3f));
  p = madd(p, r, splat(4.1665795894e-2f));
  p = madd(p, r, splat(1.6666665459e-1f));
  p = madd(p, r, splat(5.0000001201e-1f));
  p = p * (r * r) + r + splat(1.0f);
  const i32x4 e = (as_int(shifted) - as_int(magic) + 127) << 23;
  const f32x4 result = p * as_float(e);
  return select(underflow, splat(0.0f), result);
}

inline float exp(float x) { return exp(splat(x))[0]; }

// 2^x for float lanes, the base of the fused kernels' softmax (scores are
// pre-multiplied by log2 e, so no range reduction by ln 2 is needed):
// x = n + f, n = round(x), |f| ≤ 1/2, 2^f by its degree-6 Taylor polynomial in
// f·ln2 (truncation ≤ (ln2/2)^7/7! ≈ 1.2e-7). Relative error ≤ 3e-7 on
// [-126, 127] (checked against std::exp2 in tests/native/test_simd.cpp); below
// -126 (including -inf) the result is exactly 0, above 127 it saturates at 2^127.
inline f32x4 exp2(f32x4 x) {
  const i32x4 underflow = x < splat(-126.0f);
  x = min(max(x, splat(-126.0f)), splat(127.0f));
  const f32x4 magic = splat(12582912.0f);  // round to nearest, n in the low bits (see exp)
  const f32x4 shifted = x + magic;
  const f32x4 n = shifted - magic;
  const f32x4 f = x - n;
  f32x4 p = splat(1.5403530393381609e-4f);  // ln2^6/6!
  p = madd(p, f, splat(1.3333558146428443e-3f));  // ln2^5/5!
  p = madd(p, f, splat(9.6181291076284772e-3f));  // ln2^4/4!
  p = madd(p, f, splat(5.5504108664821580e-2f));  // ln2^3/3!
  p = madd(p, f, splat(2.4022650695910071e-1f));  // ln2^2/2!
  p = madd(p, f, splat(6.9314718055994531e-1f));  // ln2
  p = madd(p, f, splat(1.0f));
  const i32x4 e = (as_int(shifted) - as_int(magic) + 127) << 23;
  return select(underflow, splat(0.0f), p * as_float(e));
}

inline float exp2(float x) { return exp2(splat(x))[0]; }


// 2^x for x ≤ 0 — decay factors, where the scan of cpp/ssm/ spends its time.
// Cephes exp2f: x = n + r, |r| ≤ 1/2, 2^r = 1 + r·P(r) with P of degree 5.
// Relative error ≤ 2e-7 on [−126, 0] (tests/native/test_simd.cpp); below −126
// it returns ≈ 2^−126 instead of a smaller number (zero to float precision
// for a factor). About two thirds of exp's operations: no upper clamp, no
// underflow select, no Cody–Waite split (the caller folds log2(e) into its
// constants). Callers pass finite x ≤ 0.
inline f32x4 exp2_nonpositive(f32x4 x) {
  x = max(x, splat(-126.0f));
  // Round to nearest by 1.5·2^23: the sum's low mantissa bits hold n as an
  // integer, which spares a float→int conversion (a long sequence in WASM on x64).
  const f32x4 magic = splat(12582912.0f);
  const f32x4 shifted = x + magic;
  const f32x4 n = shifted - magic;
  const f32x4 r = x - n;
  f32x4 p = splat(1.535336188319500e-4f);
  p = madd(p, r, splat(1.339887440266574e-3f));
  p = madd(p, r, splat(9.618437357674640e-3f));
  p = madd(p, r, splat(5.550332471162809e-2f));
  p = madd(p, r, splat(2.402264791363012e-1f));
  p = madd(p, r, splat(6.931472028550421e-1f));
  p = madd(p, r, splat(1.0f));
  const i32x4 e = (as_int(shifted) - as_int(magic) + 127) << 23;
  return p * as_float(e);
}

}  // namespace subquad::simd
