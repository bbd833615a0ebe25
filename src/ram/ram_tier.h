#pragma once

// RamTier: the RAM tier (L1). Items live in lock stripes chosen by key hash; each stripe
// has its own lock (StripeLock), hash table (ItemTable) and eviction order
// (EvictionPolicy), so there is no global lock. Changes lock a stripe exclusively; a get
// hit locks it shared when the policy records hits atomically (the FIFO family), else
// exclusively. Memory and entry limits are global atomics: a store that does not fit
// evicts victims from the fuller of two stripes at a time, never holding two stripe
// locks at once.
//
// The tier knows nothing of protocols. Times are ExpiryClock times (the caller converts
// memcached exptimes). Every method is thread-safe.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/expiry_clock.h"
#include "ram/eviction_policy.h"
#include "ram/item.h"
#include "ram/item_table.h"
#include "ram/memcached_classes.h"
#include "ram/stripe_lock.h"
#include "ratmemcache/cache.h"
#include "ratmemcache/item.h"
#include "ratmemcache/status.h"

namespace ratmemcache::ram {

// Told about changes that a lower tier must follow. Every call is made with the item's
// stripe lock held, so calls about one key arrive in the order the changes happened;
// implementations must be quick and must not call back into the RamTier.
class RamObserver {
 public:
  virtual ~RamObserver() = default;
  // `item` (linked) holds bytes, flags or an expiry that the lower tier does not have.
  virtual void OnChanged(Item* item) = 0;
  // The client deleted `key`.
  virtual void OnDeleted(std::string_view key) = 0;
  // `item` left RAM to make room while still live and not yet persisted.
  virtual void OnEvicted(Item* item) = 0;
};

struct RamTierOptions {
  uint64_t max_memory = 64ull << 20;  // bytes, items and hash tables included
  uint64_t max_entries = 0;           // 0 = unbounded
  EvictionStrategy eviction = EvictionStrategy::kS3Fifo;  // as L1Options
  uint32_t stripes = 64;              // power of two
  // Largest item by MemcachedItemSize(); append and prepend may not grow past it.
  uint64_t max_item_size = 1ull << 20;
};

// Counters of the tier; see CacheStats for their meaning.
// The items of one of memcached's slab classes (see memcached_classes.h).
struct SlabClassCounters {
  uint64_t items = 0;              // linked now
  uint64_t requested = 0;          // their bytes as memcached counts them
  uint64_t evicted = 0;
  uint64_t evicted_nonzero = 0;    // evicted with an expiry set
  uint64_t evicted_unfetched = 0;
  uint64_t reclaimed = 0;          // expired or flushed items unlinked
  uint64_t expired_unfetched = 0;

  void Add(const SlabClassCounters& other);
};

struct RamTierStats {
  uint64_t curr_items = 0;
  uint64_t total_items = 0;
  uint64_t bytes = 0;
  uint64_t hash_bytes = 0;
  uint64_t policy_bytes = 0;  // eviction-policy state outside the items (S3-FIFO's ghost)
  uint64_t limit_maxbytes = 0;
  uint64_t evictions = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t expired_unfetched = 0;
  uint64_t reclaimed = 0;
  uint64_t get_hits = 0;
  uint64_t get_misses = 0;
  uint64_t get_expired = 0;
  uint64_t get_flushed = 0;
};

// For a store under an older CAS (StoreMode::kCasOrStale): gives the unpublished `item`
// the expiry of the `live` one and marks it stale, keeping a recache token already sent.
void MarkStaleCopyOf(Item* item, const Item* live);
// Undoes MarkStaleCopyOf (a later attempt found the CAS current): `own_expiry` back.
void UnmarkStale(Item* item, uint32_t own_expiry);

class RamTier {
 public:
  // `clock` must outlive the tier.
  RamTier(const RamTierOptions& options, const ExpiryClock* clock);
  ~RamTier();
  RamTier(const RamTier&) = delete;
  RamTier& operator=(const RamTier&) = delete;

  // An unpublished item with room for `value_len` bytes. Returns: InvalidArgument (key
  // length), OutOfMemory (the allocator failed).
  Result<WritableItem> Allocate(std::string_view key, size_t value_len, uint32_t flags,
                                uint32_t expires_at);
  // Publishes `item` according to `mode` (see StoreMode); for kAppend/kPrepend the item's
  // value is the data to add, and a non-zero `expected_cas` must match the item's.
  // Returns the new CAS unique, or: NotStored, NotFound (kCas on a missing key), Exists
  // (CAS mismatch), OutOfMemory.
  Result<uint64_t> Store(StoreMode mode, WritableItem item, uint64_t expected_cas);

  // Where StoreDecided() puts an item.
  enum class Placement : uint8_t {
    kLink,     // into RAM, replacing the key's RAM item
    kOutside,  // not into RAM: the key's RAM item is removed (without OnDeleted) and the
               // observer, told of the item as changed, keeps it from then on
  };
  // The status a `decide` function returns when the view it decided on went stale; the
  // caller looks again and retries.
  static constexpr StatusCode kStale = StatusCode::kInternal;
  // Stores `item` if `decide`, called under the key's stripe lock with the key's live RAM
  // item (or null), returns Ok; otherwise nothing changes and decide's status is returned.
  // The item gets a new CAS unique unless `keep_cas`. kOutside requires an observer.
  // Returns the CAS unique, decide's status, or OutOfMemory.
  Result<uint64_t> StoreDecided(WritableItem item,
                                const std::function<Status(const Item* in_ram)>& decide,
                                Placement placement, bool keep_cas);

  // Sets the observer (once, before any other call). Null: nobody listens.
  void set_observer(RamObserver* observer) { observer_ = observer; }

  // Links `copy` (an unlinked item read back from a lower tier, with its CAS, last access
  // and persisted flag already set; the caller keeps its reference) unless the key is
  // present in RAM or `still_valid`, called under the stripe lock, says the copy went
  // stale. Returns: NotStored (present or stale), OutOfMemory.
  Status Promote(const ItemHandle& copy, const std::function<bool()>& still_valid);

  // True unless `item` has expired or been flushed (whether linked or not).
  bool IsLive(const Item* item) const { return Check(item, clock_->Now()) == Liveness::kLive; }

  // CAS uniques handed out from now on are at least `floor` (after a restart).
  void RaiseCasFloor(uint64_t floor);
  // The next CAS unique to be handed out.
  uint64_t NextCasPeek() const { return next_cas_.load(std::memory_order_relaxed) + 1; }
  // Reports every live item not yet persisted to the observer as changed, each under its
  // stripe lock (for a graceful stop). Returns how many.
  size_t NotifyUnpersisted();

  // Returns: NotFound.
  Result<ItemHandle> Get(std::string_view key);
  // The key's live item, without counting or recording an access. Returns: NotFound.
  Result<ItemHandle> Peek(std::string_view key);
  // Get, also setting the expiry. Returns: NotFound.
  Result<ItemHandle> GetAndTouch(std::string_view key, uint32_t expires_at);
  bool Contains(std::string_view key);
  // Returns: NotFound.
  Status Touch(std::string_view key, uint32_t expires_at);
  // Returns: NotFound.
  // With `expected_cas` non-zero, only an item with that CAS unique is deleted; returns
  // Exists when the CAS differs.
  Status Delete(std::string_view key, uint64_t expected_cas = 0);
  // Adds (increment) or subtracts `delta` to the decimal value, memcached-style: wraps at
  // 2^64 going up, stops at 0 going down; a result shorter than the stored value keeps the
  // value's length, padded with spaces, as memcached does. Returns: NotFound,
  // NonNumeric, OutOfMemory.
  Result<uint64_t> ApplyDelta(std::string_view key, bool increment, uint64_t delta);
  // What a meta get (mg) asks besides the item.
  struct MetaFetchOptions {
    bool bump = true;                  // false (u): no LRU bump, not marked fetched
    const uint32_t* new_expiry = nullptr;  // T: set this expiry (clock time)
    bool vivify = false;               // N: on a miss, create an empty item...
    uint32_t vivify_expiry = 0;        // ...expiring then
    bool recache = false;              // R: win when the item expires before...
    uint32_t recache_before = 0;       // ...this clock time
  };
  // What it reports, as memcached's mg flags need it.
  struct MetaFetched {
    ItemHandle item;
    bool created = false;          // made by vivify
    bool fetched_before = false;   // h
    uint32_t last_access = 0;      // l: clock time of the last access before this one
    bool stale = false;            // X
    bool token_sent = false;       // Z: a client was already told it won
    bool win = false;              // W: this client should recache the item
  };
  // A get with memcached's meta semantics (see MetaFetchOptions/MetaFetched); the win
  // token is handed out once per item until it is replaced or invalidated again.
  // Returns: NotFound (no item and no vivify), OutOfMemory.
  Result<MetaFetched> MetaFetch(std::string_view key, const MetaFetchOptions& options);
  // memcached's md with I: marks the item stale, clears its win token, gives it a new
  // CAS and, with `new_expiry`, a new expiry; only while its CAS is `expected_cas` (0:
  // any). Returns: NotFound, Exists.
  Status Invalidate(std::string_view key, uint64_t expected_cas, const uint32_t* new_expiry);

  // What ApplyDeltaChecked reports: the new number, the item's new CAS and its expiry.
  struct DeltaResult {
    uint64_t value = 0;
    uint64_t cas = 0;
    uint32_t expires_at = 0;
  };
  // ApplyDelta, only on an item whose CAS unique is `expected_cas` (0: any). Returns also
  // Exists (the CAS differs).
  Result<DeltaResult> ApplyDeltaChecked(std::string_view key, bool increment, uint64_t delta,
                                        uint64_t expected_cas);

  // Per memcached slab class (index = class id, 0 unused): the items in RAM now and what
  // left it. Takes every stripe lock in turn.
  std::array<SlabClassCounters, kMemcachedLastClass + 1> SlabClasses();

  // Calls `visit(item)` under its stripe lock for live items of memcached slab class `id`
  // until it returns false. For admin dumps: walks every stripe.
  void VisitSlabClass(unsigned id, const std::function<bool(const Item*)>& visit);

  // Drops every item now.
  void FlushAll();
  // From clock time `deadline` on, every item last stored or read at or before
  // `deadline` counts as gone (memcached's delayed flush_all, to the second); items stored
  // later live. 0 cancels.
  void SetFlushDeadline(uint32_t deadline);

  // Unlinks expired and flushed items from every stripe; returns how many.
  size_t ReclaimExpired();

  // Live keys.
  std::vector<std::string> Keys();
  uint64_t Size() const { return entries_.load(std::memory_order_relaxed); }
  RamTierStats Stats();
  uint32_t stripe_count() const { return static_cast<uint32_t>(stripes_.size()); }

  // Changes the memory limit, evicting down to it. Returns: InvalidArgument when zero.
  Status SetMemoryLimit(uint64_t max_memory);

 private:
  // Plain fields under the exclusive stripe lock; get_hits and get_misses also counted
  // under the shared lock, there through std::atomic_ref (CountShared).
  struct Counters {
    uint64_t total_items = 0;
    uint64_t bytes = 0;
    uint64_t evictions = 0;
    uint64_t evicted_unfetched = 0;
    uint64_t expired_unfetched = 0;
    uint64_t reclaimed = 0;
    uint64_t get_hits = 0;
    uint64_t get_misses = 0;
    uint64_t get_expired = 0;
    uint64_t get_flushed = 0;
  };
  struct alignas(64) Stripe {
    StripeLock mu;
    ItemTable table;
    std::unique_ptr<EvictionPolicy> policy;
    Counters counters;
    // counters.bytes, for reading without the lock (EvictOne compares stripes).
    std::atomic<uint64_t> item_bytes{0};
    std::array<SlabClassCounters, kMemcachedLastClass + 1> classes{};  // by class id
  };
  // The class counters of `item`. REQUIRES: the stripe lock.
  static SlabClassCounters& ClassOf(Stripe& stripe, const Item* item);
  // Counts `item` leaving as expired or flushed. REQUIRES: the stripe lock.
  static void CountReclaimed(Stripe& stripe, const Item* item);
  enum class Liveness { kLive, kExpired, kFlushed };
  // What a commit expects of the item currently under the key.
  struct Expectation;

  Stripe& StripeFor(uint64_t hash) { return *stripes_[hash & stripe_mask_]; }
  // A key's stripe, locked, with its live item (null when none) and the time of the lookup.
  struct LiveLookup {
    Stripe& stripe;
    Item* item;
    uint32_t now;
    uint64_t hash;
  };
  // Calls `visit(lookup, release)` under the key's stripe lock; items handed to
  // `release.Add()` (a dead one found on the way, too) are released after unlocking.
  template <typename Visit>
  auto WithLiveItem(std::string_view key, Visit&& visit);
  // A get hit under the shared stripe lock (for SharedHits() policies). Returns NotFound
  // for a missing key and kStale when it met a dead item (only the exclusive path may
  // unlink it).
  Result<ItemHandle> SharedGet(std::string_view key);
  // Get, and also sets the expiry when `new_expiry` is not null (get-and-touch).
  Result<ItemHandle> Fetch(std::string_view key, const uint32_t* new_expiry);
  Liveness Check(const Item* item, uint32_t now) const;
  // Finds the live item under `key`; unlinks a dead one and hands it to `dead` (release
  // after unlocking). REQUIRES: stripe.mu held.
  Item* FindLive(Stripe& stripe, std::string_view key, uint64_t hash, uint32_t now,
                 Item** dead);
  void Link(Stripe& stripe, Item* item, uint64_t hash);
  // Removes `item` from the stripe; the table's reference passes to the caller.
  void Unlink(Stripe& stripe, Item* item, uint64_t hash);
  // Charges or credits the change of the stripe's table size since `bytes_before`.
  void AccountTableResize(Stripe& stripe, size_t bytes_before);
  // Calls `visit` for every live item, stripe by stripe, with that stripe's lock held.
  void ForEachLive(const std::function<void(Item*)>& visit);
  // The item's expiry changed in place: it needs persisting again. REQUIRES: stripe lock.
  void NoteExpiryChange(Item* item);
  bool Fits(int64_t extra_bytes, int64_t extra_entries) const;
  // Evicts until `extra_bytes`/`extra_entries` more would fit. False when nothing is left.
  bool EvictFor(int64_t extra_bytes, int64_t extra_entries);
  // Releases every stripe's policy state kept outside the items (ReleaseMetadata) and
  // credits its bytes. False when there was none.
  bool ReleasePolicyMetadata();
  // Evicts one item: from the fuller (in bytes) of the next stripe in turn and a
  // pseudo-random one, or else from the next non-empty stripe. False when all are empty.
  bool EvictOne();
  Result<uint64_t> Commit(Item* item, const Expectation& expect);
  // append/prepend; with `expected_cas` non-zero only onto an item with that CAS.
  Result<uint64_t> StoreCombined(StoreMode mode, Item* data, uint64_t expected_cas);
  uint64_t NextCas() { return next_cas_.fetch_add(1, std::memory_order_relaxed) + 1; }

  const ExpiryClock* clock_;
  RamObserver* observer_ = nullptr;
  const uint64_t max_entries_;
  const uint64_t max_item_size_;
  const EvictionStrategy eviction_;
  bool shared_hits_ = false;  // the policy's SharedHits(): gets take the shared lock
  std::vector<std::unique_ptr<Stripe>> stripes_;
  uint64_t stripe_mask_;
  std::atomic<uint64_t> limit_;
  std::atomic<int64_t> used_{0};     // item footprints + table bytes + policy metadata
  std::atomic<int64_t> entries_{0};
  std::atomic<uint64_t> next_cas_{0};
  std::atomic<uint32_t> evict_cursor_{0};
  std::atomic<uint32_t> flush_deadline_{0};
};

}  // namespace ratmemcache::ram
