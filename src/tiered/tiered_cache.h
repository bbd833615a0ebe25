#pragma once

// TieredCache: the implementation of the public Cache. Converts memcached exptimes into
// clock times (applying default_ttl and max_ttl), enforces the maximum item size, and
// runs the RAM tier (L1) with a background thread that reclaims expired items. The
// persistent tier (L2) plugs in here.
//
// Thread-safe, as Cache promises.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "common/expiry_clock.h"
#include "ram/ram_tier.h"
#include "ratmemcache/cache.h"

namespace ratmemcache::tiered {

class TieredCache final : public Cache {
 public:
  // REQUIRES: ValidateOptions(options).ok().
  explicit TieredCache(const CacheOptions& options);
  ~TieredCache() override;

  Result<ItemHandle> Get(std::string_view key) override;
  Result<ItemHandle> GetAndTouch(std::string_view key, int64_t exptime) override;
  bool Contains(std::string_view key) override;
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

 private:
  uint32_t ExpiresAt(int64_t exptime) const;
  bool IsShutDown() const { return shut_down_.load(std::memory_order_acquire); }
  void MaintenanceLoop();

  const CacheOptions options_;
  ExpiryClock clock_;
  ram::RamTier ram_;

  std::atomic<bool> shut_down_{false};
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool stop_maintenance_ = false;  // guarded by maintenance_mu_
  std::thread maintenance_thread_;
};

}  // namespace ratmemcache::tiered
