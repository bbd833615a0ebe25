#pragma once

// EvictionPolicy: decides which item of one lock stripe leaves RAM first when the tier is
// full. One instance per stripe; the stripe calls it with its lock held, so a policy needs
// no synchronisation of its own. Policies keep their state in the items (Item::prev, next
// and policy_data) and allocate nothing per access.

#include <cstdint>
#include <memory>

#include "ram/item.h"
#include "ratmemcache/options.h"

namespace ratmemcache::ram {

class EvictionPolicy {
 public:
  virtual ~EvictionPolicy() = default;

  // `item` has just been linked into the stripe.
  virtual void OnInsert(Item* item) = 0;
  // `item` (linked) was read or touched.
  virtual void OnAccess(Item* item) = 0;
  // `item` is being unlinked from the stripe, for whatever reason.
  virtual void OnRemove(Item* item) = 0;
  // The item to evict next, still linked; nullptr when the stripe is empty. The stripe then
  // unlinks it (calling OnRemove). `now` is the ExpiryClock time (for policies that
  // prefer expired items).
  virtual Item* Victim(uint32_t now) = 0;
};

// A policy implementing `strategy`.
std::unique_ptr<EvictionPolicy> MakeEvictionPolicy(EvictionStrategy strategy);

}  // namespace ratmemcache::ram
