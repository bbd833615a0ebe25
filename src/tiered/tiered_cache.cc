#include "tiered/tiered_cache.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string>

#include "common/hash.h"
#include "common/logging.h"
#include "common/process_info.h"

namespace ratmemcache::tiered {
namespace {

// CAS uniques reserved ahead on disk, so that a restart never hands out one already used.
constexpr uint64_t kCasReservation = 1ull << 24;
constexpr std::string_view kCasMeta = "cas_reserved";

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

// Receives an L2 record into a fresh (unpublished) RAM item.
class ItemSink final : public disk::RecordSink {
 public:
  ItemSink(ram::RamTier* ram, const ExpiryClock* clock, std::string_view key)
      : ram_(ram), clock_(clock), key_(key) {}
  char* Allocate(const disk::RecordMeta& meta, size_t size) override {
    meta_ = meta;
    const uint32_t expires = meta.expires_at == 0 ? ExpiryClock::kNever : clock_->FromUnixTime(meta.expires_at);
    Result<WritableItem> item = ram_->Allocate(key_, size, meta.flags, expires);
    if (!item.ok()) return nullptr;
    char* data = item->value_buffer().data();
    item_ = ItemHandle(std::move(item).value().Release());
    return data;
  }
  const disk::RecordMeta& meta() const { return meta_; }
  ItemHandle Take() { return std::move(item_); }

 private:
  ram::RamTier* ram_;
  const ExpiryClock* clock_;
  std::string_view key_;
  disk::RecordMeta meta_;
  ItemHandle item_;
};

// Receives an L2 record only to learn that it exists.
class DiscardSink final : public disk::RecordSink {
 public:
  char* Allocate(const disk::RecordMeta&, size_t size) override {
    buffer_.resize(size);
    return buffer_.data();
  }

 private:
  std::string buffer_;
};

}  // namespace

Result<std::unique_ptr<TieredCache>> TieredCache::Open(const CacheOptions& options) {
  std::unique_ptr<disk::DiskTier> disk;
  if (options.l2.enable_l2_cache) {
#if RMC_HAVE_ROCKSDB
    Result<std::unique_ptr<disk::DiskTier>> opened = disk::OpenRocksDbTier(options.l2);
    if (!opened.ok()) return opened.status();
    disk = std::move(opened).value();
#else
    return Status::InvalidArgument(
        "l2.enable_l2_cache: this build has no persistent tier (built with RMC_WITH_ROCKSDB=OFF)");
#endif
  }
  std::unique_ptr<TieredCache> cache(new TieredCache(options, std::move(disk)));
  if (cache->disk_) {
    // Continue above every CAS unique an earlier run may have used, and reserve ahead on
    // disk before anything is stored.
    Result<std::string> reserved = cache->disk_->GetMeta(kCasMeta);
    if (reserved.ok()) {
      cache->ram_.RaiseCasFloor(std::strtoull(reserved->c_str(), nullptr, 10));
    } else if (reserved.code() != StatusCode::kNotFound) {
      return reserved.status();
    }
    cache->ReserveCas();
    if (cache->cas_reserved_.load() == 0) return Status::IoError("cannot persist the CAS reservation");
    WriteBehind::Options queue;
    queue.interval_ms = options.l2.write_behind_interval_ms;
    TieredCache* raw = cache.get();
    cache->write_behind_ = std::make_unique<WriteBehind>(cache->disk_.get(), &cache->clock_, queue,
                                                         [raw] { raw->ReserveCas(); });
    cache->ram_.set_observer(cache->write_behind_.get());
    cache->write_behind_->Start();
  }
  return cache;
}

TieredCache::TieredCache(const CacheOptions& options, std::unique_ptr<disk::DiskTier> disk)
    : options_(options),
      large_value_threshold_(options.performance.large_value_threshold),
      codec_(options.compression),
      // Without L2 nothing is ever promoted: no table.
      promotion_filter_(std::clamp<uint64_t>(options.l1.max_memory / 1024, 1024, uint64_t{1} << 22),
                        options.performance.l2_promotion == L2Promotion::kAlways || disk == nullptr),
      ram_(RamOptions(options), &clock_),
      disk_(std::move(disk)) {
  if (options_.ttl.cleanup_interval != 0) {
    maintenance_thread_ = std::thread([this] { MaintenanceLoop(); });
  }
}

TieredCache::~TieredCache() {
  Shutdown().IgnoreError();
  ram_.set_observer(nullptr);
  write_behind_.reset();
  disk_.reset();
}

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

void TieredCache::ReserveCas() {
  const uint64_t next = ram_.NextCasPeek();
  if (next + kCasReservation / 2 <= cas_reserved_.load(std::memory_order_relaxed)) return;
  const uint64_t reserve = next + kCasReservation;
  Status saved = disk_->PutMeta(kCasMeta, std::to_string(reserve));
  if (saved.ok()) {
    cas_reserved_.store(reserve, std::memory_order_relaxed);
  } else {
    Log().error("cannot persist the CAS reservation: {}", saved.message());
  }
}

uint32_t TieredCache::ExpiresAt(int64_t exptime) const {
  if (exptime == 0) exptime = options_.ttl.default_ttl;
  return clock_.FromExptime(exptime, options_.ttl.max_ttl);
}

int64_t TieredCache::L2Now() const { return clock_.ToUnixTime(clock_.Now()); }

TieredCache::Outside TieredCache::FindOutside(std::string_view key, bool memory_only) {
  Outside outside;
  outside.pending = write_behind_->Find(key, &outside.item, &outside.generation);
  if (outside.pending != WriteBehind::Pending::kNone) return outside;
  ItemSink sink(&ram_, &clock_, key);
  const Status found = disk_->Get(key, L2Now(), &sink, memory_only);
  if (found.code() == StatusCode::kWouldBlock) {
    outside.would_block = true;
    return outside;
  }
  if (!found.ok()) {
    if (found.code() != StatusCode::kNotFound) {
      l2_read_errors_.fetch_add(1, std::memory_order_relaxed);
      Log().warn("L2 read of a key failed: {}", found.message());
    }
    return outside;
  }
  outside.item = sink.Take();
  ram::Item* item = outside.item.get();
  item->cas = sink.meta().cas;
  item->last_access.store(std::max<uint32_t>(clock_.FromUnixTime(sink.meta().stored_at),
                                             ExpiryClock::kStartOffset),
                          std::memory_order_relaxed);
  item->persisted.store(1, std::memory_order_relaxed);
  return outside;
}

bool TieredCache::StillCurrent(std::string_view key, const Outside& outside) {
  switch (outside.pending) {
    case WriteBehind::Pending::kPut:
      return write_behind_->IsNewestPut(key, outside.item.get());
    case WriteBehind::Pending::kDelete:
      return write_behind_->Find(key, nullptr) == WriteBehind::Pending::kDelete;
    case WriteBehind::Pending::kNone:
      // Nothing reached the disk and no change of the key was queued since the lookup.
      return write_behind_->Unchanged(key, outside.generation);
  }
  return false;
}

bool TieredCache::Promote(std::string_view key, const Outside& outside) {
  const bool linked = ram_.Promote(outside.item, [&] { return StillCurrent(key, outside); }).ok();
  if (linked) l2_promotions_.fetch_add(1, std::memory_order_relaxed);
  return linked;
}

Result<ItemHandle> TieredCache::ReadThrough(std::string_view key, bool memory_only) {
  Outside outside = FindOutside(key, memory_only);
  if (outside.would_block) return Status(StatusCode::kWouldBlock);
  if (!outside.item || !ram_.IsLive(outside.item.get())) return Status::NotFound();
  // A large value is served from where it is, every time; a small one (read from L2 or
  // the write-behind queue) comes back to RAM if the promotion filter admits it and it is
  // still current; otherwise this copy is served once, uncached.
  if (IsLarge(outside.item.get()->value_len)) return std::move(outside.item);
  if (!promotion_filter_.Admit(HashKey(key)) || Promote(key, outside)) return std::move(outside.item);
  Result<ItemHandle> fresher = ram_.Peek(key);  // RAM got the key meanwhile?
  if (fresher.ok()) return fresher;
  return std::move(outside.item);
}

template <typename Operation, typename LargeOperation>
auto TieredCache::WithItemInRam(std::string_view key, StatusCode transient, Operation operation,
                                LargeOperation on_large) -> decltype(operation()) {
  for (int attempt = 0;; ++attempt) {
    // An item living only in L2 is brought into RAM first. If it is nowhere, the
    // operation runs anyway and reports the miss.
    if (write_behind_ && !ram_.Contains(key)) {
      const Outside outside = FindOutside(key);
      if (!outside.item || !ram_.IsLive(outside.item.get())) return operation();
      if (IsLarge(outside.item.get()->value_len)) return on_large();
      Promote(key, outside);
    }
    auto result = operation();
    // A miss right after the promotion means the item was evicted again in between (by
    // other writers); it is on its way to L2 and can be promoted once more.
    if (result.code() != transient || !write_behind_ || attempt == 3) return result;
  }
}

Result<uint64_t> TieredCache::StoreVersioned(StoreMode mode, WritableItem data,
                                             uint64_t expected_cas) {
  const std::string key(data.key());
  const bool combine = mode == StoreMode::kAppend || mode == StoreMode::kPrepend;
  if (!combine && !IsLarge(data.value_buffer().size())) data = Compress(std::move(data));
  ram::Item* const raw = data.Release();  // our reference, kept across attempts
  const uint32_t own_expiry = raw->expires_at.load(std::memory_order_relaxed);
  Result<uint64_t> result = Status::NotStored();
  for (int attempt = 0; attempt < 64; ++attempt) {
    // The key's current version, wherever it lives.
    ItemHandle in_ram;
    Outside outside;
    if (mode != StoreMode::kSet) {
      Result<ItemHandle> peeked = ram_.Peek(key);
      if (peeked.ok()) {
        in_ram = std::move(peeked).value();
      } else if (write_behind_) {
        outside = FindOutside(key);
      }
    }
    const ram::Item* current = in_ram ? in_ram.get() : outside.item.get();
    if (current != nullptr && !ram_.IsLive(current)) current = nullptr;
    const uint64_t current_cas = current != nullptr ? current->cas : 0;
    const uint32_t current_expiry =
        current != nullptr ? current->expires_at.load(std::memory_order_relaxed) : 0;

    ram::Item* candidate = raw;
    if (combine) {
      if (current == nullptr) {
        result = Status::NotStored();
        break;
      }
      if (expected_cas != 0 && current_cas != expected_cas) {  // meta ms C with MA/MP
        result = Status::Exists();
        break;
      }
      std::string scratch;
      Result<std::string_view> current_value = ValueCodec::Original(current, &scratch);
      if (!current_value.ok()) {
        result = current_value.status();
        break;
      }
      const size_t total = current_value->size() + raw->value_len;
      if (ram::MemcachedItemSize(key.size(), total, current->flags) > options_.max_item_size) {
        result = Status::NotStored();  // as memcached: the combined item cannot be allocated
        break;
      }
      Result<WritableItem> combined = ram_.Allocate(key, total, current->flags, current_expiry);
      if (!combined.ok()) {
        result = combined.status();
        break;
      }
      char* out = combined->value_buffer().data();
      const std::string_view first = mode == StoreMode::kAppend ? *current_value : raw->value();
      const std::string_view second = mode == StoreMode::kAppend ? raw->value() : *current_value;
      if (!first.empty()) std::memcpy(out, first.data(), first.size());
      if (!second.empty()) std::memcpy(out + first.size(), second.data(), second.size());
      WritableItem built = std::move(combined).value();
      if (!IsLarge(total)) built = Compress(std::move(built));
      candidate = built.Release();
    } else {
      ram::RetainItem(raw);
    }

    // Under the key's stripe lock: go ahead only if the version decided on is still the
    // current one (every change of a key happens under that lock).
    const auto decide = [&](const ram::Item* live_in_ram) -> Status {
      if (mode == StoreMode::kSet) return Status::Ok();
      if (in_ram) {
        if (live_in_ram != in_ram.get() || live_in_ram->cas != current_cas ||
            live_in_ram->expires_at.load(std::memory_order_relaxed) != current_expiry) {
          return Status(ram::RamTier::kStale);
        }
      } else if (live_in_ram != nullptr || (write_behind_ && !StillCurrent(key, outside))) {
        return Status(ram::RamTier::kStale);
      }
      switch (mode) {
        case StoreMode::kAdd:
          return current != nullptr ? Status::NotStored() : Status::Ok();
        case StoreMode::kReplace:
        case StoreMode::kAppend:
        case StoreMode::kPrepend:
          return current == nullptr ? Status::NotStored() : Status::Ok();
        case StoreMode::kCas:
          if (current == nullptr) return Status::NotFound();
          return current_cas == expected_cas ? Status::Ok() : Status::Exists();
        case StoreMode::kCasOrStale:
          ram::UnmarkStale(candidate, own_expiry);  // an earlier attempt may have marked it
          if (current == nullptr) return Status::NotFound();
          if (current_cas == expected_cas) return Status::Ok();
          if (expected_cas > current_cas) return Status::Exists();
          if (live_in_ram != nullptr) {
            ram::MarkStaleCopyOf(candidate, live_in_ram);
          } else {
            // Outside RAM: the stored expiry and no token (those live in RAM headers).
            candidate->expires_at.store(current_expiry, std::memory_order_relaxed);
            ram::SetState(candidate, ram::kItemStale);
          }
          return Status::Ok();
        case StoreMode::kSet:
          break;
      }
      return Status::Ok();
    };
    const bool large = IsLarge(candidate->value_len);
    result = ram_.StoreDecided(WritableItem(candidate), decide,
                               large ? ram::RamTier::Placement::kOutside
                                     : ram::RamTier::Placement::kLink,
                               false);
    if (result.code() == ram::RamTier::kStale) continue;
    if (result.ok() && large) l2_direct_stores_.fetch_add(1, std::memory_order_relaxed);
    break;
  }
  ram::ReleaseItem(raw);
  if (result.code() == ram::RamTier::kStale) {
    return Status(StatusCode::kNotStored, "the key kept changing under the store");
  }
  return result;
}

Result<ItemHandle> TieredCache::TouchOutside(std::string_view key, uint32_t expires_at) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    Outside outside = FindOutside(key);
    const ram::Item* current = outside.item.get();
    if (current == nullptr || !ram_.IsLive(current)) return Status::NotFound();
    Result<WritableItem> copy = ram_.Allocate(key, current->value_len, current->flags, expires_at);
    if (!copy.ok()) return copy.status();
    const std::string_view value = current->value();
    if (!value.empty()) std::memcpy(copy->value_buffer().data(), value.data(), value.size());
    copy->get()->cas = current->cas;  // a touch keeps the CAS unique, as in memcached
    ram::RetainItem(copy->get());
    ItemHandle touched(copy->get());
    const auto decide = [&](const ram::Item* live_in_ram) -> Status {
      if (live_in_ram != nullptr || !StillCurrent(key, outside)) return Status(ram::RamTier::kStale);
      return Status::Ok();
    };
    const ram::RamTier::Placement placement =
        IsLarge(current->value_len) ? ram::RamTier::Placement::kOutside
                                    : ram::RamTier::Placement::kLink;
    Result<uint64_t> stored = ram_.StoreDecided(std::move(copy).value(), decide, placement, true);
    if (stored.code() == ram::RamTier::kStale) continue;
    if (!stored.ok()) return stored.status();
    return touched;
  }
  return Status::NotFound();
}

Result<ItemHandle> TieredCache::Get(std::string_view key) {
  Result<ItemHandle> item = ram_.Get(key);
  if (item.ok() || !write_behind_) return Readable(std::move(item));
  return Readable(ReadThrough(key));
}

Result<ItemHandle> TieredCache::GetIfInMemory(std::string_view key, bool disk_cache) {
  Result<ItemHandle> item = ram_.Get(key);
  if (item.ok() || !write_behind_) return Readable(std::move(item));
  if (!disk_cache) return Status(StatusCode::kWouldBlock);
  // The queue and RocksDB's memtables and block cache answer without a file read.
  return Readable(ReadThrough(key, true));
}

WritableItem TieredCache::Compress(WritableItem item) {
  if (!codec_.enabled()) return item;
  uint64_t saved = 0;
  WritableItem stored = codec_.MaybeCompress(std::move(item), &saved);
  if (saved != 0) {
    compressed_stores_.fetch_add(1, std::memory_order_relaxed);
    compression_saved_bytes_.fetch_add(saved, std::memory_order_relaxed);
  }
  return stored;
}

Result<ItemHandle> TieredCache::GetAndTouch(std::string_view key, int64_t exptime) {
  if (IsShutDown()) return Status::Shutdown();
  const uint32_t expires_at = ExpiresAt(exptime);
  return Readable(WithItemInRam(
      key, StatusCode::kNotFound, [&] { return ram_.GetAndTouch(key, expires_at); },
      [&] { return TouchOutside(key, expires_at); }));
}

bool TieredCache::Contains(std::string_view key) {
  if (ram_.Contains(key)) return true;
  return write_behind_ && ReadThrough(key).ok();
}

Result<WritableItem> TieredCache::Allocate(std::string_view key, size_t value_size,
                                           const WriteOptions& options) {
  if (IsShutDown()) return Status::Shutdown();
  if (key.empty() || key.size() > kMaxKeyLength) {
    return Status::InvalidArgument("key must be 1 to 250 bytes");
  }
  if (ram::MemcachedItemSize(key.size(), value_size, options.flags) > options_.max_item_size) {
    return Status::TooLarge();
  }
  if (write_behind_) {
    Status room = write_behind_->WaitForRoom();
    if (!room.ok()) return room;
  }
  return ram_.Allocate(key, value_size, options.flags, ExpiresAt(options.exptime));
}

Result<uint64_t> TieredCache::Store(StoreMode mode, WritableItem item, uint64_t expected_cas) {
  if (IsShutDown()) return Status::Shutdown();
  // A small set goes straight into RAM; everything else with L2 decides on the key's
  // current version wherever it lives (add must fail on an item only in L2, replace and
  // cas must see it, append must extend it).
  const bool combine = mode == StoreMode::kAppend || mode == StoreMode::kPrepend;
  if (write_behind_ ? (mode == StoreMode::kSet && !IsLarge(item.value_buffer().size()))
                    : !(combine && codec_.enabled())) {
    return ram_.Store(mode, Compress(std::move(item)), expected_cas);
  }
  // (Without L2, append/prepend take this way too when values may be compressed: the
  // new value is built from the original bytes.)
  return StoreVersioned(mode, std::move(item), expected_cas);
}

Result<uint64_t> TieredCache::Store(StoreMode mode, std::string_view key, std::string_view value,
                                    const WriteOptions& options, uint64_t expected_cas) {
  Result<WritableItem> item = Allocate(key, value.size(), options);
  if (!item.ok()) return item.status();
  std::span<char> buffer = item->value_buffer();
  if (!value.empty()) std::memcpy(buffer.data(), value.data(), value.size());
  return Store(mode, std::move(item).value(), expected_cas);
}

Status TieredCache::Delete(std::string_view key) {
  if (IsShutDown()) return Status::Shutdown();
  Status deleted = ram_.Delete(key);
  if (deleted.ok() || !write_behind_) return deleted;
  // Not in RAM: it may be on its way to L2, or in L2 only.
  bool exists = false;
  ItemHandle pending;
  switch (write_behind_->Find(key, &pending)) {
    case WriteBehind::Pending::kDelete:
      return Status::NotFound();
    case WriteBehind::Pending::kPut:
      exists = ram_.IsLive(pending.get());
      break;
    case WriteBehind::Pending::kNone: {
      DiscardSink sink;
      exists = disk_->Get(key, L2Now(), &sink).ok();
      break;
    }
  }
  if (!exists) return Status::NotFound();
  write_behind_->EnqueueDelete(key);
  ram_.Delete(key).IgnoreError();  // a copy promoted meanwhile
  return Status::Ok();
}

Result<uint64_t> TieredCache::Increment(std::string_view key, uint64_t delta) {
  if (IsShutDown()) return Status::Shutdown();
  // A large value is never a number of at most 20 digits.
  return WithItemInRam(
      key, StatusCode::kNotFound, [&] { return ram_.ApplyDelta(key, true, delta); },
      []() -> Result<uint64_t> { return Status::NonNumeric(); });
}

Result<uint64_t> TieredCache::Decrement(std::string_view key, uint64_t delta) {
  if (IsShutDown()) return Status::Shutdown();
  return WithItemInRam(
      key, StatusCode::kNotFound, [&] { return ram_.ApplyDelta(key, false, delta); },
      []() -> Result<uint64_t> { return Status::NonNumeric(); });
}

Status TieredCache::DeleteIfCas(std::string_view key, uint64_t expected_cas) {
  if (expected_cas == 0) return Delete(key);
  if (IsShutDown()) return Status::Shutdown();
  // The item is brought into RAM so that the comparison and the delete happen under one
  // stripe lock.
  return WithItemInRam(
      key, StatusCode::kNotFound, [&] { return ram_.Delete(key, expected_cas); },
      [&]() -> Status {
        // A large item stays outside RAM: compare with its newest version, then delete.
        // (A store racing in between can still be deleted: the window is one lookup.)
        const Outside outside = FindOutside(key);
        if (!outside.item || !ram_.IsLive(outside.item.get())) return Status::NotFound();
        if (outside.item.get()->cas != expected_cas) return Status::Exists();
        return Delete(key);
      });
}

Result<Cache::MetaGetResult> TieredCache::MetaGet(std::string_view key,
                                                  const MetaGetOptions& options) {
  if (IsShutDown()) return Status::Shutdown();
  ram::RamTier::MetaFetchOptions fetch;
  fetch.bump = options.bump;
  const uint32_t new_expiry = ExpiresAt(options.exptime);
  if (options.touch) fetch.new_expiry = &new_expiry;
  fetch.vivify = options.vivify;
  fetch.vivify_expiry = ExpiresAt(options.vivify_exptime);
  fetch.recache = options.recache;
  fetch.recache_before = ExpiresAt(options.recache_exptime);
  Result<ram::RamTier::MetaFetched> fetched = WithItemInRam(
      key, StatusCode::kNotFound, [&] { return ram_.MetaFetch(key, fetch); },
      [&]() -> Result<ram::RamTier::MetaFetched> {
        // Kept outside RAM: no header to keep history or tokens in.
        Result<ItemHandle> item = options.touch ? TouchOutside(key, new_expiry) : Get(key);
        if (!item.ok()) return item.status();
        ram::RamTier::MetaFetched plain;
        plain.item = std::move(item).value();
        plain.last_access = clock_.Now();
        return plain;
      });
  if (!fetched.ok()) return fetched.status();
  MetaGetResult result;
  Result<ItemHandle> readable = Readable(std::move(fetched->item));
  if (!readable.ok()) return readable.status();
  result.item = std::move(readable).value();
  result.created = fetched->created;
  result.fetched_before = fetched->fetched_before;
  const uint32_t now = clock_.Now();
  result.idle_seconds = now > fetched->last_access ? now - fetched->last_access : 0;
  result.stale = fetched->stale;
  result.token_sent = fetched->token_sent;
  result.win = fetched->win;
  return result;
}

Status TieredCache::InvalidateItem(std::string_view key, uint64_t expected_cas, bool touch,
                                   int64_t exptime) {
  if (IsShutDown()) return Status::Shutdown();
  const uint32_t new_expiry = ExpiresAt(exptime);
  return WithItemInRam(
      key, StatusCode::kNotFound,
      [&] { return ram_.Invalidate(key, expected_cas, touch ? &new_expiry : nullptr); },
      [&] { return DeleteIfCas(key, expected_cas); });
}

Result<Cache::ArithmeticResult> TieredCache::Arithmetic(std::string_view key, bool increment,
                                                        uint64_t delta, uint64_t expected_cas) {
  if (IsShutDown()) return Status::Shutdown();
  Result<ram::RamTier::DeltaResult> applied = WithItemInRam(
      key, StatusCode::kNotFound,
      [&] { return ram_.ApplyDeltaChecked(key, increment, delta, expected_cas); },
      []() -> Result<ram::RamTier::DeltaResult> { return Status::NonNumeric(); });
  if (!applied.ok()) return applied.status();
  ArithmeticResult result;
  result.value = applied->value;
  result.cas = applied->cas;
  const uint32_t now = clock_.Now();
  if (applied->expires_at != ExpiryClock::kNever) {
    result.ttl = applied->expires_at > now ? int64_t{applied->expires_at} - now : 0;
  }
  return result;
}

std::vector<Cache::SlabClassStats> TieredCache::SlabClasses() {
  std::vector<SlabClassStats> classes;
  const auto counters = ram_.SlabClasses();
  for (unsigned id = 1; id < counters.size(); ++id) {
    const ram::SlabClassCounters& c = counters[id];
    if (c.items == 0) continue;
    classes.push_back(SlabClassStats{id, ram::kMemcachedChunkSizes[id], c.items, c.requested,
                                     c.evicted, c.evicted_nonzero, c.evicted_unfetched,
                                     c.reclaimed, c.expired_unfetched});
  }
  return classes;
}

std::vector<Cache::DumpedItem> TieredCache::DumpSlabClass(unsigned id, size_t limit,
                                                          size_t max_key_bytes) {
  std::vector<DumpedItem> items;
  size_t key_bytes = 0;
  ram_.VisitSlabClass(id, [&](const ram::Item* item) {
    if ((limit != 0 && items.size() >= limit) || key_bytes + item->key_len > max_key_bytes) return false;
    const uint32_t expires_at = item->expires_at.load(std::memory_order_relaxed);
    items.push_back(DumpedItem{std::string(item->key()), ValueCodec::OriginalSize(item),
                               expires_at == ExpiryClock::kNever ? 0 : clock_.ToUnixTime(expires_at)});
    key_bytes += item->key_len;
    return true;
  });
  return items;
}

int64_t TieredCache::SecondsToLive(const ItemHandle& item) const {
  const uint32_t expires_at = item.expires_at();
  if (expires_at == ExpiryClock::kNever) return -1;
  const uint32_t now = clock_.Now();
  return expires_at > now ? int64_t{expires_at} - now : 0;
}

Status TieredCache::Touch(std::string_view key, int64_t exptime) {
  if (IsShutDown()) return Status::Shutdown();
  const uint32_t expires_at = ExpiresAt(exptime);
  return WithItemInRam(
      key, StatusCode::kNotFound, [&] { return ram_.Touch(key, expires_at); },
      [&] { return TouchOutside(key, expires_at).status(); });
}

Status TieredCache::Flush(int64_t exptime) {
  if (IsShutDown()) return Status::Shutdown();
  if (exptime == 0) {
    // L2 first: a read racing the flush can then no longer bring an old copy back into
    // RAM after RAM has been emptied.
    if (write_behind_) {
      // Everything stored so far has a smaller CAS than the next one.
      Status flushed = write_behind_->FlushNow(ram_.NextCasPeek());
      if (!flushed.ok()) Log().error("L2 flush: {}", flushed.message());
    }
    ram_.SetFlushDeadline(0);
    ram_.FlushAll();
    return Status::Ok();
  }
  // As memcached: the items stored up to one second before the given time go when it
  // arrives (oldest_live = realtime(exptime) - 1).
  const uint32_t when = clock_.FromExptime(exptime);
  const uint32_t deadline = when > ExpiryClock::kExpired ? when - 1 : ExpiryClock::kExpired;
  ram_.SetFlushDeadline(deadline);
  if (write_behind_) {
    Status flushed = write_behind_->FlushAt(clock_.ToUnixTime(deadline));
    if (!flushed.ok()) Log().error("L2 flush: {}", flushed.message());
  }
  return Status::Ok();
}

std::vector<std::string> TieredCache::Keys() {
  std::vector<std::string> keys = ram_.Keys();
  if (!disk_) return keys;
  std::set<std::string> all(keys.begin(), keys.end());
  disk_->ScanKeys(L2Now(), [&](std::string_view key) {
    if (write_behind_->Find(key, nullptr) != WriteBehind::Pending::kDelete) all.emplace(key);
  }).IgnoreError();
  return std::vector<std::string>(all.begin(), all.end());
}

uint64_t TieredCache::Size() { return ram_.Size(); }

CacheStats TieredCache::Stats() {
  const ram::RamTierStats ram = ram_.Stats();
  CacheStats stats;
  stats.curr_items = ram.curr_items;
  stats.total_items = ram.total_items;
  stats.bytes = ram.bytes;
  stats.hash_bytes = ram.hash_bytes;
  stats.policy_bytes = ram.policy_bytes;
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
  if (disk_) {
    const disk::DiskStats disk = disk_->Stats();
    const WriteBehind::Stats queue = write_behind_->GetStats();
    stats.l2_enabled = true;
    stats.l2_items = disk.estimated_items;
    stats.l2_bytes = disk.disk_bytes;
    stats.l2_gets = disk.gets;
    stats.l2_hits = disk.hits;
    stats.l2_writes = disk.writes;
    stats.l2_promotions = l2_promotions_.load(std::memory_order_relaxed);
    stats.l2_demotions = queue.demotions;
    stats.l2_write_behind_items = queue.pending_items;
    stats.l2_write_behind_bytes = queue.pending_bytes;
    stats.l2_errors = queue.errors + l2_read_errors_.load(std::memory_order_relaxed);
    stats.l2_write_failing = queue.failing ? 1 : 0;
    stats.l2_write_dropped = queue.dropped;
    stats.l2_evicted_for_size = disk.evicted_for_size;
    stats.l2_direct_stores = l2_direct_stores_.load(std::memory_order_relaxed);
  }
  stats.compressed_stores = compressed_stores_.load(std::memory_order_relaxed);
  stats.compression_saved_bytes = compression_saved_bytes_.load(std::memory_order_relaxed);
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
  if (!write_behind_) return Status::Ok();
  // Everything still only in RAM goes to L2 before we stop (queued under each item's
  // stripe lock, so in order with changes still being made). The CAS reservation on
  // disk stays ahead of every unique handed out.
  ram_.NotifyUnpersisted();
  write_behind_->Drain();
  const WriteBehind::Stats queue = write_behind_->GetStats();
  if (queue.pending_items != 0) {
    return Status::IoError(std::to_string(queue.pending_items) + " changes could not be written to L2");
  }
  return Status::Ok();
}

Status TieredCache::SetMemoryLimit(uint64_t max_memory) {
  if (max_memory < (1ull << 20)) {
    return Status::InvalidArgument("memory limit must be at least 1 MiB");
  }
  return ram_.SetMemoryLimit(max_memory);
}

}  // namespace ratmemcache::tiered
