#include "common/threads.hpp"

#include <algorithm>
#include <exception>
#include <string>

#include "common/error.hpp"

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define SUBQUAD_NO_THREADS 1
#else
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace subquad {

namespace {

std::atomic<int> g_cancel{0};

int platform_threads() {
#ifdef SUBQUAD_NO_THREADS
  return 1;
#elif defined(__EMSCRIPTEN__)
  return 64;  // bounded by the pthread pool the JS side creates
#else
  return std::max(1u, std::thread::hardware_concurrency());
#endif
}

#ifdef SUBQUAD_NO_THREADS
int g_max_threads = 1;
#elif defined(__EMSCRIPTEN__)
int g_max_threads = 1;  // raised by set_max_threads() once the pool exists
#else
int g_max_threads = platform_threads();
#endif

// Runs the blocks of one parallel_for; shared by the caller and the workers.
struct Job {
  std::size_t count = 0, grain = 1;
  const BlockBody* body = nullptr;
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  std::mutex error_mutex;

  void run(int worker) {
    for (;;) {
      if (failed.load(std::memory_order_relaxed) || cancel_requested()) return;
      const std::size_t begin = next.fetch_add(grain, std::memory_order_relaxed);
      if (begin >= count) return;
      const std::size_t end = std::min(count, begin + grain);
      try {
        (*body)(begin, end, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        failed.store(true);
      }
    }
  }
};

#ifndef SUBQUAD_NO_THREADS
thread_local bool t_inside_parallel = false;

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  // Runs job on the caller plus (threads - 1) pool workers; returns when all are done.
  void run(Job& job, int threads) {
    std::lock_guard<std::mutex> serial(run_mutex_);
    grow(threads - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      helpers_ = threads - 1;
      pending_ = threads - 1;
      ++generation_;
    }
    wake_.notify_all();
    t_inside_parallel = true;
    job.run(0);
    t_inside_parallel = false;
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  void grow(int wanted) {
    while (static_cast<int>(workers_.size()) < wanted) {
      const int index = static_cast<int>(workers_.size());
      workers_.emplace_back([this, index] { loop(index); });
    }
  }

  void loop(int index) {
    std::uint64_t seen = 0;
    for (;;) {
      Job* job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        if (index >= helpers_) continue;  // not needed for this call
        job = job_;
      }
      t_inside_parallel = true;
      job->run(index + 1);
      t_inside_parallel = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --pending_;
      }
      done_.notify_all();
    }
  }

  std::mutex run_mutex_, mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  Job* job_ = nullptr;
  int helpers_ = 0, pending_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}
#endif

}  // namespace

int max_threads() { return g_max_threads; }

void set_max_threads(int n) { g_max_threads = std::max(1, std::min(n, platform_threads())); }

int resolve_threads(int requested) {
  if (requested == 0) return g_max_threads;
  if (requested < 1 || requested > g_max_threads) {
    throw Error("threads", "got " + std::to_string(requested) + ", must be in [1, " +
                               std::to_string(g_max_threads) + "] (0 = all)");
  }
  return requested;
}

std::atomic<int>& cancel_flag() { return g_cancel; }

void throw_if_cancelled() {
  if (cancel_requested()) throw Error("cancelled", "the run was cancelled");
}

void parallel_for(std::size_t count, std::size_t grain, int threads, const BlockBody& body) {
  if (count == 0) return;
  grain = std::max<std::size_t>(1, grain);
  Job job;
  job.count = count;
  job.grain = grain;
  job.body = &body;
  const std::size_t blocks = (count + grain - 1) / grain;
  int use = static_cast<int>(std::min<std::size_t>(blocks, std::max(1, threads)));
  use = std::min(use, g_max_threads);
#ifndef SUBQUAD_NO_THREADS
  if (use > 1 && !t_inside_parallel) {
    pool().run(job, use);
  } else {
    job.run(0);
  }
#else
  job.run(0);
#endif
  if (job.error) std::rethrow_exception(job.error);
  throw_if_cancelled();
}

}  // namespace subquad
