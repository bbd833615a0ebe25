#pragma once

// ExpiryClock: the cache's notion of "now" in whole seconds, and the conversion of
// memcached-style expiry times into it.
//
// Clock times are seconds since the clock was created plus kStartOffset, so that 0 can
// mean "never expires" and 1 "already expired". They come from a monotonic clock, so a
// change of the wall clock does not expire or revive items; absolute unix times given by
// clients are mapped through the wall time read once at construction, as memcached does.
//
// Thread-safe: every method may be called concurrently.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ratmemcache {

// memcached's REALTIME_MAXDELTA: exptimes up to 30 days are relative, larger are unix times.
inline constexpr int64_t kMaxRelativeExptime = 60 * 60 * 24 * 30;

class ExpiryClock {
 public:
  // Clock time meaning "never expires".
  static constexpr uint32_t kNever = 0;
  // Clock time that is always in the past: "already expired".
  static constexpr uint32_t kExpired = 1;
  // Value of Now() at construction.
  static constexpr uint32_t kStartOffset = 2;

  ExpiryClock();

  // Current clock time in seconds. Never below kStartOffset.
  uint32_t Now() const;

  // Converts a memcached exptime into an absolute clock time:
  //   0                      -> kNever
  //   negative               -> kExpired
  //   1 .. 30 days           -> Now() + exptime
  //   above 30 days          -> a unix time; kExpired when it lies before the clock's start
  // `max_ttl` (seconds, 0 = unbounded) caps how far into the future the result may lie.
  uint32_t FromExptime(int64_t exptime, uint32_t max_ttl = 0) const;

  // True when an item with clock expiry `expires_at` is expired at clock time `now`.
  static bool IsExpired(uint32_t expires_at, uint32_t now) {
    return expires_at != kNever && expires_at <= now;
  }

  // The unix time corresponding to clock time `t`.
  int64_t ToUnixTime(uint32_t t) const;
  // The clock time of unix time `unix_time`, clamped to [kExpired, UINT32_MAX].
  uint32_t FromUnixTime(int64_t unix_time) const;
  // The unix time of the clock's start (memcached's "process_started").
  int64_t started_unix_time() const { return started_unix_; }

  // Moves the clock forward by `seconds`, for tests of expiry.
  void TEST_Advance(uint32_t seconds) { offset_.fetch_add(seconds, std::memory_order_relaxed); }

 private:
  std::chrono::steady_clock::time_point start_;
  int64_t started_unix_;  // unix time at which Now() == 0
  std::atomic<uint32_t> offset_{0};
};

}  // namespace ratmemcache
