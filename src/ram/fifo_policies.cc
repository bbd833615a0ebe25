#include "ram/fifo_policies.h"

namespace ratmemcache::ram {

Item* SievePolicy::Victim(uint32_t now) {
  if (list_.empty()) return nullptr;
  Item* at = hand_ != nullptr ? hand_ : list_.tail();
  while (at->policy_data & kVisited) {
    at->policy_data = 0;
    at = at->prev != nullptr ? at->prev : list_.tail();  // past the newest: wrap around
  }
  hand_ = at;  // OnRemove moves the hand on when the stripe unlinks it
  return at;
}

}  // namespace ratmemcache::ram
