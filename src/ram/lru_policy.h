#pragma once

// LruPolicy: exact least-recently-used order as an intrusive list through Item::prev/next
// (16 bytes per item, already in the header). O(1) for every call.

#include "ram/eviction_policy.h"
#include "ram/item_list.h"

namespace ratmemcache::ram {

class LruPolicy final : public EvictionPolicy {
 public:
  void OnInsert(Item* item, uint64_t hash) override { list_.PushFront(item); }
  void OnAccess(Item* item) override { list_.MoveToFront(item); }
  void OnRemove(Item* item) override { list_.Unlink(item); }
  Item* Victim(uint32_t now) override { return list_.tail(); }

 private:
  ItemList list_;  // head: most recently used
};

}  // namespace ratmemcache::ram
