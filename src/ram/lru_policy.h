#pragma once

// LruPolicy: exact least-recently-used order as an intrusive doubly-linked list through
// Item::prev/next (16 bytes per item, already in the header). O(1) for every call.

#include "ram/eviction_policy.h"

namespace ratmemcache::ram {

class LruPolicy final : public EvictionPolicy {
 public:
  void OnInsert(Item* item) override { PushFront(item); }
  void OnAccess(Item* item) override {
    if (head_ == item) return;
    Unlink(item);
    PushFront(item);
  }
  void OnRemove(Item* item) override { Unlink(item); }
  Item* Victim() override { return tail_; }

 private:
  void PushFront(Item* item);
  void Unlink(Item* item);

  Item* head_ = nullptr;  // most recently used
  Item* tail_ = nullptr;  // least recently used
};

}  // namespace ratmemcache::ram
