#include "ram/item.h"

#include <cstdlib>
#include <new>

#include "common/memory.h"
#include "ratmemcache/item.h"

namespace ratmemcache::ram {

Item* AllocateItem(std::string_view key, uint32_t value_len, uint32_t flags,
                   uint32_t expires_at) {
  void* memory = std::malloc(sizeof(Item) + key.size() + value_len);
  if (memory == nullptr) return nullptr;
  Item* item = new (memory) Item{};
  item->expires_at.store(expires_at, std::memory_order_relaxed);
  item->flags = flags;
  item->value_len = value_len;
  item->refs.store(1, std::memory_order_relaxed);
  item->key_len = static_cast<uint8_t>(key.size());
  std::memcpy(item->key_data(), key.data(), key.size());
  return item;
}

size_t ItemFootprint(size_t key_len, size_t value_len) {
  return AllocationFootprint(sizeof(Item) + key_len + value_len);
}

void ReleaseItem(Item* item) {
  if (item->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    item->~Item();
    std::free(item);
  }
}

}  // namespace ratmemcache::ram

namespace ratmemcache {

ItemHandle& ItemHandle::operator=(ItemHandle&& other) noexcept {
  if (this != &other) {
    Reset();
    item_ = other.item_;
    other.item_ = nullptr;
  }
  return *this;
}

void ItemHandle::Reset() {
  if (item_ != nullptr) {
    ram::ReleaseItem(item_);
    item_ = nullptr;
  }
}

std::string_view ItemHandle::key() const { return item_->key(); }
std::string_view ItemHandle::value() const { return item_->value(); }
uint32_t ItemHandle::flags() const { return item_->flags; }
uint64_t ItemHandle::cas() const { return item_->cas; }
uint32_t ItemHandle::expires_at() const {
  return item_->expires_at.load(std::memory_order_relaxed);
}

std::span<char> WritableItem::value_buffer() {
  ram::Item* item = handle_.get();
  return {item->value_data(), item->value_len};
}

}  // namespace ratmemcache
