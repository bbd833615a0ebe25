#pragma once

// TieredCache: the implementation of the public Cache. Converts memcached exptimes into
// clock times (applying default_ttl and max_ttl), enforces the maximum item size, and
// runs the RAM tier (L1) and, when enabled, the persistent tier (L2):
//
//   write:  L1, then the write-behind queue carries the change to L2 in batches; a value
//           above performance.large_value_threshold skips L1: it waits in the queue only;
//   read:   L1; on a miss the queue's newest change of the key, then L2, promoting what it
//           finds into L1 (large values are served without promotion);
//   evict:  an L1 victim not yet in L2 is queued for L2 (demotion), not lost;
//   delete, flush_all, touch, incr/decr, append/prepend, cas: the same whether the item is
//           in L1, L2 or both (L2-only items are promoted first);
//   stop:   everything only in L1 is written to L2; a restart serves it again.
//
// Thread-safe, as Cache promises.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "common/expiry_clock.h"
#include "disk/disk_tier.h"
#include "ram/ram_tier.h"
#include "ratmemcache/cache.h"
#include "tiered/promotion_filter.h"
#include "tiered/value_codec.h"
#include "tiered/write_behind.h"

namespace ratmemcache::tiered {

class TieredCache final : public Cache {
 public:
  // Opens L2 when options.l2.enable_l2_cache. REQUIRES: ValidateOptions(options).ok().
  // Returns: IoError (L2 cannot be opened).
  static Result<std::unique_ptr<TieredCache>> Open(const CacheOptions& options);
  ~TieredCache() override;

  Result<ItemHandle> Get(std::string_view key) override;
  Result<ItemHandle> GetIfInMemory(std::string_view key, bool disk_cache = true) override;
  Result<ItemHandle> GetAndTouch(std::string_view key, int64_t exptime) override;
  bool Contains(std::string_view key) override;
  bool ContainsInMemory(std::string_view key) override { return ram_.Contains(key); }
  using Cache::Store;
  Result<uint64_t> Store(StoreMode mode, std::string_view key, std::string_view value,
                         const WriteOptions& options, uint64_t expected_cas) override;
  Result<WritableItem> Allocate(std::string_view key, size_t value_size,
                                const WriteOptions& options) override;
  Result<uint64_t> Store(StoreMode mode, WritableItem item, uint64_t expected_cas) override;
  Status Delete(std::string_view key) override;
  Result<uint64_t> Increment(std::string_view key, uint64_t delta) override;
  Result<uint64_t> Decrement(std::string_view key, uint64_t delta) override;
  Status Touch(std::string_view key, int64_t exptime) override;
  int64_t SecondsToLive(const ItemHandle& item) const override;
  std::vector<SlabClassStats> SlabClasses() override;
  std::vector<DumpedItem> DumpSlabClass(unsigned id, size_t limit, size_t max_key_bytes) override;
  Status DeleteIfCas(std::string_view key, uint64_t expected_cas) override;
  Result<MetaGetResult> MetaGet(std::string_view key, const MetaGetOptions& options) override;
  Status InvalidateItem(std::string_view key, uint64_t expected_cas, bool touch,
                        int64_t exptime) override;
  Result<ArithmeticResult> Arithmetic(std::string_view key, bool increment, uint64_t delta,
                                      uint64_t expected_cas) override;
  Status Flush(int64_t exptime) override;
  std::vector<std::string> Keys() override;
  uint64_t Size() override;
  CacheStats Stats() override;
  Status Shutdown() override;
  Status SetMemoryLimit(uint64_t max_memory) override;
  const CacheOptions& options() const override { return options_; }

  // The clock the cache measures expiry with.
  const ExpiryClock& clock() const { return clock_; }
  // Runs one reclaim pass now; returns the number of items reclaimed. For tests.
  size_t TEST_ReclaimExpired() { return ram_.ReclaimExpired(); }
  ExpiryClock& TEST_clock() { return clock_; }
  // Writes everything queued for L2 now. For tests.
  void TEST_DrainWriteBehind() {
    if (write_behind_) write_behind_->Drain();
  }

 private:
  TieredCache(const CacheOptions& options, std::unique_ptr<disk::DiskTier> disk);
  uint32_t ExpiresAt(int64_t exptime) const;
  bool IsShutDown() const { return shut_down_.load(std::memory_order_acquire); }
  void MaintenanceLoop();
  // L1 missed `key`: the newest queued change, else L2, promoting what is found.
  // `memory_only`: without reading a file. Returns: NotFound, WouldBlock (memory_only).
  Result<ItemHandle> ReadThrough(std::string_view key, bool memory_only = false);
  // The key's current version outside RAM: the newest queued change, else the L2 record.
  struct Outside {
    ItemHandle item;  // null: none (deleted, or nowhere)
    WriteBehind::Pending pending = WriteBehind::Pending::kNone;  // where it was found
    uint64_t generation = 0;  // with kNone: the queue's generation at the lookup
    bool would_block = false;  // memory_only and L2 needs a file read to answer
  };
  Outside FindOutside(std::string_view key, bool memory_only = false);
  // True while `outside` is still the key's version outside RAM. Cheap; safe under a
  // stripe lock (lock order: stripe, then the queue's).
  bool StillCurrent(std::string_view key, const Outside& outside);
  // Brings a small item found outside RAM back into RAM (if still current). Returns
  // whether it was linked.
  bool Promote(std::string_view key, const Outside& outside);
  // Values above the threshold live outside RAM (only with L2).
  bool IsLarge(size_t value_len) const {
    return write_behind_ && large_value_threshold_ != 0 && value_len > large_value_threshold_;
  }
  // Every store with L2 except a small set: decides on the key's current version, wherever
  // it lives, under the key's stripe lock, and puts the result in RAM or, when large, in
  // the queue only. Returns as Store().
  Result<uint64_t> StoreVersioned(StoreMode mode, WritableItem data, uint64_t expected_cas);
  // Touch (and get-and-touch) of a large item outside RAM: queues a copy with the new
  // expiry and the same CAS unique. Returns the copy, or NotFound.
  Result<ItemHandle> TouchOutside(std::string_view key, uint32_t expires_at);
  // Runs `operation` (which needs the key's current item in RAM) after promoting an item
  // living only in L2, again if it reports `transient` because the item was evicted
  // between the promotion and the operation. A large item stays outside RAM: `on_large`
  // runs instead.
  template <typename Operation, typename LargeOperation>
  auto WithItemInRam(std::string_view key, StatusCode transient, Operation operation,
                     LargeOperation on_large) -> decltype(operation());
  // `item` as RAM should hold it (compressed when that is on and pays), counting it.
  WritableItem Compress(WritableItem item);
  // What a read hands out: the original bytes of a compressed item.
  Result<ItemHandle> Readable(Result<ItemHandle> item) const {
    if (!item.ok() || !codec_.enabled()) return item;
    return ValueCodec::Readable(std::move(item).value());
  }
  // Keeps the persisted CAS reservation ahead of the CAS uniques in use.
  void ReserveCas();
  // "Now" in unix seconds as L2 judges expiry and flushes: derived from the cache's own
  // clock, so that both tiers agree.
  int64_t L2Now() const;

  const CacheOptions options_;
  const uint64_t large_value_threshold_;
  const ValueCodec codec_;
  PromotionFilter promotion_filter_;  // which L2 reads come back into RAM
  ExpiryClock clock_;
  ram::RamTier ram_;
  std::unique_ptr<disk::DiskTier> disk_;          // null without L2
  std::unique_ptr<WriteBehind> write_behind_;     // null without L2
  std::atomic<uint64_t> cas_reserved_{0};
  std::atomic<uint64_t> l2_promotions_{0};
  std::atomic<uint64_t> l2_read_errors_{0};
  std::atomic<uint64_t> l2_direct_stores_{0};  // large values stored outside RAM
  std::atomic<uint64_t> compressed_stores_{0};
  std::atomic<uint64_t> compression_saved_bytes_{0};

  std::atomic<bool> shut_down_{false};
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool stop_maintenance_ = false;  // guarded by maintenance_mu_
  std::thread maintenance_thread_;
};

}  // namespace ratmemcache::tiered
