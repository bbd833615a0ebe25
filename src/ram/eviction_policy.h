#pragma once

// EvictionPolicy: decides which item of one lock stripe leaves RAM first when the tier is
// full. One instance per stripe; the stripe calls it with its lock held exclusively, so a
// policy needs no synchronisation of its own, except in OnSharedAccess. Policies keep
// their state in the items (Item::prev, next and policy_data) and allocate nothing per
// access.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ram/item.h"
#include "ratmemcache/options.h"

namespace ratmemcache::ram {

class EvictionPolicy {
 public:
  virtual ~EvictionPolicy() = default;

  // `item` has just been linked into the stripe; `hash` is HashKey(item->key()), which
  // the stripe has computed already.
  virtual void OnInsert(Item* item, uint64_t hash) = 0;
  // `item` (linked) was read or touched.
  virtual void OnAccess(Item* item) = 0;
  // True when get hits may be recorded by OnSharedAccess under the stripe's shared lock
  // (the policy's hit bookkeeping is a few bits of policy_data, changed atomically).
  // False sends every hit through OnAccess under the exclusive lock.
  virtual bool SharedHits() const { return false; }
  // A get hit on `item` (linked), under the shared lock: may run at the same time as
  // other OnSharedAccess calls on any item of the stripe, never with another method.
  // Must change nothing but `item`'s policy_data, through SharedPolicyData(). Called only
  // when SharedHits().
  virtual void OnSharedAccess(Item* item) {}
  // `item` is being unlinked from the stripe, for whatever reason.
  virtual void OnRemove(Item* item) = 0;
  // The item to evict next, still linked; nullptr when the stripe is empty. The stripe then
  // unlinks it (calling OnRemove). `now` is the ExpiryClock time (for policies that
  // prefer expired items).
  virtual Item* Victim(uint32_t now) = 0;
  // Bytes the policy holds outside the items (S3-FIFO's ghost queue); the tier charges
  // them against its memory limit. May change only in Victim().
  virtual size_t MetadataBytes() const { return 0; }
  // Forgets the state kept outside the items (S3-FIFO's ghosts) and gives its memory
  // back: MetadataBytes() is 0 afterwards. Eviction order stays valid.
  virtual void ReleaseMetadata() {}
};

// A policy implementing `strategy`.
std::unique_ptr<EvictionPolicy> MakeEvictionPolicy(EvictionStrategy strategy);

}  // namespace ratmemcache::ram
