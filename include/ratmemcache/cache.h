#pragma once

// Cache: RatMemCache's thread-safe key-value cache with memcached semantics.
//
// Keys are byte strings of 1 to 250 bytes (memcached's limit); any byte may appear, as in
// memcached's binary protocol. Values are arbitrary bytes. Each item carries 32-bit client flags, an expiry and a CAS
// unique that changes on every modification.
//
// Expiry times follow memcached's exptime convention everywhere:
//   0                 -> TtlOptions::default_ttl, which is "never" unless configured
//   1 .. 2592000      -> seconds from now (up to 30 days)
//   above 2592000     -> an absolute unix time
//   negative          -> already expired (the store succeeds, the item is never served)
//
// Thread-safety: every method may be called from any number of threads at once. There is
// no global lock: operations on keys in different lock stripes never wait for each other.
//
// Errors: every outcome is a Status or Result; nothing throws for expected outcomes.
// Each method lists the codes it may return besides kOk.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ratmemcache/item.h"
#include "ratmemcache/options.h"
#include "ratmemcache/status.h"

namespace ratmemcache {

// Longest key accepted, as in memcached.
inline constexpr size_t kMaxKeyLength = 250;

// How a store treats the item already under its key.
enum class StoreMode : uint8_t {
  kSet,      // store unconditionally
  kAdd,      // only if no live item exists (else kNotStored)
  kReplace,  // only if a live item exists (else kNotStored)
  kAppend,   // add the bytes after the existing value; keeps its flags and expiry
  kPrepend,  // add the bytes before the existing value; keeps its flags and expiry
  kCas,      // only if the live item's CAS unique equals the expected one
  // As kCas, but an expected CAS older than the live item's still stores the value,
  // marked stale (its first meta reader wins the recache token) and keeping the live
  // item's expiry: memcached's meta "ms" with C and I.
  kCasOrStale,
};

// Flags and expiry for a write.
struct WriteOptions {
  uint32_t flags = 0;
  int64_t exptime = 0;  // memcached exptime; see the top of this file
};

// Counters describing a cache, named after memcached's stats where one exists.
struct CacheStats {
  uint64_t curr_items = 0;         // live items (expired ones not yet reclaimed included)
  uint64_t total_items = 0;        // items ever stored
  uint64_t bytes = 0;              // bytes charged for items, overhead included
  uint64_t hash_bytes = 0;         // bytes of the hash tables
  uint64_t policy_bytes = 0;       // eviction-policy state outside the items (S3-FIFO's ghost), within -m
  uint64_t limit_maxbytes = 0;     // L1Options::max_memory
  uint64_t evictions = 0;          // live items removed to make room
  uint64_t evicted_unfetched = 0;  // evicted items that were never read
  uint64_t expired_unfetched = 0;  // expired items reclaimed that were never read
  uint64_t reclaimed = 0;          // expired items reclaimed (lazily or by the sweep)
  uint64_t get_hits = 0;            // RAM lookups that found the key
  uint64_t get_misses = 0;          // RAM lookups that did not (L2 may still have it)
  uint64_t get_expired = 0;        // lookups that found only an expired item
  uint64_t get_flushed = 0;        // lookups that found only a flushed item
  uint64_t lock_stripes = 0;
  // The persistent tier (all zero when it is off).
  bool l2_enabled = false;
  uint64_t l2_items = 0;               // RocksDB's estimate of the records on disk
  uint64_t l2_bytes = 0;               // bytes on disk and in memtables
  uint64_t l2_gets = 0;                // lookups that reached L2 (RAM misses)
  uint64_t l2_hits = 0;
  uint64_t l2_writes = 0;              // records written (puts and deletes)
  uint64_t l2_promotions = 0;          // items brought back into RAM from L2 or the queue
  uint64_t l2_demotions = 0;           // RAM evictions sent to L2 instead of lost
  uint64_t l2_write_behind_items = 0;  // changes waiting to be written
  uint64_t l2_write_behind_bytes = 0;
  uint64_t l2_errors = 0;              // failed reads and (retried) writes
  // 1 while writes to L2 fail (disk full, I/O error): RAM keeps serving, the log says why.
  uint64_t l2_write_failing = 0;
  // Changes that never reached L2 because it was failing with a full queue (their RAM
  // copies stay; L2 forgets the key rather than serve an older copy).
  uint64_t l2_write_dropped = 0;
  uint64_t l2_evicted_for_size = 0;    // times max_disk_size made old data go
  uint64_t l2_direct_stores = 0;       // values above large_value_threshold stored in L2 only
  // RAM compression (all zero when it is off).
  uint64_t compressed_stores = 0;      // values stored LZ4-compressed in RAM
  uint64_t compression_saved_bytes = 0;  // bytes those stores saved, in total
};

class Cache {
 public:
  virtual ~Cache() = default;

  // Looks up `key`. Returns: NotFound (also for expired or flushed items).
  virtual Result<ItemHandle> Get(std::string_view key) = 0;
  // Looks up `key` without waiting for the disk: in RAM, and (with `disk_cache`) in what
  // the persistent tier holds in memory. Returns: NotFound (nowhere), WouldBlock (the
  // answer needs the persistent tier: call Get(), on a thread that may block).
  virtual Result<ItemHandle> GetIfInMemory(std::string_view key, bool disk_cache = true) = 0;
  // Looks up `key` and sets its expiry to `exptime`. Returns: NotFound.
  virtual Result<ItemHandle> GetAndTouch(std::string_view key, int64_t exptime) = 0;
  // True when a live item under `key` is in RAM. Never waits for the disk; does not count
  // as an access.
  virtual bool ContainsInMemory(std::string_view key) = 0;
  // True when a live item exists under `key`. Does not count as an access.
  virtual bool Contains(std::string_view key) = 0;

  // Stores `value` under `key` according to `mode` and returns the new CAS unique.
  // `expected_cas` is used by kCas, and by kAppend/kPrepend when non-zero (the existing
  // item's CAS must match, or Exists; memcached's meta ms with C and mode A or P).
  // kAppend and kPrepend ignore `options`.
  // Returns: NotStored, Exists (kCas mismatch), NotFound (kCas on a missing key),
  // TooLarge, OutOfMemory, InvalidArgument (bad key), Shutdown.
  virtual Result<uint64_t> Store(StoreMode mode, std::string_view key, std::string_view value,
                                 const WriteOptions& options = {},
                                 uint64_t expected_cas = 0) = 0;

  // Allocates an unpublished item for a later Store(mode, WritableItem&&, ...) so that the
  // caller can fill the value in place. Nothing is visible until then.
  // Returns: TooLarge, OutOfMemory, InvalidArgument (bad key), Shutdown.
  virtual Result<WritableItem> Allocate(std::string_view key, size_t value_size,
                                        const WriteOptions& options) = 0;
  // Publishes `item` according to `mode`, as Store() above. The item is consumed whatever
  // the outcome.
  virtual Result<uint64_t> Store(StoreMode mode, WritableItem item, uint64_t expected_cas = 0) = 0;

  // Removes `key`. Returns: NotFound.
  virtual Status Delete(std::string_view key) = 0;

  // Adds `delta` to the decimal number stored under `key`, wrapping at 2^64, and returns
  // the result. Returns: NotFound, NonNumeric (value is not a decimal number that fits in
  // 64 bits), OutOfMemory.
  virtual Result<uint64_t> Increment(std::string_view key, uint64_t delta) = 0;
  // Subtracts `delta`, stopping at 0. Returns: as Increment.
  virtual Result<uint64_t> Decrement(std::string_view key, uint64_t delta) = 0;

  // Deletes `key` only while its CAS unique is `expected_cas` (0: any, as Delete).
  // Returns: NotFound, Exists (the CAS differs).
  virtual Status DeleteIfCas(std::string_view key, uint64_t expected_cas) = 0;

  // What Arithmetic reports: the new number, the item's new CAS unique, and its seconds
  // to live (-1: never expires).
  struct ArithmeticResult {
    uint64_t value = 0;
    uint64_t cas = 0;
    int64_t ttl = -1;
  };
  // Increment (`increment`) or Decrement, only while the CAS unique is `expected_cas`
  // (0: any). Returns: as Increment, and Exists (the CAS differs).
  virtual Result<ArithmeticResult> Arithmetic(std::string_view key, bool increment, uint64_t delta,
                                              uint64_t expected_cas) = 0;

  // What a meta get (memcached's mg) asks besides the item.
  struct MetaGetOptions {
    bool bump = true;            // false (mg u): no LRU bump, not marked as fetched
    bool touch = false;          // T: set the expiry to `exptime` (memcached convention)
    int64_t exptime = 0;
    bool vivify = false;         // N: on a miss, create an empty item expiring at
    int64_t vivify_exptime = 0;  // `vivify_exptime`, and win its recache token
    bool recache = false;        // R: win the token when the item expires before
    int64_t recache_exptime = 0; // `recache_exptime` from now
  };
  // What it reports (memcached's mg return flags).
  struct MetaGetResult {
    ItemHandle item;
    bool created = false;         // made by vivify
    bool fetched_before = false;  // h
    int64_t idle_seconds = 0;     // l: since the last access before this one
    bool stale = false;           // X: invalidated (InvalidateItem)
    bool token_sent = false;      // Z: another client already won the token
    bool win = false;             // W: this client won it and should recache
  };
  // A get with memcached's meta semantics. Items above large_value_threshold, kept
  // outside RAM, report no access history, staleness or tokens. Returns: NotFound
  // (without vivify), OutOfMemory.
  virtual Result<MetaGetResult> MetaGet(std::string_view key, const MetaGetOptions& options) = 0;
  // memcached's md with I: the item stays readable but is marked stale (its next reader
  // wins the recache token), gets a new CAS unique and, with `touch`, the expiry
  // `exptime`; only while its CAS is `expected_cas` (0: any). An item kept outside RAM is
  // deleted instead. Returns: NotFound, Exists.
  virtual Status InvalidateItem(std::string_view key, uint64_t expected_cas, bool touch,
                                int64_t exptime) = 0;

  // The RAM items of one of memcached's slab classes: items are grouped by the class
  // memcached would keep them in (its default -n 48 -f 1.25), for "stats items/slabs".
  struct SlabClassStats {
    unsigned id = 0;
    uint64_t chunk_size = 0;
    uint64_t items = 0;
    uint64_t requested = 0;  // bytes as memcached counts its items (header, key, value)
    uint64_t evicted = 0;
    uint64_t evicted_nonzero = 0;
    uint64_t evicted_unfetched = 0;
    uint64_t reclaimed = 0;
    uint64_t expired_unfetched = 0;
  };
  // The classes holding items now, by id. Takes every RAM lock in turn.
  virtual std::vector<SlabClassStats> SlabClasses() = 0;

  // One item of a slab class dump ("stats cachedump").
  struct DumpedItem {
    std::string key;
    uint64_t value_bytes = 0;
    int64_t expires_unix = 0;  // unix time; 0 for never
  };
  // Up to `limit` (0: no limit) RAM items of memcached slab class `id`, and no more than
  // `max_key_bytes` of keys in all. Walks every RAM stripe.
  virtual std::vector<DumpedItem> DumpSlabClass(unsigned id, size_t limit, size_t max_key_bytes) = 0;

  // Sets the expiry of `key`. Returns: NotFound.
  virtual Status Touch(std::string_view key, int64_t exptime) = 0;

  // Seconds until `item` (a non-empty handle from this cache) expires, as of now; -1 if it
  // never expires.
  virtual int64_t SecondsToLive(const ItemHandle& item) const = 0;

  // Invalidates every item. With `exptime` 0, at once; otherwise when the time given by
  // `exptime` (memcached convention) arrives, every item stored before then is dropped.
  // A later call replaces a pending delayed flush.
  virtual Status Flush(int64_t exptime = 0) = 0;

  // A snapshot of the live keys. Costs a walk of the whole cache.
  virtual std::vector<std::string> Keys() = 0;
  // Number of items held in RAM (expired ones not yet reclaimed included); see Stats()
  // for the persistent tier.
  virtual uint64_t Size() = 0;
  // Current counters.
  virtual CacheStats Stats() = 0;

  // Stops background work; later calls that change the cache return Shutdown. Idempotent.
  virtual Status Shutdown() = 0;

  // Sets or changes the RAM limit at run time (memcached's cache_memlimit); shrinking
  // evicts down to the new limit. Returns: InvalidArgument (below the minimum).
  virtual Status SetMemoryLimit(uint64_t max_memory) = 0;

  // The options the cache was built with (after defaults were filled in).
  virtual const CacheOptions& options() const = 0;

  // Conveniences over Store().
  Result<uint64_t> Set(std::string_view key, std::string_view value,
                       const WriteOptions& options = {}) {
    return Store(StoreMode::kSet, key, value, options);
  }
  Result<uint64_t> SetWithTtl(std::string_view key, std::string_view value, uint32_t ttl_seconds) {
    return Store(StoreMode::kSet, key, value, WriteOptions{0, ttl_seconds});
  }
  Result<uint64_t> Add(std::string_view key, std::string_view value,
                       const WriteOptions& options = {}) {
    return Store(StoreMode::kAdd, key, value, options);
  }
  Result<uint64_t> Replace(std::string_view key, std::string_view value,
                           const WriteOptions& options = {}) {
    return Store(StoreMode::kReplace, key, value, options);
  }
  Result<uint64_t> Append(std::string_view key, std::string_view value) {
    return Store(StoreMode::kAppend, key, value);
  }
  Result<uint64_t> Prepend(std::string_view key, std::string_view value) {
    return Store(StoreMode::kPrepend, key, value);
  }
  Result<uint64_t> CompareAndSwap(std::string_view key, std::string_view value,
                                  uint64_t expected_cas, const WriteOptions& options = {}) {
    return Store(StoreMode::kCas, key, value, options, expected_cas);
  }
};

// Builds a Cache from options. Not thread-safe itself; the built cache is.
class CacheBuilder {
 public:
  CacheBuilder() = default;
  CacheBuilder& options(const CacheOptions& options);
  CacheBuilder& l1(const L1Options& l1);
  // The persistent tier; off unless l2.enable_l2_cache.
  CacheBuilder& l2(const L2Options& l2);
  CacheBuilder& ttl(const TtlOptions& ttl);
  CacheBuilder& performance(const PerformanceOptions& performance);
  // LZ4 compression of values in RAM; off unless compression.enable_lz4.
  CacheBuilder& compression(const CompressionOptions& compression);
  // Configures the library's logger ("ratmemcache", spdlog) when the cache is built.
  // Without this call the library leaves logging as it is.
  CacheBuilder& logging(const LoggingOptions& logging);
  CacheBuilder& max_item_size(uint64_t bytes);

  // Validates the options and builds the cache (opening L2 when enabled). Returns:
  // InvalidArgument naming the offending option, IoError when L2 cannot be opened.
  Result<std::unique_ptr<Cache>> Build() const;

 private:
  CacheOptions options_;
  bool configure_logging_ = false;
};

// Checks `options` as Build() does. Returns: InvalidArgument naming the offending option.
Status ValidateOptions(const CacheOptions& options);

// True when `key` is a valid key: 1 to kMaxKeyLength bytes.
bool IsValidKey(std::string_view key);

}  // namespace ratmemcache
