// libFuzzer entry point; the target is chosen at compile time (SUBQUAD_FUZZ_TARGET).
#include <cstring>

#include "fuzz/harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, unsigned long size) {
  for (const auto& t : subquad::fuzz::targets())
    if (std::strcmp(t.name, SUBQUAD_FUZZ_TARGET) == 0) return t.run(data, size);
  return 0;
}
