#pragma once

// Eviction policies that weigh how often, not only how recently, items are read; and the
// TTL-aware one. All O(1) per call (amortized where noted), intrusive through
// Item::prev/next, with their state in Item::policy_data; no allocation per access.
//
// LfuPolicy: least-frequently-used. Each item counts its hits in policy_data (8 bits,
// saturating at 255); items sit in 9 lists by the bit length of their count (0, 1, 2-3,
// 4-7, ... 128-255), most recent first within a list. The victim is the least recent item
// of the lowest non-empty list. Aging: once the stripe has seen 8 hits per item, every
// count is halved (O(items), so O(1) amortized per hit), so that items hot long ago
// cannot stay forever.
//
// HybridPolicy (LruLfu, the seed's hybrid): segmented LRU. New items enter a probation
// LRU list; a hit there promotes the item to a protected LRU list (at most 80% of the
// stripe's items; its least recent item is demoted back to probation's head). Victims
// come from probation's tail first: one-time items go before items read twice, and among
// those recency decides.
//
// TtlPolicy (TtlBased): expired items first, then LRU. The victim is the first expired
// item among the kSample least recent ones, else the least recent item. (Expired items
// anywhere are also removed by the background sweep, [ttl] cleanup_interval.)

#include <array>
#include <cstdint>

#include "ram/eviction_policy.h"
#include "ram/item_list.h"

namespace ratmemcache::ram {

class LfuPolicy final : public EvictionPolicy {
 public:
  static constexpr size_t kLevels = 9;
  static constexpr uint64_t kHitsPerItemBeforeAging = 8;

  void OnInsert(Item* item, uint64_t hash) override {
    item->policy_data = 0;
    levels_[0].PushFront(item);
    ++items_;
  }
  void OnAccess(Item* item) override;
  void OnRemove(Item* item) override {
    levels_[LevelOf(item->policy_data)].Unlink(item);
    --items_;
  }
  Item* Victim(uint32_t now) override;

  // The list an item with `count` hits sits in.
  static size_t LevelOf(uint8_t count) { return count == 0 ? 0 : 32 - __builtin_clz(count); }

 private:
  void Age();  // halves every count

  std::array<ItemList, kLevels> levels_;
  size_t items_ = 0;
  uint64_t hits_since_aging_ = 0;
};

class HybridPolicy final : public EvictionPolicy {
 public:
  static constexpr uint8_t kProtected = 1;
  static constexpr size_t kProtectedPercent = 80;

  void OnInsert(Item* item, uint64_t hash) override {
    item->policy_data = 0;
    probation_.PushFront(item);
  }
  void OnAccess(Item* item) override;
  void OnRemove(Item* item) override {
    ((item->policy_data & kProtected) ? protected_ : probation_).Unlink(item);
  }
  Item* Victim(uint32_t now) override {
    return !probation_.empty() ? probation_.tail() : protected_.tail();
  }

 private:
  ItemList probation_;
  ItemList protected_;
};

class TtlPolicy final : public EvictionPolicy {
 public:
  static constexpr int kSample = 16;

  void OnInsert(Item* item, uint64_t hash) override { list_.PushFront(item); }
  void OnAccess(Item* item) override { list_.MoveToFront(item); }
  void OnRemove(Item* item) override { list_.Unlink(item); }
  Item* Victim(uint32_t now) override;

 private:
  ItemList list_;  // head: most recently used
};

}  // namespace ratmemcache::ram
