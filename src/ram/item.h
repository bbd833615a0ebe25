#pragma once

// Item: one cached key/value pair in a single allocation: this 48-byte header, then the
// key bytes, then the value bytes (no terminators).
//
// Ownership: items are reference-counted. The hash table holds one reference while the
// item is linked; each ItemHandle holds one more. The last ReleaseItem() frees it.
// Immutable once published, except for the fields marked "under the stripe lock", which
// only the owning stripe reads and changes while holding its lock, expires_at (touch), and
// the value bytes and cas, which an in-place increment may rewrite only while the table's
// reference is the only one (so no reader can be looking).

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ratmemcache::ram {

struct Item {
  // Links for the eviction policy (under the stripe lock).
  Item* prev;
  Item* next;
  uint64_t cas;            // CAS unique (under the stripe lock)
  // ExpiryClock time, 0 = never. Written under the stripe lock (touch); atomic because
  // handle holders may read it at the same time.
  std::atomic<uint32_t> expires_at;
  // ExpiryClock time of the last store or read. Written under the stripe lock; atomic
  // because the write-behind thread reads it for queued items.
  std::atomic<uint32_t> last_access;
  uint32_t flags;          // client flags
  uint32_t value_len;
  std::atomic<uint32_t> refs;
  uint8_t key_len;
  // ItemState bits. Changed under the stripe lock, except kItemCompressed, which is set
  // before the item is published and never changes (so handle holders may read it).
  std::atomic<uint8_t> state;
  // 1 once the persistent tier holds exactly these bytes (set by the write-behind thread).
  std::atomic<uint8_t> persisted;
  // Free for the eviction policy: plain under the exclusive stripe lock; under the shared
  // lock only through SharedPolicyData() (EvictionPolicy::OnSharedAccess).
  uint8_t policy_data;

  char* key_data() { return reinterpret_cast<char*>(this + 1); }
  const char* key_data() const { return reinterpret_cast<const char*>(this + 1); }
  char* value_data() { return key_data() + key_len; }
  const char* value_data() const { return key_data() + key_len; }
  std::string_view key() const { return {key_data(), key_len}; }
  std::string_view value() const { return {value_data(), value_len}; }
};
static_assert(sizeof(Item) == 48, "keep the item header compact");

enum ItemState : uint8_t {
  kItemLinked = 1,      // in a hash table
  kItemFetched = 2,     // read at least once since stored
  kItemCompressed = 4,  // the value bytes are LZ4-compressed (see tiered/value_codec.h)
  kItemStale = 8,       // marked stale by a meta delete with I (memcached ITEM_STALE)
  kItemTokenSent = 16,  // a meta get was told it won the right to recache (ITEM_TOKEN_SENT)
};

inline bool HasState(const Item* item, ItemState bit) {
  return (item->state.load(std::memory_order_relaxed) & bit) != 0;
}
// REQUIRES: the stripe lock, or an item nobody else can see yet.
inline void SetState(Item* item, ItemState bit) {
  item->state.store(item->state.load(std::memory_order_relaxed) | bit, std::memory_order_relaxed);
}
// REQUIRES: the stripe lock, or an item nobody else can see yet.
inline void ClearState(Item* item, ItemState bit) {
  item->state.store(item->state.load(std::memory_order_relaxed) & static_cast<uint8_t>(~bit),
                    std::memory_order_relaxed);
}

// policy_data for changes under the shared stripe lock, where other readers may change it
// at the same time.
inline std::atomic_ref<uint8_t> SharedPolicyData(Item* item) {
  return std::atomic_ref<uint8_t>(item->policy_data);
}

// Allocates an unlinked item holding `key` and room for `value_len` value bytes, with one
// reference owned by the caller. Returns nullptr when the allocator fails.
// REQUIRES: 1 <= key.size() <= 255.
Item* AllocateItem(std::string_view key, uint32_t value_len, uint32_t flags, uint32_t expires_at);

// Bytes charged against the memory limit for an item of these sizes.
size_t ItemFootprint(size_t key_len, size_t value_len);
inline size_t ItemFootprint(const Item* item) {
  return ItemFootprint(item->key_len, item->value_len);
}

// memcached's own measure of an item's size, which its -I limit is compared with: a
// 48-byte header, the CAS field, the key and its terminator, 4 bytes of flags when
// non-zero, and the value with its "\r\n". Using it makes "too large" byte-exact.
inline size_t MemcachedItemSize(size_t key_len, size_t value_len, uint32_t flags) {
  return 48 + 8 + key_len + 1 + (flags != 0 ? 4 : 0) + value_len + 2;
}

inline void RetainItem(Item* item) { item->refs.fetch_add(1, std::memory_order_relaxed); }

// Drops one reference; frees the item when it was the last.
void ReleaseItem(Item* item);

}  // namespace ratmemcache::ram
