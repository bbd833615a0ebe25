#include "tiered/promotion_filter.h"

#include <algorithm>
#include <bit>

namespace ratmemcache::tiered {

PromotionFilter::PromotionFilter(uint64_t window, bool always) {
  if (always) return;
  const uint64_t slots = std::bit_ceil(std::clamp<uint64_t>(window, 64, uint64_t{1} << 32));
  slots_ = std::make_unique<std::atomic<uint32_t>[]>(slots);
  for (uint64_t i = 0; i < slots; ++i) slots_[i].store(0, std::memory_order_relaxed);
  mask_ = slots - 1;
}

bool PromotionFilter::Admit(uint64_t key_hash) {
  if (!slots_) return true;
  // The slot from the low bits, the fingerprint from the high ones (never 0: empty).
  std::atomic<uint32_t>& slot = slots_[key_hash & mask_];
  const uint32_t fingerprint = static_cast<uint32_t>(key_hash >> 32) | 1u;
  if (slot.load(std::memory_order_relaxed) == fingerprint) {
    slot.store(0, std::memory_order_relaxed);  // the next read of it starts over
    return true;
  }
  slot.store(fingerprint, std::memory_order_relaxed);
  return false;
}

}  // namespace ratmemcache::tiered
