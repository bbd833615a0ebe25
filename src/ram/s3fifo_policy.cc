#include "ram/s3fifo_policy.h"

#include <algorithm>

#include "common/hash.h"

namespace ratmemcache::ram {

bool GhostQueue::Contains(uint64_t hash) const {
  if (table_.empty()) return false;
  return table_[FindSlot(Mark(hash))].hash != 0;
}

size_t GhostQueue::FindSlot(uint64_t marked) const {
  const size_t mask = table_.size() - 1;
  for (size_t i = marked & mask;; i = (i + 1) & mask) {
    if (table_[i].hash == 0 || table_[i].hash == marked) return i;
  }
}

void GhostQueue::GrowTable() {
  std::vector<Slot> old = std::move(table_);
  table_.assign(std::max<size_t>(16, old.size() * 2), Slot{});
  used_slots_ = 0;
  for (const Slot& slot : old) {
    if (slot.hash == 0) continue;
    table_[FindSlot(slot.hash)] = slot;
    ++used_slots_;
  }
}

void GhostQueue::Increment(uint64_t marked) {
  if ((used_slots_ + 1) * 2 > table_.size()) GrowTable();
  Slot& slot = table_[FindSlot(marked)];
  if (slot.hash == 0) {
    slot.hash = marked;
    ++used_slots_;
  }
  ++slot.count;
}

void GhostQueue::Decrement(uint64_t marked) {
  const size_t index = FindSlot(marked);
  if (table_[index].hash == 0) return;
  if (--table_[index].count == 0) EraseSlot(index);
}

void GhostQueue::EraseSlot(size_t index) {
  // Backward-shift deletion keeps every run of linear probing unbroken.
  const size_t mask = table_.size() - 1;
  size_t hole = index;
  for (size_t i = (index + 1) & mask; table_[i].hash != 0; i = (i + 1) & mask) {
    const size_t home = table_[i].hash & mask;
    // Move slot i into the hole unless its home lies cyclically in (hole, i].
    const bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
    if (!stays) {
      table_[hole] = table_[i];
      hole = i;
    }
  }
  table_[hole] = Slot{};
  --used_slots_;
}

void GhostQueue::PopOldest() {
  Decrement(ring_[ring_head_]);
  ring_head_ = (ring_head_ + 1) % ring_.size();
  --count_;
}

void GhostQueue::Clear() {
  std::vector<uint64_t>().swap(ring_);
  std::vector<Slot>().swap(table_);
  ring_head_ = 0;
  count_ = 0;
  used_slots_ = 0;
}

void GhostQueue::Add(uint64_t hash, size_t capacity) {
  if (capacity == 0) return;
  while (count_ >= capacity) PopOldest();
  if (ring_.size() > 64 && count_ * 4 < ring_.size()) {
    // The main queue shrank: keep the remembered hashes, oldest first, in arrays half
    // the size (amortized: a quarter of the ring was emptied since the last resize).
    std::vector<uint64_t> kept;
    kept.reserve(count_);
    for (size_t i = 0; i < count_; ++i) kept.push_back(ring_[(ring_head_ + i) % ring_.size()]);
    const size_t half = ring_.size() / 2;
    Clear();
    ring_.resize(half);
    for (uint64_t marked : kept) {
      ring_[count_++] = marked;
      Increment(marked);
    }
  }
  if (count_ == ring_.size()) {  // full at its current size: grow, oldest first
    std::vector<uint64_t> grown(std::max<size_t>(16, ring_.size() * 2));
    for (size_t i = 0; i < count_; ++i) grown[i] = ring_[(ring_head_ + i) % ring_.size()];
    ring_ = std::move(grown);
    ring_head_ = 0;
  }
  const uint64_t marked = Mark(hash);
  ring_[(ring_head_ + count_) % ring_.size()] = marked;
  ++count_;
  Increment(marked);
}

void S3FifoPolicy::OnInsert(Item* item, uint64_t hash) {
  if (ghost_.Contains(hash)) {
    item->policy_data = kInMain;
    main_.PushFront(item);
  } else {
    item->policy_data = 0;
    small_.PushFront(item);
  }
}

Item* S3FifoPolicy::Victim(uint32_t now) {
  for (;;) {
    const size_t total = small_.size() + main_.size();
    if (total == 0) return nullptr;
    const size_t small_target = std::max<size_t>(1, total * kSmallPercent / 100);
    if (!small_.empty() && (small_.size() >= small_target || main_.empty())) {
      Item* tail = small_.tail();
      if ((tail->policy_data & kFrequencyMask) == 0) {
        ghost_.Add(HashKey(tail->key()), std::max<size_t>(main_.size(), 1));
        return tail;  // OnRemove unlinks it from S
      }
      small_.Unlink(tail);  // hit while in S: promoted to M
      tail->policy_data = kInMain;
      main_.PushFront(tail);
      continue;
    }
    Item* tail = main_.tail();
    if ((tail->policy_data & kFrequencyMask) == 0) return tail;
    --tail->policy_data;  // another round in M, one hit fewer
    main_.MoveToFront(tail);
  }
}

}  // namespace ratmemcache::ram
