#include "ram/ram_tier.h"

#include <algorithm>
#include <cstring>

#include "common/decimal.h"
#include "common/hash.h"

namespace ratmemcache::ram {

struct RamTier::Expectation {
  StoreMode mode = StoreMode::kSet;
  uint64_t cas = 0;
  // When set, the commit succeeds only if this exact item is still the live one
  // (read-modify-write operations that built the new item from it).
  const Item* exact = nullptr;
  // Promotion from a lower tier: keep the item's CAS and last access, succeed only when
  // the key is absent and this says the copy is still current.
  const std::function<bool()>* promote_if = nullptr;
  // When set, decides instead of `mode` whether the store may go ahead.
  const std::function<Status(const Item*)>* decide = nullptr;
  // Hand the item to the observer instead of linking it (Placement::kOutside).
  bool outside = false;
  bool keep_cas = false;
};

namespace {

// Items unlinked under a stripe lock, released once the lock is dropped so that freeing
// memory never happens inside the critical section.
class DeferredRelease {
 public:
  DeferredRelease() = default;
  DeferredRelease(const DeferredRelease&) = delete;
  DeferredRelease& operator=(const DeferredRelease&) = delete;
  ~DeferredRelease() {
    for (int i = 0; i < count_; ++i) ReleaseItem(items_[i]);
  }
  void Add(Item* item) {
    if (item != nullptr) items_[count_++] = item;
  }

 private:
  Item* items_[4] = {};
  int count_ = 0;
};

// Status used internally when an `exact` expectation fails: the caller rebuilds and retries.
constexpr StatusCode kChanged = RamTier::kStale;

}  // namespace

RamTier::RamTier(const RamTierOptions& options, const ExpiryClock* clock)
    : clock_(clock),
      max_entries_(options.max_entries),
      max_item_size_(options.max_item_size),
      eviction_(options.eviction),
      limit_(options.max_memory) {
  uint32_t count = 1;
  while (count < options.stripes) count <<= 1;
  stripe_mask_ = count - 1;
  stripes_.reserve(count);
  shared_hits_ = MakeEvictionPolicy(eviction_)->SharedHits();
  for (uint32_t i = 0; i < count; ++i) {
    auto stripe = std::make_unique<Stripe>();
    stripe->policy = MakeEvictionPolicy(eviction_);
    used_.fetch_add(static_cast<int64_t>(stripe->table.bytes()), std::memory_order_relaxed);
    stripes_.push_back(std::move(stripe));
  }
}

RamTier::~RamTier() {
  for (auto& stripe : stripes_) {
    for (size_t i = 0; i < stripe->table.capacity(); ++i) {
      if (Item* item = stripe->table.SlotItem(i)) ReleaseItem(item);
    }
  }
}

RamTier::Liveness RamTier::Check(const Item* item, uint32_t now) const {
  if (ExpiryClock::IsExpired(item->expires_at.load(std::memory_order_relaxed), now)) {
    return Liveness::kExpired;
  }
  const uint32_t deadline = flush_deadline_.load(std::memory_order_relaxed);
  // memcached's item_is_flushed(): once the deadline has come, items last stored or read
  // at or before it are gone.
  if (deadline != 0 && deadline <= now &&
      item->last_access.load(std::memory_order_relaxed) <= deadline) {
    return Liveness::kFlushed;
  }
  return Liveness::kLive;
}

void SlabClassCounters::Add(const SlabClassCounters& other) {
  items += other.items;
  requested += other.requested;
  evicted += other.evicted;
  evicted_nonzero += other.evicted_nonzero;
  evicted_unfetched += other.evicted_unfetched;
  reclaimed += other.reclaimed;
  expired_unfetched += other.expired_unfetched;
}

namespace {

size_t RequestedBytes(const Item* item) {
  return MemcachedItemSize(item->key_len, item->value_len, item->flags);
}

}  // namespace

void MarkStaleCopyOf(Item* item, const Item* live) {
  item->expires_at.store(live->expires_at.load(std::memory_order_relaxed), std::memory_order_relaxed);
  SetState(item, kItemStale);
  if (HasState(live, kItemTokenSent)) SetState(item, kItemTokenSent);
}

void UnmarkStale(Item* item, uint32_t own_expiry) {
  item->expires_at.store(own_expiry, std::memory_order_relaxed);
  ClearState(item, kItemStale);
  ClearState(item, kItemTokenSent);
}

SlabClassCounters& RamTier::ClassOf(Stripe& stripe, const Item* item) {
  return stripe.classes[MemcachedSlabClass(RequestedBytes(item))];
}

void RamTier::CountReclaimed(Stripe& stripe, const Item* item) {
  const bool fetched = HasState(item, kItemFetched);
  SlabClassCounters& by_class = ClassOf(stripe, item);
  ++stripe.counters.reclaimed;
  ++by_class.reclaimed;
  if (!fetched) {
    ++stripe.counters.expired_unfetched;
    ++by_class.expired_unfetched;
  }
}

Item* RamTier::FindLive(Stripe& stripe, std::string_view key, uint64_t hash, uint32_t now,
                        Item** dead) {
  Item* item = stripe.table.Find(key, hash);
  if (item == nullptr) return nullptr;
  const Liveness liveness = Check(item, now);
  if (liveness == Liveness::kLive) return item;
  Unlink(stripe, item, hash);
  CountReclaimed(stripe, item);
  // As memcached, any lookup that meets a dead item counts it, whatever the command.
  ++(liveness == Liveness::kExpired ? stripe.counters.get_expired : stripe.counters.get_flushed);
  *dead = item;
  return nullptr;
}

void RamTier::AccountTableResize(Stripe& stripe, size_t bytes_before) {
  const size_t bytes_after = stripe.table.bytes();
  if (bytes_after != bytes_before) {
    used_.fetch_add(static_cast<int64_t>(bytes_after) - static_cast<int64_t>(bytes_before),
                    std::memory_order_relaxed);
  }
}

void RamTier::Link(Stripe& stripe, Item* item, uint64_t hash) {
  const size_t table_bytes = stripe.table.bytes();
  stripe.table.Insert(item, hash);
  AccountTableResize(stripe, table_bytes);
  ClearState(item, kItemFetched);
  SetState(item, kItemLinked);
  stripe.policy->OnInsert(item, hash);
  SlabClassCounters& by_class = ClassOf(stripe, item);
  ++by_class.items;
  by_class.requested += RequestedBytes(item);
  const size_t footprint = ItemFootprint(item);
  stripe.counters.bytes += footprint;
  stripe.item_bytes.store(stripe.counters.bytes, std::memory_order_relaxed);
  ++stripe.counters.total_items;
  used_.fetch_add(static_cast<int64_t>(footprint), std::memory_order_relaxed);
  entries_.fetch_add(1, std::memory_order_relaxed);
}

void RamTier::Unlink(Stripe& stripe, Item* item, uint64_t hash) {
  const size_t table_bytes = stripe.table.bytes();
  stripe.table.Erase(item, hash);
  AccountTableResize(stripe, table_bytes);
  stripe.policy->OnRemove(item);
  ClearState(item, kItemLinked);
  SlabClassCounters& by_class = ClassOf(stripe, item);
  --by_class.items;
  by_class.requested -= RequestedBytes(item);
  const size_t footprint = ItemFootprint(item);
  stripe.counters.bytes -= footprint;
  stripe.item_bytes.store(stripe.counters.bytes, std::memory_order_relaxed);
  used_.fetch_sub(static_cast<int64_t>(footprint), std::memory_order_relaxed);
  entries_.fetch_sub(1, std::memory_order_relaxed);
}

bool RamTier::Fits(int64_t extra_bytes, int64_t extra_entries) const {
  const int64_t limit = static_cast<int64_t>(limit_.load(std::memory_order_relaxed));
  if (used_.load(std::memory_order_relaxed) + extra_bytes > limit) return false;
  if (max_entries_ != 0 &&
      entries_.load(std::memory_order_relaxed) + extra_entries > static_cast<int64_t>(max_entries_)) {
    return false;
  }
  return true;
}

bool RamTier::EvictOne() {
  const uint32_t turn = evict_cursor_.fetch_add(1, std::memory_order_relaxed);
  const uint32_t now = clock_->Now();
  // Taking from the stripes strictly in turn takes as much from a small stripe as from a
  // large one, and drains small stripes down to their hottest items. Taking from the
  // fuller of two (the next in turn and a pseudo-random one) keeps the stripes level, so
  // each stripe's policy decides among as many items as its share.
  uint64_t start = turn & stripe_mask_;
  const uint64_t other = ((turn * 0x9E3779B97F4A7C15ull) >> 32) & stripe_mask_;
  if (stripes_[other]->item_bytes.load(std::memory_order_relaxed) >
      stripes_[start]->item_bytes.load(std::memory_order_relaxed)) {
    start = other;
  }
  for (size_t i = 0; i < stripes_.size(); ++i) {
    Stripe& stripe = *stripes_[(start + i) & stripe_mask_];
    Item* victim;
    {
      std::lock_guard lock(stripe.mu);
      const size_t metadata_before = stripe.policy->MetadataBytes();
      victim = stripe.policy->Victim(now);
      const size_t metadata_after = stripe.policy->MetadataBytes();
      if (metadata_after != metadata_before) {
        used_.fetch_add(static_cast<int64_t>(metadata_after) - static_cast<int64_t>(metadata_before),
                        std::memory_order_relaxed);
      }
      if (victim == nullptr) continue;
      const bool fetched = HasState(victim, kItemFetched);
      if (Check(victim, now) == Liveness::kLive) {
        SlabClassCounters& by_class = ClassOf(stripe, victim);
        ++stripe.counters.evictions;
        ++by_class.evicted;
        if (victim->expires_at.load(std::memory_order_relaxed) != ExpiryClock::kNever) {
          ++by_class.evicted_nonzero;
        }
        if (!fetched) {
          ++stripe.counters.evicted_unfetched;
          ++by_class.evicted_unfetched;
        }
        if (observer_ != nullptr && victim->persisted.load(std::memory_order_relaxed) == 0) {
          observer_->OnEvicted(victim);
        }
      } else {
        CountReclaimed(stripe, victim);
      }
      Unlink(stripe, victim, HashKey(victim->key()));
    }
    ReleaseItem(victim);
    return true;
  }
  return false;
}

bool RamTier::EvictFor(int64_t extra_bytes, int64_t extra_entries) {
  while (!Fits(extra_bytes, extra_entries)) {
    if (EvictOne()) continue;
    // Every stripe is empty: what is left is policy state (S3-FIFO's ghosts). Give it
    // back rather than refuse stores for good (after cache_memlimit lowered the limit).
    if (!ReleasePolicyMetadata()) return false;
  }
  return true;
}

bool RamTier::ReleasePolicyMetadata() {
  bool released = false;
  for (auto& stripe_ptr : stripes_) {
    Stripe& stripe = *stripe_ptr;
    std::lock_guard lock(stripe.mu);
    const size_t bytes = stripe.policy->MetadataBytes();
    if (bytes == 0) continue;
    stripe.policy->ReleaseMetadata();
    used_.fetch_sub(static_cast<int64_t>(bytes - stripe.policy->MetadataBytes()), std::memory_order_relaxed);
    released = true;
  }
  return released;
}

Result<WritableItem> RamTier::Allocate(std::string_view key, size_t value_len, uint32_t flags,
                                       uint32_t expires_at) {
  if (key.empty() || key.size() > kMaxKeyLength) {
    return Status::InvalidArgument("key must be 1 to 250 bytes");
  }
  if (value_len > UINT32_MAX) return Status::TooLarge();
  Item* item = AllocateItem(key, static_cast<uint32_t>(value_len), flags, expires_at);
  if (item == nullptr) return Status::OutOfMemory();
  return WritableItem(item);
}

Result<uint64_t> RamTier::Commit(Item* item, const Expectation& expect) {
  const uint64_t hash = HashKey(item->key());
  const uint32_t own_expiry = item->expires_at.load(std::memory_order_relaxed);
  Stripe& stripe = StripeFor(hash);
  const int64_t footprint = static_cast<int64_t>(ItemFootprint(item));
  for (int attempt = 0;; ++attempt) {
    int64_t extra_bytes;
    int64_t extra_entries;
    {
      DeferredRelease release;
      std::unique_lock lock(stripe.mu);
      const uint32_t now = clock_->Now();
      Item* dead = nullptr;
      Item* old = FindLive(stripe, item->key(), hash, now, &dead);
      release.Add(dead);

      Status failure;
      if (expect.promote_if != nullptr) {
        if (old != nullptr || !(*expect.promote_if)()) failure = Status::NotStored();
      } else if (expect.decide != nullptr) {
        failure = (*expect.decide)(old);
      } else if (expect.exact != nullptr) {
        if (old != expect.exact) failure = Status(kChanged);
      } else {
        switch (expect.mode) {
          case StoreMode::kAdd:
            if (old != nullptr) failure = Status::NotStored();
            break;
          case StoreMode::kReplace:
          case StoreMode::kAppend:
          case StoreMode::kPrepend:
            if (old == nullptr) failure = Status::NotStored();
            break;
          case StoreMode::kCas:
            if (old == nullptr) failure = Status::NotFound();
            else if (old->cas != expect.cas) failure = Status::Exists();
            break;
          case StoreMode::kCasOrStale:
            UnmarkStale(item, own_expiry);  // an earlier round may have marked it
            if (old == nullptr) {
              failure = Status::NotFound();
            } else if (old->cas != expect.cas) {
              if (expect.cas < old->cas) {
                MarkStaleCopyOf(item, old);  // not published yet: ours to change
              } else {
                failure = Status::Exists();
              }
            }
            break;
          case StoreMode::kSet:
            break;
        }
      }
      if (!failure.ok()) {
        lock.unlock();
        ReleaseItem(item);
        return failure;
      }

      if (expect.outside) {
        // The observer keeps the item; RAM only lets go of the key's old item.
        if (old != nullptr) {
          Unlink(stripe, old, hash);
          release.Add(old);
        }
        if (!expect.keep_cas) item->cas = NextCas();
        item->last_access.store(now, std::memory_order_relaxed);
        item->persisted.store(0, std::memory_order_relaxed);
        observer_->OnChanged(item);
        release.Add(item);
        return item->cas;
      }
      extra_bytes = footprint - (old != nullptr ? static_cast<int64_t>(ItemFootprint(old)) : 0);
      extra_entries = old != nullptr ? 0 : 1;
      // Store now when it fits. A read-modify-write (exact) stores at once too: evicting
      // first could pick the very item it replaces. After two rounds of eviction lost to
      // concurrent writers, store anyway as well. The overshoot is evicted afterwards.
      if (expect.exact != nullptr || attempt >= 2 || Fits(extra_bytes, extra_entries)) {
        if (old != nullptr) {
          Unlink(stripe, old, hash);
          release.Add(old);
        }
        if (expect.promote_if == nullptr) {
          if (!expect.keep_cas) item->cas = NextCas();
          item->last_access.store(now, std::memory_order_relaxed);
          item->persisted.store(0, std::memory_order_relaxed);
        }
        Link(stripe, item, hash);
        if (observer_ != nullptr && expect.promote_if == nullptr) observer_->OnChanged(item);
        const uint64_t cas = item->cas;
        lock.unlock();
        if (!Fits(0, 0)) EvictFor(0, 0);
        return cas;
      }
    }
    if (!EvictFor(extra_bytes, extra_entries)) {
      ReleaseItem(item);
      return Status::OutOfMemory();
    }
  }
}

Result<uint64_t> RamTier::Store(StoreMode mode, WritableItem writable, uint64_t expected_cas) {
  Item* item = writable.Release();
  if (mode == StoreMode::kAppend || mode == StoreMode::kPrepend) {
    return StoreCombined(mode, item, expected_cas);
  }
  return Commit(item, Expectation{mode, expected_cas, nullptr});
}

Result<uint64_t> RamTier::StoreDecided(WritableItem writable,
                                      const std::function<Status(const Item*)>& decide,
                                      Placement placement, bool keep_cas) {
  Item* item = writable.Release();
  if (placement == Placement::kOutside && observer_ == nullptr) {
    ReleaseItem(item);
    return Status(StatusCode::kInternal, "no lower tier to keep the item");
  }
  Expectation expect;
  expect.decide = &decide;
  expect.outside = placement == Placement::kOutside;
  expect.keep_cas = keep_cas;
  return Commit(item, expect);
}

Result<uint64_t> RamTier::StoreCombined(StoreMode mode, Item* data, uint64_t expected_cas) {
  const uint64_t hash = HashKey(data->key());
  Stripe& stripe = StripeFor(hash);
  for (;;) {
    Item* old;
    {
      DeferredRelease release;
      std::lock_guard lock(stripe.mu);
      Item* dead = nullptr;
      old = FindLive(stripe, data->key(), hash, clock_->Now(), &dead);
      release.Add(dead);
      if (old != nullptr) RetainItem(old);
    }
    if (old == nullptr) {
      ReleaseItem(data);
      return Status::NotStored();
    }
    if (expected_cas != 0 && old->cas != expected_cas) {
      ReleaseItem(old);
      ReleaseItem(data);
      return Status::Exists();
    }
    const size_t total = size_t{old->value_len} + data->value_len;
    if (MemcachedItemSize(data->key_len, total, old->flags) > max_item_size_) {
      // As memcached: the combined item cannot be allocated, so nothing is stored.
      ReleaseItem(old);
      ReleaseItem(data);
      return Status::NotStored();
    }
    Item* combined = AllocateItem(data->key(), static_cast<uint32_t>(total), old->flags,
                                  old->expires_at.load(std::memory_order_relaxed));
    if (combined == nullptr) {
      ReleaseItem(old);
      ReleaseItem(data);
      return Status::OutOfMemory();
    }
    char* out = combined->value_data();
    if (mode == StoreMode::kAppend) {
      std::memcpy(out, old->value_data(), old->value_len);
      std::memcpy(out + old->value_len, data->value_data(), data->value_len);
    } else {
      std::memcpy(out, data->value_data(), data->value_len);
      std::memcpy(out + data->value_len, old->value_data(), old->value_len);
    }
    Result<uint64_t> result = Commit(combined, Expectation{mode, 0, old});
    ReleaseItem(old);
    if (result.code() == kChanged) continue;
    ReleaseItem(data);
    return result;
  }
}

void RamTier::NoteExpiryChange(Item* item) {
  item->persisted.store(0, std::memory_order_relaxed);
  if (observer_ != nullptr) observer_->OnChanged(item);
}

Status RamTier::Promote(const ItemHandle& copy, const std::function<bool()>& still_valid) {
  Item* item = copy.get();
  RetainItem(item);  // the table's reference; Commit drops it on failure
  Result<uint64_t> linked = Commit(item, Expectation{StoreMode::kAdd, 0, nullptr, &still_valid});
  return linked.status();
}

void RamTier::RaiseCasFloor(uint64_t floor) {
  uint64_t current = next_cas_.load(std::memory_order_relaxed);
  while (current + 1 < floor &&
         !next_cas_.compare_exchange_weak(current, floor - 1, std::memory_order_relaxed)) {
  }
}

void RamTier::ForEachLive(const std::function<void(Item*)>& visit) {
  for (auto& stripe_ptr : stripes_) {
    Stripe& stripe = *stripe_ptr;
    std::lock_guard lock(stripe.mu);
    const uint32_t now = clock_->Now();
    for (size_t i = 0; i < stripe.table.capacity(); ++i) {
      Item* item = stripe.table.SlotItem(i);
      if (item != nullptr && Check(item, now) == Liveness::kLive) visit(item);
    }
  }
}

size_t RamTier::NotifyUnpersisted() {
  if (observer_ == nullptr) return 0;
  size_t count = 0;
  ForEachLive([&](Item* item) {
    if (item->persisted.load(std::memory_order_relaxed) != 0) return;
    observer_->OnChanged(item);  // under the stripe lock: in order with other changes
    ++count;
  });
  return count;
}

template <typename Visit>
auto RamTier::WithLiveItem(std::string_view key, Visit&& visit) {
  const uint64_t hash = HashKey(key);
  Stripe& stripe = StripeFor(hash);
  DeferredRelease release;
  std::lock_guard lock(stripe.mu);
  Item* dead = nullptr;
  const uint32_t now = clock_->Now();
  Item* item = FindLive(stripe, key, hash, now, &dead);
  release.Add(dead);
  return visit(LiveLookup{stripe, item, now, hash}, release);
}

Result<ItemHandle> RamTier::Fetch(std::string_view key, const uint32_t* new_expiry) {
  return WithLiveItem(key, [&](const LiveLookup& at, DeferredRelease&) -> Result<ItemHandle> {
    if (at.item == nullptr) {
      ++at.stripe.counters.get_misses;
      return Status::NotFound();
    }
    ++at.stripe.counters.get_hits;
    at.item->last_access.store(at.now, std::memory_order_relaxed);
    if (new_expiry != nullptr) at.item->expires_at.store(*new_expiry, std::memory_order_relaxed);
    SetState(at.item, kItemFetched);
    at.stripe.policy->OnAccess(at.item);
    if (new_expiry != nullptr) NoteExpiryChange(at.item);
    RetainItem(at.item);
    return ItemHandle(at.item);
  });
}

namespace {

// Counts one event under the shared stripe lock, where other readers count too.
void CountShared(uint64_t& counter) {
  std::atomic_ref<uint64_t>(counter).fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

Result<ItemHandle> RamTier::SharedGet(std::string_view key) {
  const uint64_t hash = HashKey(key);
  Stripe& stripe = StripeFor(hash);
  std::shared_lock lock(stripe.mu);
  Item* item = stripe.table.Find(key, hash);
  if (item == nullptr) {
    CountShared(stripe.counters.get_misses);
    return Status::NotFound();
  }
  const uint32_t now = clock_->Now();
  if (Check(item, now) != Liveness::kLive) return Status(kStale);
  CountShared(stripe.counters.get_hits);
  // Written only when they change, so readers of a hot item do not dirty its line.
  if (item->last_access.load(std::memory_order_relaxed) != now) {
    item->last_access.store(now, std::memory_order_relaxed);
  }
  if (!HasState(item, kItemFetched)) item->state.fetch_or(kItemFetched, std::memory_order_relaxed);
  stripe.policy->OnSharedAccess(item);
  RetainItem(item);
  return ItemHandle(item);
}

Result<ItemHandle> RamTier::Get(std::string_view key) {
  if (shared_hits_) {
    Result<ItemHandle> found = SharedGet(key);
    if (found.code() != kStale) return found;
  }
  return Fetch(key, nullptr);  // also unlinks the dead item SharedGet met
}

Result<RamTier::MetaFetched> RamTier::MetaFetch(std::string_view key, const MetaFetchOptions& options) {
  for (int attempt = 0;; ++attempt) {
    Result<MetaFetched> found =
        WithLiveItem(key, [&](const LiveLookup& at, DeferredRelease&) -> Result<MetaFetched> {
          if (at.item == nullptr) {
            if (!options.vivify) ++at.stripe.counters.get_misses;
            return Status::NotFound();
          }
          ++at.stripe.counters.get_hits;
          Item* item = at.item;
          MetaFetched fetched;
          fetched.fetched_before = HasState(item, kItemFetched);
          fetched.last_access = item->last_access.load(std::memory_order_relaxed);
          if (options.new_expiry != nullptr) {
            item->expires_at.store(*options.new_expiry, std::memory_order_relaxed);
            NoteExpiryChange(item);
          }
          const uint32_t expires_at = item->expires_at.load(std::memory_order_relaxed);
          fetched.token_sent = HasState(item, kItemTokenSent);
          fetched.stale = HasState(item, kItemStale);
          fetched.win = !fetched.token_sent &&
                        (fetched.stale || (options.recache && expires_at != ExpiryClock::kNever &&
                                           expires_at < options.recache_before));
          if (fetched.win) SetState(item, kItemTokenSent);
          if (options.bump) {
            item->last_access.store(at.now, std::memory_order_relaxed);
            SetState(item, kItemFetched);
            at.stripe.policy->OnAccess(item);
          }
          RetainItem(item);
          fetched.item = ItemHandle(item);
          return fetched;
        });
    if (found.ok() || !options.vivify || attempt == 3) return found;
    // N on a miss: an empty item, already holding the win token, added unless someone
    // else created the key meanwhile (then that item is looked at again).
    Item* created = AllocateItem(key, 0, 0, options.vivify_expiry);
    if (created == nullptr) return Status::OutOfMemory();
    SetState(created, kItemTokenSent);
    RetainItem(created);  // ours, for the reply; the table takes the other
    Result<uint64_t> added = Commit(created, Expectation{StoreMode::kAdd, 0, nullptr});
    if (added.ok()) {
      MetaFetched fetched;
      fetched.item = ItemHandle(created);
      fetched.created = true;
      fetched.win = true;
      fetched.last_access = created->last_access.load(std::memory_order_relaxed);
      return fetched;
    }
    ReleaseItem(created);
    if (added.code() != StatusCode::kNotStored) return added.status();
  }
}

Status RamTier::Invalidate(std::string_view key, uint64_t expected_cas, const uint32_t* new_expiry) {
  return WithLiveItem(key, [&](const LiveLookup& at, DeferredRelease&) -> Status {
    if (at.item == nullptr) return Status::NotFound();
    if (expected_cas != 0 && at.item->cas != expected_cas) return Status::Exists();
    if (new_expiry != nullptr) {
      at.item->expires_at.store(*new_expiry, std::memory_order_relaxed);
      NoteExpiryChange(at.item);
    }
    SetState(at.item, kItemStale);
    ClearState(at.item, kItemTokenSent);
    at.item->cas = NextCas();
    at.item->persisted.store(0, std::memory_order_relaxed);
    if (observer_ != nullptr) observer_->OnChanged(at.item);
    return Status::Ok();
  });
}

Result<ItemHandle> RamTier::Peek(std::string_view key) {
  return WithLiveItem(key, [](const LiveLookup& at, DeferredRelease&) -> Result<ItemHandle> {
    if (at.item == nullptr) return Status::NotFound();
    RetainItem(at.item);
    return ItemHandle(at.item);
  });
}

Result<ItemHandle> RamTier::GetAndTouch(std::string_view key, uint32_t expires_at) {
  return Fetch(key, &expires_at);
}

bool RamTier::Contains(std::string_view key) {
  return WithLiveItem(key, [](const LiveLookup& at, DeferredRelease&) { return at.item != nullptr; });
}

Status RamTier::Touch(std::string_view key, uint32_t expires_at) {
  return WithLiveItem(key, [&](const LiveLookup& at, DeferredRelease&) -> Status {
    if (at.item == nullptr) return Status::NotFound();
    at.item->expires_at.store(expires_at, std::memory_order_relaxed);
    at.stripe.policy->OnAccess(at.item);
    NoteExpiryChange(at.item);
    return Status::Ok();
  });
}

Status RamTier::Delete(std::string_view key, uint64_t expected_cas) {
  return WithLiveItem(key, [&](const LiveLookup& at, DeferredRelease& release) -> Status {
    if (at.item == nullptr) return Status::NotFound();
    if (expected_cas != 0 && at.item->cas != expected_cas) return Status::Exists();
    Unlink(at.stripe, at.item, at.hash);
    if (observer_ != nullptr) observer_->OnDeleted(key);
    release.Add(at.item);
    return Status::Ok();
  });
}

Result<uint64_t> RamTier::ApplyDelta(std::string_view key, bool increment, uint64_t delta) {
  Result<DeltaResult> result = ApplyDeltaChecked(key, increment, delta, 0);
  if (!result.ok()) return result.status();
  return result->value;
}

Result<RamTier::DeltaResult> RamTier::ApplyDeltaChecked(std::string_view key, bool increment,
                                                        uint64_t delta, uint64_t expected_cas) {
  const uint64_t hash = HashKey(key);
  Stripe& stripe = StripeFor(hash);
  for (;;) {
    Item* old;
    char digits[20];
    size_t digit_count;
    uint64_t value;
    {
      DeferredRelease release;
      std::lock_guard lock(stripe.mu);
      Item* dead = nullptr;
      old = FindLive(stripe, key, hash, clock_->Now(), &dead);
      release.Add(dead);
      if (old == nullptr) return Status::NotFound();
      if (expected_cas != 0 && old->cas != expected_cas) return Status::Exists();
      // A compressed value is over compression_threshold bytes: never a plain number.
      if (old->value_len == 0 || HasState(old, kItemCompressed) ||
          !SafeStrtoull(old->value(), &value)) {
        return Status::NonNumeric();
      }
      if (increment) {
        value += delta;  // wraps at 2^64, as memcached
      } else {
        value = delta > value ? 0 : value - delta;
      }
      digit_count = FormatDecimal(value, digits);
      // Only the table holds the item, and only under this lock can anyone take another
      // reference: nobody can be reading the bytes, so they may change in place.
      if (digit_count <= old->value_len && old->refs.load(std::memory_order_acquire) == 1) {
        std::memcpy(old->value_data(), digits, digit_count);
        std::memset(old->value_data() + digit_count, ' ', old->value_len - digit_count);
        old->cas = NextCas();
        old->persisted.store(0, std::memory_order_relaxed);
        stripe.policy->OnAccess(old);
        if (observer_ != nullptr) observer_->OnChanged(old);
        return DeltaResult{value, old->cas, old->expires_at.load(std::memory_order_relaxed)};
      }
      RetainItem(old);
    }
    // Someone else holds the item (a reader, or the write-behind queue): write a new item.
    // Like the in-place path it keeps the old length, space-padded, when the digits fit,
    // so that what clients read does not depend on who else was looking.
    const size_t length = digit_count <= old->value_len ? old->value_len : digit_count;
    Item* fresh = AllocateItem(key, static_cast<uint32_t>(length), old->flags,
                               old->expires_at.load(std::memory_order_relaxed));
    if (fresh == nullptr) {
      ReleaseItem(old);
      return Status::OutOfMemory();
    }
    std::memcpy(fresh->value_data(), digits, digit_count);
    std::memset(fresh->value_data() + digit_count, ' ', length - digit_count);
    const uint32_t expires_at = fresh->expires_at.load(std::memory_order_relaxed);
    Result<uint64_t> result = Commit(fresh, Expectation{StoreMode::kSet, 0, old});
    ReleaseItem(old);
    if (result.code() == kChanged) continue;
    if (!result.ok()) return result.status();
    return DeltaResult{value, result.value(), expires_at};
  }
}

void RamTier::FlushAll() {
  NextCas();  // memcached spends one CAS unique on a flush that takes effect at once
  ReleasePolicyMetadata();  // nothing left to remember
  for (auto& stripe_ptr : stripes_) {
    Stripe& stripe = *stripe_ptr;
    std::vector<Item*> dropped;
    {
      std::lock_guard lock(stripe.mu);
      dropped.reserve(stripe.table.size());
      for (size_t i = 0; i < stripe.table.capacity(); ++i) {
        if (Item* item = stripe.table.SlotItem(i)) dropped.push_back(item);
      }
      for (Item* item : dropped) {
        stripe.policy->OnRemove(item);
        ClearState(item, kItemLinked);
        const size_t footprint = ItemFootprint(item);
        stripe.counters.bytes -= footprint;
        used_.fetch_sub(static_cast<int64_t>(footprint), std::memory_order_relaxed);
        entries_.fetch_sub(1, std::memory_order_relaxed);
      }
      stripe.item_bytes.store(stripe.counters.bytes, std::memory_order_relaxed);
      for (SlabClassCounters& by_class : stripe.classes) {  // every item is gone
        by_class.items = 0;
        by_class.requested = 0;
      }
      const size_t table_bytes = stripe.table.bytes();
      stripe.table = ItemTable();
      AccountTableResize(stripe, table_bytes);
    }
    for (Item* item : dropped) ReleaseItem(item);
  }
}

void RamTier::SetFlushDeadline(uint32_t deadline) {
  if (deadline != 0 && deadline <= clock_->Now()) NextCas();  // as FlushAll()
  flush_deadline_.store(deadline, std::memory_order_relaxed);
}

size_t RamTier::ReclaimExpired() {
  size_t reclaimed = 0;
  std::vector<Item*> dead;
  for (auto& stripe_ptr : stripes_) {
    Stripe& stripe = *stripe_ptr;
    dead.clear();
    {
      std::lock_guard lock(stripe.mu);
      const uint32_t now = clock_->Now();
      // Collect first: unlinking may shrink the table under the walk.
      for (size_t i = 0; i < stripe.table.capacity(); ++i) {
        Item* item = stripe.table.SlotItem(i);
        if (item != nullptr && Check(item, now) != Liveness::kLive) dead.push_back(item);
      }
      for (Item* item : dead) {
        CountReclaimed(stripe, item);
        Unlink(stripe, item, HashKey(item->key()));
      }
    }
    for (Item* item : dead) ReleaseItem(item);
    reclaimed += dead.size();
  }
  return reclaimed;
}

void RamTier::VisitSlabClass(unsigned id, const std::function<bool(const Item*)>& visit) {
  bool more = true;
  ForEachLive([&](Item* item) {
    if (more && MemcachedSlabClass(RequestedBytes(item)) == id) more = visit(item);
  });
}

std::vector<std::string> RamTier::Keys() {
  std::vector<std::string> keys;
  ForEachLive([&](Item* item) { keys.emplace_back(item->key()); });
  return keys;
}

RamTierStats RamTier::Stats() {
  RamTierStats stats;
  for (auto& stripe_ptr : stripes_) {
    Stripe& stripe = *stripe_ptr;
    std::lock_guard lock(stripe.mu);
    const Counters& c = stripe.counters;
    stats.curr_items += stripe.table.size();
    stats.hash_bytes += stripe.table.bytes();
    stats.policy_bytes += stripe.policy->MetadataBytes();
    stats.total_items += c.total_items;
    stats.bytes += c.bytes;
    stats.evictions += c.evictions;
    stats.evicted_unfetched += c.evicted_unfetched;
    stats.expired_unfetched += c.expired_unfetched;
    stats.reclaimed += c.reclaimed;
    stats.get_hits += c.get_hits;
    stats.get_misses += c.get_misses;
    stats.get_expired += c.get_expired;
    stats.get_flushed += c.get_flushed;
  }
  stats.limit_maxbytes = limit_.load(std::memory_order_relaxed);
  return stats;
}

std::array<SlabClassCounters, kMemcachedLastClass + 1> RamTier::SlabClasses() {
  std::array<SlabClassCounters, kMemcachedLastClass + 1> total{};
  for (auto& stripe_ptr : stripes_) {
    std::lock_guard lock(stripe_ptr->mu);
    for (size_t id = 0; id < total.size(); ++id) total[id].Add(stripe_ptr->classes[id]);
  }
  return total;
}

Status RamTier::SetMemoryLimit(uint64_t max_memory) {
  if (max_memory == 0) return Status::InvalidArgument("memory limit must be positive");
  limit_.store(max_memory, std::memory_order_relaxed);
  EvictFor(0, 0);
  return Status::Ok();
}

}  // namespace ratmemcache::ram
