#pragma once

// Decides which items read from L2 are copied back into RAM.
//
// Promoting every L2 read costs an allocation, a copy and an eviction per read, and on a
// working set much larger than RAM it buys nothing: the promoted item is usually evicted
// before it is read again. Like memcached's extstore (which recaches one read in
// ext_recache_rate), only items that are read again soon come back: a key is promoted on
// its second L2 read if its slot still holds its fingerprint, which after k other L2
// reads is the case with probability about e^(-k/window).
// The memory is a direct-mapped table of 32-bit key fingerprints (4 bytes a slot); a
// collision can only promote an item early or late, never change what a read returns.

#include <atomic>
#include <cstdint>
#include <memory>

namespace ratmemcache::tiered {

class PromotionFilter {
 public:
  // `window`: table slots (rounded up to a power of two, at least 64, at most 2^32).
  // `always`: admit every read (the filter then holds no table).
  PromotionFilter(uint64_t window, bool always);

  // Whether the item whose key hashes to `key_hash`, just read from L2, should go into
  // RAM. Thread-safe and lock-free (relaxed atomics: concurrent reads of one key may both
  // be admitted or both be refused).
  bool Admit(uint64_t key_hash);

  // Slots in the table (0 when every read is admitted).
  uint64_t window() const { return mask_ == 0 ? 0 : mask_ + 1; }

 private:
  std::unique_ptr<std::atomic<uint32_t>[]> slots_;
  uint64_t mask_ = 0;
};

}  // namespace ratmemcache::tiered
