#include "tiered/tiered_cache.h"

#include <cstring>

#include "common/logging.h"

namespace ratmemcache::tiered {
namespace {

uint32_t StripeCount(const PerformanceOptions& performance) {
  if (performance.lock_stripes != 0) return performance.lock_stripes;
  uint32_t wanted = std::max(64u, std::thread::hardware_concurrency() * 16);
  uint32_t count = 1;
  while (count < wanted) count <<= 1;
  return count;
}

ram::RamTierOptions RamOptions(const CacheOptions& options) {
  ram::RamTierOptions ram;
  ram.max_memory = options.l1.max_memory;
  ram.max_entries = options.l1.max_entries;
  ram.eviction = options.l1.eviction_strategy;
  ram.stripes = StripeCount(options.performance);
  ram.max_item_size = options.max_item_size;
  return ram;
}

}  // namespace

TieredCache::TieredCache(const CacheOptions& options)
    : options_(options), ram_(RamOptions(options), &clock_) {
  if (options_.ttl.cleanup_interval != 0) {
    maintenance_thread_ = std::thread([this] { MaintenanceLoop(); });
  }
}

TieredCache::~TieredCache() { Shutdown().IgnoreError(); }

void TieredCache::MaintenanceLoop() {
  std::unique_lock lock(maintenance_mu_);
  const auto interval = std::chrono::seconds(options_.ttl.cleanup_interval);
  while (!maintenance_cv_.wait_for(lock, interval, [this] { return stop_maintenance_; })) {
    lock.unlock();
    const size_t reclaimed = ram_.ReclaimExpired();
    if (reclaimed != 0) Log().debug("expiry sweep reclaimed {} items", reclaimed);
    lock.lock();
  }
}

uint32_t TieredCache::ExpiresAt(int64_t exptime) const {
  if (exptime == 0) exptime = options_.ttl.default_ttl;
  return clock_.FromExptime(exptime, options_.ttl.max_ttl);
}

Result<ItemHandle> TieredCache::Get(std::string_view key) { return ram_.Get(key); }

Result<ItemHandle> TieredCache::GetAndTouch(std::string_view key, int64_t exptime) {
  return ram_.GetAndTouch(key, ExpiresAt(exptime));
}

bool TieredCache::Contains(std::string_view key) { return ram_.Contains(key); }

Result<WritableItem> TieredCache::Allocate(std::string_view key, size_t value_size,
                                           const WriteOptions& options) {
  if (IsShutDown()) return Status::Shutdown();
  if (key.empty() || key.size() > kMaxKeyLength) {
    return Status::InvalidArgument("key must be 1 to 250 bytes");
  }
  if (ram::MemcachedItemSize(key.size(), value_size, options.flags) > options_.max_item_size) {
    return Status::TooLarge();
  }
  return ram_.Allocate(key, value_size, options.flags, ExpiresAt(options.exptime));
}

Result<uint64_t> TieredCache::Store(StoreMode mode, WritableItem item, uint64_t expected_cas) {
  if (IsShutDown()) return Status::Shutdown();
  return ram_.Store(mode, std::move(item), expected_cas);
}

Result<uint64_t> TieredCache::Store(StoreMode mode, std::string_view key, std::string_view value,
                                    const WriteOptions& options, uint64_t expected_cas) {
  Result<WritableItem> item = Allocate(key, value.size(), options);
  if (!item.ok()) return item.status();
  std::span<char> buffer = item->value_buffer();
  if (!value.empty()) std::memcpy(buffer.data(), value.data(), value.size());
  return Store(mode, std::move(item).value(), expected_cas);
}

Status TieredCache::Delete(std::string_view key) { return ram_.Delete(key); }

Result<uint64_t> TieredCache::Increment(std::string_view key, uint64_t delta) {
  if (IsShutDown()) return Status::Shutdown();
  return ram_.ApplyDelta(key, true, delta);
}

Result<uint64_t> TieredCache::Decrement(std::string_view key, uint64_t delta) {
  if (IsShutDown()) return Status::Shutdown();
  return ram_.ApplyDelta(key, false, delta);
}

Status TieredCache::Touch(std::string_view key, int64_t exptime) {
  return ram_.Touch(key, ExpiresAt(exptime));
}

Status TieredCache::Flush(int64_t exptime) {
  if (exptime == 0) {
    ram_.SetFlushDeadline(0);
    ram_.FlushAll();
    return Status::Ok();
  }
  // As memcached: the items stored up to one second before the given time go when it
  // arrives (oldest_live = realtime(exptime) - 1).
  const uint32_t when = clock_.FromExptime(exptime);
  ram_.SetFlushDeadline(when > ExpiryClock::kExpired ? when - 1 : ExpiryClock::kExpired);
  return Status::Ok();
}

std::vector<std::string> TieredCache::Keys() { return ram_.Keys(); }

uint64_t TieredCache::Size() { return ram_.Size(); }

CacheStats TieredCache::Stats() {
  const ram::RamTierStats ram = ram_.Stats();
  CacheStats stats;
  stats.curr_items = ram.curr_items;
  stats.total_items = ram.total_items;
  stats.bytes = ram.bytes;
  stats.hash_bytes = ram.hash_bytes;
  stats.limit_maxbytes = ram.limit_maxbytes;
  stats.evictions = ram.evictions;
  stats.evicted_unfetched = ram.evicted_unfetched;
  stats.expired_unfetched = ram.expired_unfetched;
  stats.reclaimed = ram.reclaimed;
  stats.get_hits = ram.get_hits;
  stats.get_misses = ram.get_misses;
  stats.get_expired = ram.get_expired;
  stats.get_flushed = ram.get_flushed;
  stats.lock_stripes = ram_.stripe_count();
  return stats;
}

Status TieredCache::Shutdown() {
  if (shut_down_.exchange(true, std::memory_order_acq_rel)) return Status::Ok();
  {
    std::lock_guard lock(maintenance_mu_);
    stop_maintenance_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
  return Status::Ok();
}

Status TieredCache::SetMemoryLimit(uint64_t max_memory) {
  if (max_memory < (1ull << 20)) {
    return Status::InvalidArgument("memory limit must be at least 1 MiB");
  }
  return ram_.SetMemoryLimit(max_memory);
}

}  // namespace ratmemcache::tiered
