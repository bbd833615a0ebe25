#pragma once

// PrefixStats: memcached's "stats detail" counters per key prefix (the part of a key
// before its first ':'): gets, hits, sets and deletes, recorded only while detail is on
// ("stats detail on"), dumped as memcached dumps them ("stats detail dump": its 256 hash
// buckets of MurmurHash3 in order, newest prefix first within a bucket), so the output is
// byte-identical. At most kMaxPrefixes prefixes are kept (memcached keeps any number);
// further new ones are not counted.
//
// Thread-safe: one mutex, taken only while detail is on.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/output_buffer.h"

namespace ratmemcache::server {

class PrefixStats {
 public:
  static constexpr size_t kMaxPrefixes = 65536;

  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  void set_enabled(bool on) { enabled_.store(on, std::memory_order_relaxed); }

  // Each records one command on `key` when detail is on and the key has a prefix.
  void RecordGet(std::string_view key, bool hit);
  void RecordSet(std::string_view key);
  void RecordDelete(std::string_view key);

  // The "PREFIX ..." lines and "END\r\n" (memcached's stats_prefix_dump).
  std::string Dump();
  // Forgets every prefix ("stats reset").
  void Clear();

 private:
  struct Entry {
    std::string prefix;
    uint64_t gets = 0, hits = 0, sets = 0, deletes = 0;
  };
  static constexpr size_t kBuckets = 256;

  // The entry of `key`'s prefix, created if new; null without a prefix or when full.
  // REQUIRES: mu_ held.
  Entry* Find(std::string_view key);

  std::atomic<bool> enabled_{false};
  std::mutex mu_;
  std::vector<Entry> buckets_[kBuckets];  // guarded by mu_; newest last (dumped first)
  size_t count_ = 0;                      // guarded by mu_
};

// MurmurHash3_x86_32 with seed 0: memcached 1.6's default hash.
uint32_t Murmur3Hash32(std::string_view data);

}  // namespace ratmemcache::server
