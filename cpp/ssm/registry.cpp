// The SSM registry (scans and blocks), option parsing, input validation and
// the seeded Mamba initialisation (Gu & Dao, arXiv 2312.00752, §3.6 and the
// reference implementation's Mamba.__init__).
#include <algorithm>
#include <cmath>
#include <string>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/registry.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "ssm/ssm.hpp"

namespace subquad::ssm {

namespace {

constexpr std::size_t kMaxL = std::size_t(1) << 24;
constexpr std::size_t kMaxD = 65536;
constexpr std::size_t kMaxN = 1024;

double scan_flops(std::size_t L, std::size_t D, std::size_t N) {
  // Per (t, c, k): multiply Δ·A, exp, two multiply-adds for h, one for y.
  return 6.0 * double(L) * D * N;
}
double scan_bytes(std::size_t L, std::size_t D, std::size_t N) {
  // x, Δ (L×D), B, C (L×N), A (D×N), Dskip (D): what the scan reads.
  return 4.0 * (2.0 * L * D + 2.0 * L * N + double(D) * N + D);
}

Cost cost_scan_reference(std::size_t L, std::size_t D, std::size_t N, const Params&) {
  return {scan_flops(L, D, N), scan_bytes(L, D, N), 8.0 * (L + N)};
}

Cost cost_scan(std::size_t L, std::size_t D, std::size_t N, const Params& p) {
  return {scan_flops(L, D, N), scan_bytes(L, D, N),
          4.0 * D * N + 128.0 * N * resolve_threads(p.threads)};
}

Cost cost_scan_chunked(std::size_t L, std::size_t D, std::size_t N, const Params& p) {
  const double T = double(std::min(p.chunk, L)), Np = double((N + 3) / 4 * 4);
  // Per chunk and channel: the T×T×N product, the masked mat-vec, the scaling.
  const double flops = double(D) * (double(L) / T) * (2.0 * T * T * Np + T * T + 8.0 * T * Np);
  const double scratch = 16.0 * T * Np + 4.0 * T * T + 4.0 * (T + Np) + 32.0 * N;
  return {flops, scan_bytes(L, D, N), scratch * resolve_threads(p.threads)};
}

std::size_t resolved_E(const Params& p, std::size_t D) { return p.E ? p.E : p.expand * D; }
std::size_t resolved_R(const Params& p, std::size_t D) {
  return p.dt_rank ? p.dt_rank : (D + 15) / 16;
}

double mamba_weight_count(std::size_t D, std::size_t E, std::size_t N, std::size_t R) {
  return 2.0 * D * E + 5.0 * E + E * double(R + 2 * N) + double(R) * E + 2.0 * E * N + double(E) * D;
}

Cost cost_mamba(std::size_t L, std::size_t D, std::size_t N, const Params& p) {
  const double E = double(resolved_E(p, D)), R = double(resolved_R(p, D)), P = R + 2.0 * N;
  const double per_row = 2.0 * (2.0 * D * E + E * P + R * E + E * D) + 10.0 * E + 6.0 * E * N;
  const double tile = 256.0 * (7.0 * E + P + 2.0 * N) + 4.0 * E * N;
  return {per_row * L, 8.0 * double(L) * D,
          4.0 * (tile + mamba_weight_count(D, std::size_t(E), N, std::size_t(R)))};
}

Cost cost_mamba_reference(std::size_t L, std::size_t D, std::size_t N, const Params& p) {
  Cost c = cost_mamba(L, D, N, p);
  const double E = double(resolved_E(p, D)), R = double(resolved_R(p, D));
  c.memory_bytes += 8.0 * L * (6.0 * E + R + 2.0 * R + 2.0 * N + 2.0 * D) + 8.0 * E * N;
  return c;
}

Cost cost_attention_block(std::size_t L, std::size_t D, std::size_t N, const Params& p) {
  const std::size_t H = resolved_heads(p, D), dh = D / std::max<std::size_t>(H, 1);
  const double pairs = double(L) * L * (p.causal ? 0.5 : 1.0);
  const double flops = 8.0 * L * double(D) * D + 4.0 * pairs * D;
  double attention_memory = 0;
  try {
    attention::Params ap;
    ap.causal = p.causal;
    ap.threads = p.threads;
    attention_memory = attention::find_method(resolved_attention(p)).cost(L, L, dh, ap).memory_bytes;
  } catch (const Error&) {
    // An unknown attention name is reported by make_weights; the estimate omits it.
  }
  return {flops, 8.0 * double(L) * D,
          4.0 * (4.0 * L * D + 4.0 * L * dh + 4.0 * D * D) + attention_memory};
}

Cost cost_attention_reference(std::size_t L, std::size_t D, std::size_t N, const Params& p) {
  Cost c = cost_attention_block(L, D, N, p);
  c.memory_bytes = 8.0 * (6.0 * L * D + L) + 16.0 * D * D;
  return c;
}

const std::vector<Method> kMethods = {
    {"scan_reference", "double-precision recurrence, one channel at a time: the yardstick",
     Kind::scan, scan_reference, nullptr, cost_scan_reference, "threads"},
    {"scan", "sequential scan, SIMD across channels, threads over channel blocks, O(D·N) state",
     Kind::scan, scan, nullptr, cost_scan, "threads"},
    {"scan_chunked", "chunks of `chunk` steps as matrix products, state passed between chunks",
     Kind::scan, scan_chunked, nullptr, cost_scan_chunked, "threads chunk"},
    {"mamba_block_reference", "Mamba block in double precision, obvious loops", Kind::block,
     nullptr, mamba_block_reference_run, cost_mamba_reference, "threads N E expand dt_rank seed input_seed"},
    {"mamba_block", "Mamba block: in-proj, conv+SiLU, Δ/B/C projections, scan, gate, out-proj",
     Kind::block, nullptr, mamba_block, cost_mamba, "threads N E expand dt_rank seed input_seed"},
    {"attention_block_reference", "attention block in double precision, obvious loops",
     Kind::block, nullptr, attention_block_reference_run, cost_attention_reference,
     "threads heads causal seed input_seed"},
    {"attention_block", "attention block: Q/K/V projections, multi-head attention, O projection",
     Kind::block, nullptr, attention_block, cost_attention_block,
     "threads heads causal attention seed input_seed"},
};

bool is_mamba(const std::string& name) { return name.rfind("mamba", 0) == 0; }

// Δ finite in [0, kMaxDelta]; names the first bad entry.
void require_delta(const float* delta, std::size_t count) {
  require_finite("delta", delta, count);
  for (std::size_t i = 0; i < count; ++i)
    if (!(delta[i] >= 0 && delta[i] <= kMaxDelta))
      throw Error("delta", "entry " + std::to_string(i) + " is " + detail::to_text(delta[i]) +
                               ", must be in [0, 10000] (Δ is a step size, a softplus output)");
}

void require_decay(const float* A, std::size_t count) {
  require_finite("A", A, count);
  for (std::size_t i = 0; i < count; ++i)
    if (!(A[i] <= 0 && A[i] >= -kMaxDelta))
      throw Error("A", "entry " + std::to_string(i) + " is " + detail::to_text(A[i]) +
                           ", must be in [-10000, 0] (A = -exp(A_log): the state decays)");
}

}  // namespace

const std::vector<Method>& methods() { return kMethods; }

const Method& find_method(const std::string& name) {
  return find_by_name(kMethods, name, "ssm");
}

std::string resolved_attention(const Params& params) {
  if (!params.attention.empty()) return params.attention;
  // flash lives on another branch until merged: use it when this build has it.
  try {
    attention::find_method("flash");
    return "flash";
  } catch (const Error&) {
    return "exact";
  }
}

std::size_t resolved_heads(const Params& params, std::size_t D) {
  if (params.heads) return params.heads;
  return D % 64 == 0 ? D / 64 : 1;
}

namespace {

Family make_family() {
  Family f;
  f.name = "ssm";
  f.summary = "a Mamba-style selective state-space model: the scan, and whole blocks beside an attention block";
  f.paper = "Gu & Dao, Mamba: Linear-Time Sequence Modeling with Selective State Spaces (arXiv 2312.00752)";
  f.dims = {{"L", 1, double(kMaxL), "sequence length"},
            {"D", 1, double(kMaxD), "channels (model width; blocks take at most 4096)"},
            {"N", 1, double(kMaxN), "state size per channel (scans; blocks take the option N)"}};
  f.inputs = {{"x", "L×D"}, {"delta", "L×D"}, {"A", "D×N"}, {"B", "L×N"}, {"C", "L×N"}, {"Dskip", "D"}};
  std::vector<std::string> attention_methods;
  for (const auto& m : attention::methods())  // positional_* need position weights a block has not
    if (!attention::takes_positions(m)) attention_methods.push_back(m.name);
  using T = OptionType;
  f.options = {
      {"threads", T::integer, "0", 0, 1024, {}, "threads to use; 0 = all the pool has (references run on one)"},
      {"chunk", T::integer, "64", 1, 65536, {}, "steps per chunk"},
      {"N", T::integer, "16", 1, 256, {}, "state size of the block's scan"},
      {"E", T::integer, "0", 0, 16384, {}, "inner width; 0 = expand·D"},
      {"expand", T::integer, "2", 1, 16, {}, "Mamba's expansion factor"},
      {"dt_rank", T::integer, "0", 0, 4096, {}, "rank of the Δ projection; 0 = ceil(D/16)"},
      {"heads", T::integer, "0", 0, 4096, {}, "attention heads; 0 = D/64 when 64 divides D, else 1"},
      {"causal", T::boolean, "true", 0, 0, {}, "attend to earlier positions only, like a language model"},
      {"attention", T::choice, "flash", 0, 0, attention_methods, "the attention method inside the block"},
      {"seed", T::integer, "1", 0, 9007199254740991.0, {}, "seed of the block's weights"},
      {"input_seed", T::integer, "1", 0, 9007199254740991.0, {}, "seed of the generated input x when none is given"},
  };
  for (const Method& m : kMethods) {
    // Every scan computes the recurrence up to rounding; a block's "exact" is its reference.
    MethodSpec spec{m.name, m.summary, m.kind == Kind::scan, option_list(m.options), {}, ""};
    if (m.kind == Kind::block) {
      spec.exact = std::string(m.name).find("reference") != std::string::npos;
      spec.inputs = {{"x", "L×D"}};
    }
    f.methods.push_back(spec);
  }
  f.cost = [](const std::string& method, const Dims& given, const Options& o) {
    const Dims dims = check_dims(family(), given);
    const Params p = params_from(o, method);
    const Method& m = find_method(method);
    const std::size_t L = dim_of(dims, "L"), D = dim_of(dims, "D");
    const std::size_t N = m.kind == Kind::scan ? dim_of(dims, "N") : p.N;
    return m.cost(L, D, N, p);
  };
  f.example = [](const std::string& method, const Dims& given, const Options& o, const Family::Ready& ready) {
    const Dims dims = check_dims(family(), given);
    const Params p = params_from(o, method);
    const Method& m = find_method(method);
    const std::size_t L = dim_of(dims, "L"), D = dim_of(dims, "D");
    std::vector<float> y(L * D);
    if (m.kind == Kind::block) {
      const auto x = uniform_matrix(L, D, 1.0, p.seed + 7);
      if (ready) ready();  // a block's cost model counts its weights
      const Weights w = make_weights(method, D, p);
      run_block(method, w, x.data(), L, p, y.data());
      return;
    }
    const std::size_t N = dim_of(dims, "N");
    const auto x = uniform_matrix(L, D, 1.0, 21), B = uniform_matrix(L, N, 1.0, 22), C = uniform_matrix(L, N, 1.0, 23);
    const auto Dskip = uniform_matrix(D, 1, 1.0, 24);
    auto delta = uniform_matrix(L, D, 0.05, 25), A = uniform_matrix(D, N, 1.0, 26);
    for (auto& v : delta) v = std::fabs(v);
    for (auto& v : A) v = -0.5f - std::fabs(v);
    Stats stats;
    stats.reserve(16);
    if (ready) ready();
    run_scan(method, {L, D, N, x.data(), delta.data(), A.data(), B.data(), C.data(), Dskip.data()}, p, y.data(),
             stats);
  };
  return f;
}

}  // namespace

const Family& family() {
  static const Family f = make_family();
  return f;
}

Params params_from(const Options& o, const std::string& method) {
  const OptionValues v(family(), method, o);
  Params p;
  if (v.takes("chunk")) p.chunk = static_cast<std::size_t>(v.integer("chunk"));
  if (v.takes("threads")) p.threads = static_cast<int>(v.integer("threads"));
  if (v.takes("N")) p.N = static_cast<std::size_t>(v.integer("N"));
  if (v.takes("E")) p.E = static_cast<std::size_t>(v.integer("E"));
  if (v.takes("expand")) p.expand = static_cast<std::size_t>(v.integer("expand"));
  if (v.takes("dt_rank")) p.dt_rank = static_cast<std::size_t>(v.integer("dt_rank"));
  if (v.takes("heads")) p.heads = static_cast<std::size_t>(v.integer("heads"));
  if (v.takes("causal")) p.causal = v.boolean("causal");
  if (v.takes("attention")) p.attention = v.text("attention");
  if (v.takes("seed")) p.seed = static_cast<std::uint64_t>(v.integer("seed"));
  return p;
}

const Method& prepare_scan(const std::string& name, const Problem& p, const Params& params) {
  const Method& m = find_method(name);
  if (m.kind != Kind::scan) throw Error("method", "'" + name + "' is a block, not a scan");
  require(p.L >= 1 && p.L <= kMaxL, "L", p.L, "in [1, 16777216]");
  require(p.D >= 1 && p.D <= kMaxD, "D", p.D, "in [1, 65536]");
  require(p.N >= 1 && p.N <= kMaxN, "N", p.N, "in [1, 1024]");
  require(params.chunk >= 1 && params.chunk <= (1u << 16), "chunk", params.chunk,
          "in [1, 65536]");
  resolve_threads(params.threads);
  const char* why = "larger entries can overflow float32 states";
  require_bounded("x", p.x, p.L * p.D, kMaxEntry, why);
  require_delta(p.delta, p.L * p.D);
  require_decay(p.A, p.D * p.N);
  require_bounded("B", p.B, p.L * p.N, kMaxEntry, why);
  require_bounded("C", p.C, p.L * p.N, kMaxEntry, why);
  require_bounded("Dskip", p.Dskip, p.D, kMaxEntry, why);
  require_memory(m.name, m.cost(p.L, p.D, p.N, params).memory_bytes);
  return m;
}

void execute_scan(const Method& m, const Problem& p, const Params& params, float* y, Stats& stats) {
  m.scan(p, params, y, stats);
}

void run_scan(const std::string& name, const Problem& p, const Params& params, float* y, Stats& stats) {
  execute_scan(prepare_scan(name, p, params), p, params, y, stats);
}

Weights make_weights(const std::string& name, std::size_t D, const Params& params) {
  const Method& m = find_method(name);
  if (m.kind != Kind::block) throw Error("method", "'" + name + "' is a scan, not a block");
  require(D >= 1 && D <= 4096, "D", D, "in [1, 4096]");
  Weights w;
  w.D = D;
  Rng rng(params.seed);
  auto uniform = [&](std::size_t count, double bound) {
    std::vector<float> v(count);
    for (auto& e : v) e = static_cast<float>(rng.uniform(-bound, bound));
    return v;
  };
  if (is_mamba(name)) {
    w.family = "mamba";
    w.N = params.N;
    w.E = resolved_E(params, D);
    w.R = resolved_R(params, D);
    require(w.N >= 1 && w.N <= 256, "N", w.N, "in [1, 256]");
    require(w.E >= 1 && w.E <= 16384, "E", w.E, "in [1, 16384] (E = expand·D by default)");
    require(w.R >= 1 && w.R <= w.E, "dt_rank", w.R, "in [1, E]");
    require_memory("weights", 4.0 * mamba_weight_count(D, w.E, w.N, w.R));
    const std::size_t E = w.E, N = w.N, R = w.R;
    w.in_proj = uniform(D * 2 * E, 1.0 / std::sqrt(double(D)));
    w.conv_w = uniform(4 * E, 0.5);  // depthwise: fan_in = width 4
    w.conv_b = uniform(E, 0.5);
    w.x_proj = uniform(E * (R + 2 * N), 1.0 / std::sqrt(double(E)));
    w.dt_proj = uniform(R * E, 1.0 / std::sqrt(double(R)));
    w.dt_bias.resize(E);
    for (auto& b : w.dt_bias) {
      // Δ = softplus(bias) log-uniform in [1e-3, 1e-1]: bias = Δ + log(−expm1(−Δ)).
      const double dt = std::max(1e-4, std::exp(rng.uniform(std::log(1e-3), std::log(1e-1))));
      b = static_cast<float>(dt + std::log(-std::expm1(-dt)));
    }
    w.A.resize(E * N);
    for (std::size_t c = 0; c < E; ++c)
      for (std::size_t k = 0; k < N; ++k)
        w.A[c * N + k] = -static_cast<float>(k + 1);  // A = −exp(A_log), A_log = log(1…N)
    w.Dskip.assign(E, 1.0f);
    w.out_proj = uniform(E * D, 1.0 / std::sqrt(double(E)));
  } else {
    w.family = "attention";
    w.heads = resolved_heads(params, D);
    require(w.heads >= 1 && w.heads <= D && D % w.heads == 0, "heads", w.heads,
            "a divisor of D");
    w.attention = resolved_attention(params);
    try {
      attention::find_method(w.attention);
    } catch (const Error& e) {
      throw Error("attention", std::string(e.what()).substr(std::string("method: ").size()));
    }
    require_memory("weights", 16.0 * D * D);
    const double bound = 1.0 / std::sqrt(double(D));
    w.Wq = uniform(D * D, bound);
    w.Wk = uniform(D * D, bound);
    w.Wv = uniform(D * D, bound);
    w.Wo = uniform(D * D, bound);
  }
  return w;
}

void run_block(const std::string& name, const Weights& w, const float* x, std::size_t L,
               const Params& params, float* y) {
  const Method& m = find_method(name);
  if (m.kind != Kind::block) throw Error("method", "'" + name + "' is a scan, not a block");
  if (w.family != (is_mamba(name) ? "mamba" : "attention"))
    throw Error("weights", "made for a " + w.family + " block, not for " + name);
  require(L >= 1 && L <= kMaxL, "L", L, "in [1, 16777216]");
  resolve_threads(params.threads);
  require_bounded("x", x, L * w.D, kMaxEntry, "larger entries can overflow float32 projections");
  Params p = params;
  p.N = w.N ? w.N : p.N;
  p.E = w.E;
  p.dt_rank = w.R;
  p.heads = w.heads;
  p.attention = w.attention;
  require_memory(m.name, m.cost(L, w.D, p.N, p).memory_bytes);
  m.block(w, x, L, p, y);
}

}  // namespace subquad::ssm
