#include "ram/item_table.h"

#include <algorithm>
#include <cstdlib>

#include "common/hash.h"

namespace ratmemcache::ram {

ItemTable::ItemTable(size_t initial_capacity)
    : slots_(new uint64_t[std::max(initial_capacity, kMinCapacity)]()),
      capacity_(std::max(initial_capacity, kMinCapacity)) {}

uint64_t ItemTable::Pack(Item* item, uint64_t hash) {
  auto bits = reinterpret_cast<uint64_t>(item);
  // User-space pointers on the 64-bit platforms we support fit in 48 bits.
  if ((bits & ~kPointerMask) != 0) std::abort();
  return bits | (TagOf(hash) << 48);
}

Item* ItemTable::Find(std::string_view key, uint64_t hash) const {
  const uint64_t tag = TagOf(hash);
  for (size_t i = Home(hash);; i = Next(i)) {
    const uint64_t slot = slots_[i];
    if (slot == 0) return nullptr;
    if ((slot >> 48) == tag) {
      Item* item = ItemOf(slot);
      if (item->key() == key) return item;
    }
  }
}

void ItemTable::Insert(Item* item, uint64_t hash) {
  if ((size_ + 1) * 5 > capacity_ * 4) Grow();
  size_t i = Home(hash);
  while (slots_[i] != 0) i = Next(i);
  slots_[i] = Pack(item, hash);
  ++size_;
}

size_t ItemTable::SlotOf(const Item* item, uint64_t hash) const {
  size_t i = Home(hash);
  while (ItemOf(slots_[i]) != item) i = Next(i);
  return i;
}

void ItemTable::Replace(const Item* old_item, Item* new_item, uint64_t hash) {
  slots_[SlotOf(old_item, hash)] = Pack(new_item, hash);
}

void ItemTable::Erase(const Item* item, uint64_t hash) {
  size_t hole = SlotOf(item, hash);
  slots_[hole] = 0;
  --size_;
  // Below 20% full, halve: tables shrink with the cache (their bytes count against the
  // memory limit), and the gap to the 80% growth point keeps resizes amortised O(1).
  if (capacity_ > kMinCapacity && size_ * 5 < capacity_) {
    Rehash(std::max(kMinCapacity, capacity_ / 2));
    return;
  }
  // Backward-shift: move up every later entry of the run whose home does not lie
  // cyclically in (hole, its position], so that no lookup meets the hole early.
  for (size_t i = Next(hole);; i = Next(i)) {
    const uint64_t slot = slots_[i];
    if (slot == 0) return;
    const size_t home = Home(HashKey(ItemOf(slot)->key()));
    const bool home_in_range = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
    if (!home_in_range) {
      slots_[hole] = slot;
      slots_[i] = 0;
      hole = i;
    }
  }
}

void ItemTable::Grow() {
  // Growing by half (fastrange needs no power of two) keeps the average load near 2/3
  // instead of 1/2: about 12 bytes of slots per item instead of 16.
  Rehash(capacity_ + capacity_ / 2);
}

void ItemTable::Rehash(size_t capacity) {
  std::unique_ptr<uint64_t[]> old = std::move(slots_);
  const size_t old_capacity = capacity_;
  capacity_ = capacity;
  slots_.reset(new uint64_t[capacity_]());
  for (size_t j = 0; j < old_capacity; ++j) {
    if (old[j] == 0) continue;
    Item* item = ItemOf(old[j]);
    const uint64_t hash = HashKey(item->key());
    size_t i = Home(hash);
    while (slots_[i] != 0) i = Next(i);
    slots_[i] = Pack(item, hash);
  }
}

}  // namespace ratmemcache::ram
