#include "ram/lru_policy.h"

namespace ratmemcache::ram {

void LruPolicy::PushFront(Item* item) {
  item->prev = nullptr;
  item->next = head_;
  if (head_ != nullptr) head_->prev = item;
  head_ = item;
  if (tail_ == nullptr) tail_ = item;
}

void LruPolicy::Unlink(Item* item) {
  if (item->prev != nullptr) item->prev->next = item->next;
  else head_ = item->next;
  if (item->next != nullptr) item->next->prev = item->prev;
  else tail_ = item->prev;
  item->prev = item->next = nullptr;
}

}  // namespace ratmemcache::ram
