#pragma once

// S3FifoPolicy (Yang et al., "FIFO queues are all you need for cache eviction", SOSP'23):
// three FIFO queues. New items enter a small queue S (about 10% of the stripe's items); at
// its tail an item that was hit at least once moves to the main queue M, one that was not
// is evicted and its key's hash remembered in a ghost queue G. A new item whose hash is in
// G (it was evicted from S recently and came back) enters M directly. At M's tail an item
// with a non-zero hit counter (two bits, at most 3) goes back to M's head with the counter
// decremented; one at zero is evicted. Hits only increment the counter: no list moves.
//
// Sizes are counted in items, per lock stripe. G remembers as many hashes as M holds
// items (a ring of 8-byte hashes plus an open-addressing count table, grown by doubling as
// M grows: no allocation per access); its bytes are charged to the tier's memory limit
// (MetadataBytes). O(1) amortized per call.

#include <cstdint>
#include <vector>

#include "ram/eviction_policy.h"
#include "ram/item_list.h"

namespace ratmemcache::ram {

// The hashes of recently evicted keys, forgetting the oldest beyond a capacity.
class GhostQueue {
 public:
  bool Contains(uint64_t hash) const;
  // Remembers `hash`; forgets the oldest while more than `capacity` are remembered.
  void Add(uint64_t hash, size_t capacity);
  size_t size() const { return count_; }
  // Forgets everything and frees the arrays.
  void Clear();
  // Bytes of its arrays (they grow by doubling, and shrink when a quarter is in use).
  size_t bytes() const { return ring_.capacity() * sizeof(uint64_t) + table_.capacity() * sizeof(Slot); }

 private:
  // Open addressing: slot hash 0 = empty (hashes are made non-zero), value = how many
  // times the hash is in the ring.
  struct Slot {
    uint64_t hash = 0;
    uint32_t count = 0;
  };
  static uint64_t Mark(uint64_t hash) { return hash | 1; }
  size_t FindSlot(uint64_t marked) const;  // its slot, or the empty slot ending its run
  void Increment(uint64_t marked);
  void Decrement(uint64_t marked);
  void EraseSlot(size_t index);
  void GrowTable();
  void PopOldest();

  std::vector<uint64_t> ring_;  // a circular buffer of marked hashes
  size_t ring_head_ = 0;        // index of the oldest
  size_t count_ = 0;            // hashes in the ring
  std::vector<Slot> table_;
  size_t used_slots_ = 0;
};

class S3FifoPolicy final : public EvictionPolicy {
 public:
  static constexpr uint8_t kFrequencyMask = 3;
  static constexpr uint8_t kInMain = 4;
  // S's share of the stripe's items, in percent.
  static constexpr size_t kSmallPercent = 10;

  void OnInsert(Item* item, uint64_t hash) override;
  void OnAccess(Item* item) override {
    if ((item->policy_data & kFrequencyMask) != kFrequencyMask) ++item->policy_data;
  }
  bool SharedHits() const override { return true; }
  void OnSharedAccess(Item* item) override {
    std::atomic_ref<uint8_t> bits = SharedPolicyData(item);
    uint8_t now = bits.load(std::memory_order_relaxed);
    while ((now & kFrequencyMask) != kFrequencyMask &&
           !bits.compare_exchange_weak(now, static_cast<uint8_t>(now + 1), std::memory_order_relaxed)) {
    }
  }
  void OnRemove(Item* item) override {
    ((item->policy_data & kInMain) ? main_ : small_).Unlink(item);
  }
  Item* Victim(uint32_t now) override;
  size_t MetadataBytes() const override { return ghost_.bytes(); }
  void ReleaseMetadata() override { ghost_.Clear(); }

  size_t small_size() const { return small_.size(); }
  size_t main_size() const { return main_.size(); }

 private:
  ItemList small_;
  ItemList main_;
  GhostQueue ghost_;
};

}  // namespace ratmemcache::ram
