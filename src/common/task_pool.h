#pragma once

// TaskPool: a fixed set of threads running submitted tasks in submission order (one queue).
// Used for work that may block (reads from the persistent tier) so that it never runs on a
// worker's event loop.
//
// Thread-safety: every method may be called from any thread. Stop() runs every task
// already submitted, then joins the threads; tasks submitted after Stop() run on the
// caller's thread (so nothing submitted is ever dropped).

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ratmemcache {

class TaskPool {
 public:
  // Starts `threads` threads (at least one), named `name` for debuggers.
  TaskPool(unsigned threads, std::string name);
  ~TaskPool();  // Stop()
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // Queues `task`.
  void Submit(std::function<void()> task);
  // Runs what is queued, then joins the threads. Idempotent.
  void Stop();
  // Tasks queued and not yet started.
  size_t Pending();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  std::vector<std::thread> threads_;
  std::mutex stop_mu_;  // serializes Stop()
};

}  // namespace ratmemcache
