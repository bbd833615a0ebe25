#include "common/expiry_clock.h"

#include <algorithm>
#include <limits>

namespace ratmemcache {

ExpiryClock::ExpiryClock()
    : start_(std::chrono::steady_clock::now()),
      started_unix_(std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count() -
                    kStartOffset) {}

uint32_t ExpiryClock::Now() const {
  auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::steady_clock::now() - start_)
                     .count();
  return static_cast<uint32_t>(elapsed) + kStartOffset + offset_.load(std::memory_order_relaxed);
}

uint32_t ExpiryClock::FromExptime(int64_t exptime, uint32_t max_ttl) const {
  if (exptime == 0) {
    return max_ttl == 0 ? kNever : Now() + max_ttl;
  }
  if (exptime < 0) return kExpired;
  const uint32_t now = Now();
  int64_t target;
  if (exptime > kMaxRelativeExptime) {
    if (exptime <= started_unix_) return kExpired;
    target = exptime - started_unix_;
  } else {
    target = static_cast<int64_t>(now) + exptime;
  }
  if (max_ttl != 0) target = std::min<int64_t>(target, static_cast<int64_t>(now) + max_ttl);
  // Far-future unix times saturate instead of wrapping into the past.
  target = std::min<int64_t>(target, std::numeric_limits<uint32_t>::max());
  return static_cast<uint32_t>(std::max<int64_t>(target, kExpired));
}

int64_t ExpiryClock::ToUnixTime(uint32_t t) const { return started_unix_ + t; }

uint32_t ExpiryClock::FromUnixTime(int64_t unix_time) const {
  const int64_t t = unix_time - started_unix_;
  return static_cast<uint32_t>(std::clamp<int64_t>(t, kExpired, std::numeric_limits<uint32_t>::max()));
}

}  // namespace ratmemcache
