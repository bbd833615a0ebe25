#include "ram/frequency_policies.h"

#include <vector>

#include "common/expiry_clock.h"

namespace ratmemcache::ram {

void LfuPolicy::OnAccess(Item* item) {
  const uint8_t count = item->policy_data;
  const size_t from = LevelOf(count);
  if (count != 255) item->policy_data = static_cast<uint8_t>(count + 1);
  const size_t to = LevelOf(item->policy_data);
  if (from == to) {
    levels_[to].MoveToFront(item);
  } else {
    levels_[from].Unlink(item);
    levels_[to].PushFront(item);
  }
  if (++hits_since_aging_ >= kHitsPerItemBeforeAging * items_) Age();
}

void LfuPolicy::Age() {
  hits_since_aging_ = 0;
  // Every item moves down to the list of its halved count; the order within each list
  // (most recent first) is kept by re-adding from the least recent.
  std::array<ItemList, kLevels> aged;
  for (size_t level = 0; level < kLevels; ++level) {
    while (Item* item = levels_[level].tail()) {
      levels_[level].Unlink(item);
      item->policy_data = static_cast<uint8_t>(item->policy_data / 2);
      aged[LevelOf(item->policy_data)].PushFront(item);
    }
  }
  levels_ = aged;
}

Item* LfuPolicy::Victim(uint32_t now) {
  for (ItemList& level : levels_) {
    if (!level.empty()) return level.tail();
  }
  return nullptr;
}

void HybridPolicy::OnAccess(Item* item) {
  if (item->policy_data & kProtected) {
    protected_.MoveToFront(item);
    return;
  }
  probation_.Unlink(item);
  item->policy_data = kProtected;
  protected_.PushFront(item);
  const size_t total = probation_.size() + protected_.size();
  if (protected_.size() > 1 && protected_.size() * 100 > total * kProtectedPercent) {
    Item* demoted = protected_.tail();
    protected_.Unlink(demoted);
    demoted->policy_data = 0;
    probation_.PushFront(demoted);
  }
}

Item* TtlPolicy::Victim(uint32_t now) {
  Item* at = list_.tail();
  for (int i = 0; at != nullptr && i < kSample; ++i, at = at->prev) {
    if (ExpiryClock::IsExpired(at->expires_at.load(std::memory_order_relaxed), now)) return at;
  }
  return list_.tail();
}

}  // namespace ratmemcache::ram
