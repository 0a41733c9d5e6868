// Native measurement CLI, driven by build/bench.mjs for the "native" flavour:
//   subquad_measure --suite attention --method exact --n 1024 --d 64 --threads 2
// prints one JSON line (the same record the WASM build produces).
// subquad_measure --list prints the attention registry.
#include <cstdio>
#include <string>

#include "attention/attention.hpp"
#include "bench/measure.hpp"
#include "common/error.hpp"

int main(int argc, char** argv) {
  subquad::Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--list") {
      for (const auto& m : subquad::attention::methods()) std::printf("attention %s\n", m.name);
      return 0;
    }
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::fprintf(stderr, "usage: %s --suite attention|peak [--key value]...\n", argv[0]);
      return 2;
    }
    o.set(a.substr(2), argv[++i]);
  }
  try {
    std::printf("%s\n", subquad::bench::measure(o).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
