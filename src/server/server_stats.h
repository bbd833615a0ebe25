#pragma once

// Per-command counters of the server, named after memcached's "stats" fields.
//
// Each worker thread owns one ThreadStats and is its only writer, so counting is a plain
// relaxed load and store: no lock and no contended cache line on the request path.
// Readers (the stats command, on any thread) sum all threads with relaxed loads.

#include <atomic>
#include <cstdint>

namespace ratmemcache::server {

// A counter with one writing thread and any number of readers.
class Counter {
 public:
  void Add(uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

#define RMC_COMMAND_COUNTERS(X) \
  X(cmd_get)                    \
  X(cmd_set)                    \
  X(cmd_flush)                  \
  X(cmd_touch)                  \
  X(cmd_meta)                   \
  X(get_hits)                   \
  X(get_misses)                 \
  X(delete_misses)              \
  X(delete_hits)                \
  X(incr_misses)                \
  X(incr_hits)                  \
  X(decr_misses)                \
  X(decr_hits)                  \
  X(cas_misses)                 \
  X(cas_hits)                   \
  X(cas_badval)                 \
  X(touch_hits)                 \
  X(touch_misses)               \
  X(store_too_large)            \
  X(store_no_memory)            \
  X(auth_cmds)                  \
  X(auth_errors)

struct alignas(64) ThreadStats {
#define RMC_DECLARE(name) Counter name;
  RMC_COMMAND_COUNTERS(RMC_DECLARE)
#undef RMC_DECLARE
};

// A plain snapshot of the counters, summed over threads.
struct CommandStats {
#define RMC_DECLARE(name) uint64_t name = 0;
  RMC_COMMAND_COUNTERS(RMC_DECLARE)
#undef RMC_DECLARE

  void Add(const ThreadStats& t) {
#define RMC_ADD(name) name += t.name.Get();
    RMC_COMMAND_COUNTERS(RMC_ADD)
#undef RMC_ADD
  }
  // Counters since `baseline` was taken (for "stats reset").
  CommandStats Since(const CommandStats& baseline) const {
    CommandStats out;
#define RMC_SUB(name) out.name = name - baseline.name;
    RMC_COMMAND_COUNTERS(RMC_SUB)
#undef RMC_SUB
    return out;
  }
};

}  // namespace ratmemcache::server
