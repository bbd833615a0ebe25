#pragma once

// ItemList: an intrusive doubly-linked list of items through Item::prev/next, newest at
// the head. The building block of the eviction policies; O(1) for every call, no
// allocation. Not thread-safe (used under a stripe lock).

#include <cstddef>

#include "ram/item.h"

namespace ratmemcache::ram {

class ItemList {
 public:
  Item* head() const { return head_; }  // newest
  Item* tail() const { return tail_; }  // oldest
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  void PushFront(Item* item) {
    item->prev = nullptr;
    item->next = head_;
    if (head_ != nullptr) head_->prev = item;
    head_ = item;
    if (tail_ == nullptr) tail_ = item;
    ++size_;
  }
  // REQUIRES: `item` is in this list.
  void Unlink(Item* item) {
    if (item->prev != nullptr) item->prev->next = item->next;
    else head_ = item->next;
    if (item->next != nullptr) item->next->prev = item->prev;
    else tail_ = item->prev;
    item->prev = item->next = nullptr;
    --size_;
  }
  void MoveToFront(Item* item) {
    if (head_ == item) return;
    Unlink(item);
    PushFront(item);
  }

 private:
  Item* head_ = nullptr;
  Item* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace ratmemcache::ram
