// A small persistent thread pool: parallel_for over blocks of rows.
//
// One code path for every build: in the `st` WASM flavour (no pthreads) and
// with threads = 1 the blocks run inline on the calling thread. In `mt` the
// workers are Emscripten pthreads; the number a call may use never exceeds the
// pool the JS side created, because starting more while the caller blocks
// hangs Emscripten 3.1.6 silently.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

namespace subquad {

// Threads a call may use: the pool size (1 without thread support).
int max_threads();

// Set once by the bindings from the size of the pthread pool; clamped to
// [1, what the platform supports].
void set_max_threads(int n);

// 0 → max_threads(); otherwise must be in [1, max_threads()] (throws Error "threads").
int resolve_threads(int requested);

// Calls body(begin, end, worker) over [0, count) in blocks of `grain`, the
// blocks handed out dynamically to `threads` workers (worker 0 is the caller).
// The first exception thrown by any block is rethrown on the caller after
// all workers stop. A cancel request stops the loop at the next block.
using BlockBody = std::function<void(std::size_t begin, std::size_t end, int worker)>;
void parallel_for(std::size_t count, std::size_t grain, int threads, const BlockBody& body);

// Cancellation: the page sets the flag (through shared memory in `mt`, between
// calls in `st`); kernels and parallel_for poll it once per block.
std::atomic<int>& cancel_flag();
inline bool cancel_requested() { return cancel_flag().load(std::memory_order_relaxed) != 0; }
// Throws Error("cancelled", …) when a cancel was requested.
void throw_if_cancelled();

}  // namespace subquad
