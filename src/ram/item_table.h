#pragma once

// ItemTable: the hash index of one lock stripe. Open addressing with linear probing; each
// slot is one 64-bit word holding the item pointer and a 16-bit tag of the key's hash in
// the pointer's unused top bits, so a probe compares keys only when the tags match and the
// items need no chain pointer. Deletion shifts later entries back (no tombstones). Grows
// by half at 80% load; halves below 20%.
//
// Not thread-safe: the owning stripe's lock guards every call. Does not own the items.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "ram/item.h"

namespace ratmemcache::ram {

class ItemTable {
 public:
  static constexpr size_t kMinCapacity = 16;

  explicit ItemTable(size_t initial_capacity = kMinCapacity);

  // The item stored under `key`, or nullptr. `hash` must be HashKey(key).
  Item* Find(std::string_view key, uint64_t hash) const;
  // Adds `item`. REQUIRES: no item with the same key is present.
  void Insert(Item* item, uint64_t hash);
  // Puts `new_item` in the slot of `old_item`. REQUIRES: same key, old_item present.
  void Replace(const Item* old_item, Item* new_item, uint64_t hash);
  // Removes `item`. REQUIRES: present. May shrink the table (slot indices change).
  void Erase(const Item* item, uint64_t hash);

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  // Bytes of the slot array.
  size_t bytes() const { return capacity_ * sizeof(uint64_t); }

  // Item in slot `i`, or nullptr for an empty slot. For walks: 0 <= i < capacity().
  Item* SlotItem(size_t i) const { return ItemOf(slots_[i]); }

 private:
  static constexpr uint64_t kPointerMask = (uint64_t{1} << 48) - 1;
  static Item* ItemOf(uint64_t slot) { return reinterpret_cast<Item*>(slot & kPointerMask); }
  static uint64_t TagOf(uint64_t hash) { return (hash >> 16) & 0xffff; }
  static uint64_t Pack(Item* item, uint64_t hash);
  size_t Home(uint64_t hash) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash) * capacity_) >> 64);
  }
  size_t Next(size_t i) const { return i + 1 == capacity_ ? 0 : i + 1; }
  size_t SlotOf(const Item* item, uint64_t hash) const;
  void Grow();
  void Rehash(size_t capacity);

  std::unique_ptr<uint64_t[]> slots_;
  size_t capacity_;
  size_t size_ = 0;
};

}  // namespace ratmemcache::ram
