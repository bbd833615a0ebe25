#pragma once

// The FIFO family of eviction policies. Items sit in insertion order (intrusive lists
// through Item::prev/next, no extra bytes per item); a hit changes at most one bit or a
// two-bit counter in Item::policy_data and never moves an item.
//
// FifoPolicy: the oldest item goes first, hits or not.
//
// SievePolicy (Zhang et al., NSDI'24): a hit sets a "visited" bit; a hand sweeps from the
// oldest item towards the newest, clearing visited bits, and evicts the first item whose
// bit is clear. Survivors stay where they are (no reinsertion), new items enter at the
// head. O(1) amortized: each pass of the hand clears what earlier hits set.

#include "ram/eviction_policy.h"
#include "ram/item_list.h"

namespace ratmemcache::ram {

class FifoPolicy final : public EvictionPolicy {
 public:
  void OnInsert(Item* item, uint64_t hash) override { list_.PushFront(item); }
  void OnAccess(Item* item) override {}
  bool SharedHits() const override { return true; }
  void OnRemove(Item* item) override { list_.Unlink(item); }
  Item* Victim(uint32_t now) override { return list_.tail(); }

 private:
  ItemList list_;  // head: newest
};

class SievePolicy final : public EvictionPolicy {
 public:
  static constexpr uint8_t kVisited = 1;

  void OnInsert(Item* item, uint64_t hash) override {
    item->policy_data = 0;
    list_.PushFront(item);
  }
  void OnAccess(Item* item) override { item->policy_data = kVisited; }
  bool SharedHits() const override { return true; }
  void OnSharedAccess(Item* item) override {
    std::atomic_ref<uint8_t> bits = SharedPolicyData(item);
    if (bits.load(std::memory_order_relaxed) != kVisited) bits.store(kVisited, std::memory_order_relaxed);
  }
  void OnRemove(Item* item) override {
    if (hand_ == item) hand_ = item->prev;  // towards the newer items
    list_.Unlink(item);
  }
  Item* Victim(uint32_t now) override;

 private:
  ItemList list_;         // head: newest
  Item* hand_ = nullptr;  // where the next sweep starts; null: at the tail
};

}  // namespace ratmemcache::ram
