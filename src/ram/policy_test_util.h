#pragma once

// Test helpers for eviction policies: named items, draining a policy, and every policy
// as a test parameter.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ram/eviction_policy.h"

namespace ratmemcache::ram {

// Unlinked items named "k0", "k1", ... (optionally expiring at `expires_at`); released
// when the object goes.
class TestItems {
 public:
  explicit TestItems(int n, uint32_t expires_at = 0) {
    for (int i = 0; i < n; ++i) items_.push_back(AllocateItem("k" + std::to_string(i), 0, 0, expires_at));
  }
  ~TestItems() {
    for (Item* item : items_) ReleaseItem(item);
  }
  TestItems(const TestItems&) = delete;
  TestItems& operator=(const TestItems&) = delete;
  Item* operator[](int i) const { return items_[i]; }

 private:
  std::vector<Item*> items_;
};

// Evicts until the policy is empty; returns the keys in eviction order, space-separated.
inline std::string DrainPolicy(EvictionPolicy& policy, uint32_t now = 0) {
  std::string order;
  while (Item* victim = policy.Victim(now)) {
    order += std::string(victim->key()) + " ";
    policy.OnRemove(victim);
  }
  return order;
}

// Every strategy, for INSTANTIATE_TEST_SUITE_P(..., ::testing::ValuesIn(EveryPolicy()),
// PolicyTestName).
inline std::vector<EvictionStrategy> EveryPolicy() {
  return {EvictionStrategy::kLru,    EvictionStrategy::kLfu, EvictionStrategy::kFifo,
          EvictionStrategy::kHybrid, EvictionStrategy::kTtl, EvictionStrategy::kS3Fifo,
          EvictionStrategy::kSieve};
}
inline std::string PolicyTestName(const ::testing::TestParamInfo<EvictionStrategy>& info) {
  return std::string(EvictionStrategyName(info.param));
}

}  // namespace ratmemcache::ram
