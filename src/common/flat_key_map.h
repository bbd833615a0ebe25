#pragma once

// FlatKeyMap: a hash map from keys the caller owns (std::string_view) to small values,
// stored in one array with linear probing. Inserting, finding and erasing allocate
// nothing once the array is large enough; it doubles when half full and never shrinks,
// so a map that serves a bounded queue stops allocating after warm-up.
//
// Ownership: the map stores views, not copies: every key must stay valid (and unchanged)
// while it is in the map; Put replaces the stored view with the new one.
// Thread-safety: none; callers lock.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "common/hash.h"

namespace ratmemcache {

template <typename Value>
class FlatKeyMap {
 public:
  // `initial_capacity` is rounded up to a power of two (at least 16).
  explicit FlatKeyMap(size_t initial_capacity = 1024) {
    size_t capacity = 16;
    while (capacity < initial_capacity) capacity *= 2;
    slots_.resize(capacity);
  }

  // The value stored for `key`, or null. The pointer is valid until the next Put, Erase
  // or Clear.
  Value* Find(std::string_view key) {
    const uint64_t hash = Mark(HashKey(key));
    for (size_t i = hash & Mask();; i = (i + 1) & Mask()) {
      Slot& slot = slots_[i];
      if (slot.hash == 0) return nullptr;
      if (slot.hash == hash && slot.key == key) return &slot.value;
    }
  }

  // Stores `value` under `key`, replacing an earlier value and key view for the same key.
  void Put(std::string_view key, const Value& value) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    const uint64_t hash = Mark(HashKey(key));
    for (size_t i = hash & Mask();; i = (i + 1) & Mask()) {
      Slot& slot = slots_[i];
      if (slot.hash == 0) {
        slot = Slot{hash, key, value};
        ++size_;
        return;
      }
      if (slot.hash == hash && slot.key == key) {
        slot.key = key;
        slot.value = value;
        return;
      }
    }
  }

  // Removes `key`; false if it was not there.
  bool Erase(std::string_view key) {
    const uint64_t hash = Mark(HashKey(key));
    for (size_t i = hash & Mask();; i = (i + 1) & Mask()) {
      Slot& slot = slots_[i];
      if (slot.hash == 0) return false;
      if (slot.hash == hash && slot.key == key) {
        EraseSlot(i);
        return true;
      }
    }
  }

  // Removes every key; keeps the array.
  void Clear() {
    for (Slot& slot : slots_) slot = Slot{};
    size_ = 0;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

 private:
  struct Slot {
    uint64_t hash = 0;  // 0: empty; occupied slots have the top bit set (see Mark)
    std::string_view key;
    Value value{};
  };

  static uint64_t Mark(uint64_t hash) { return hash | (1ull << 63); }
  size_t Mask() const { return slots_.size() - 1; }

  // Backward-shift deletion: moves later members of the probe run into the hole, so
  // lookups never need tombstones.
  void EraseSlot(size_t hole) {
    size_t next = hole;
    for (;;) {
      next = (next + 1) & Mask();
      Slot& candidate = slots_[next];
      if (candidate.hash == 0) break;
      const size_t home = candidate.hash & Mask();
      // The candidate may fill the hole if its home is not cyclically in (hole, next].
      const bool home_after_hole = ((next - home) & Mask()) < ((next - hole) & Mask());
      if (home_after_hole) continue;
      slots_[hole] = candidate;
      hole = next;
    }
    slots_[hole] = Slot{};
    --size_;
  }

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.hash == 0) continue;
      for (size_t i = slot.hash & Mask();; i = (i + 1) & Mask()) {
        if (slots_[i].hash == 0) {
          slots_[i] = slot;
          break;
        }
      }
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace ratmemcache
