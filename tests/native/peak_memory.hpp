// Test-only allocator hook (peak_memory.cpp): this binary's global operator new/delete
// count the bytes in use across all threads and keep a high-water mark, so a test can
// compare what a method really allocates with its cost model's memory_bytes.
// Only operator new is seen (std::vector and friends); malloc and thread stacks are not.
#pragma once

#include <cstddef>

namespace subquad::testing {

// False under AddressSanitizer, whose allocator must keep operator new: nothing is counted.
bool peak_memory_available();

// Measures from construction: extra_bytes() is the peak of bytes in use since then minus
// what was in use at construction. One measurement at a time.
class PeakMemory {
 public:
  PeakMemory();
  double extra_bytes() const;

 private:
  std::size_t baseline_;
};

}  // namespace subquad::testing
