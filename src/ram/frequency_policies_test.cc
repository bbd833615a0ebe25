#include "common/hash.h"
#include "ram/frequency_policies.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/expiry_clock.h"
#include "ram/policy_test_util.h"

namespace ratmemcache::ram {
namespace {

TEST(LfuPolicy, FewestHitsGoFirstThenLeastRecent) {
  TestItems items(4);
  LfuPolicy lfu;
  for (int i = 0; i < 4; ++i) lfu.OnInsert(items[i], HashKey(items[i]->key()));
  for (int i = 0; i < 3; ++i) lfu.OnAccess(items[0]);  // k0: 3 hits
  lfu.OnAccess(items[1]);                               // k1: 1 hit
  lfu.OnAccess(items[3]);                               // k3: 1 hit, more recent than k1
  EXPECT_EQ(DrainPolicy(lfu), "k2 k1 k3 k0 ");
}

TEST(LfuPolicy, LevelsAreBitLengthsOfTheCount) {
  EXPECT_EQ(LfuPolicy::LevelOf(0), 0u);
  EXPECT_EQ(LfuPolicy::LevelOf(1), 1u);
  EXPECT_EQ(LfuPolicy::LevelOf(3), 2u);
  EXPECT_EQ(LfuPolicy::LevelOf(4), 3u);
  EXPECT_EQ(LfuPolicy::LevelOf(255), 8u);
}

TEST(LfuPolicy, AgingHalvesCountsSoOldFavouritesCanLeave) {
  TestItems items(2);
  LfuPolicy lfu;
  lfu.OnInsert(items[0], HashKey(items[0]->key()));
  lfu.OnInsert(items[1], HashKey(items[1]->key()));
  for (int i = 0; i < 6; ++i) lfu.OnAccess(items[0]);  // k0: 6 hits
  EXPECT_EQ(items[0]->policy_data, 6);
  // 16 hits in all (8 per item) trigger an aging: every count halves.
  for (int i = 0; i < 10; ++i) lfu.OnAccess(items[1]);
  EXPECT_EQ(items[0]->policy_data, 3);
  EXPECT_EQ(items[1]->policy_data, 5);
  EXPECT_EQ(DrainPolicy(lfu), "k0 k1 ");
}

TEST(LfuPolicy, CountsSaturate) {
  TestItems items(1);
  LfuPolicy lfu;
  lfu.OnInsert(items[0], HashKey(items[0]->key()));
  for (int i = 0; i < 1000; ++i) lfu.OnAccess(items[0]);
  EXPECT_LE(items[0]->policy_data, 255);
  EXPECT_EQ(DrainPolicy(lfu), "k0 ");
}

TEST(HybridPolicy, ItemsReadTwiceOutliveOneTimeItems) {
  TestItems items(5);
  HybridPolicy hybrid;
  for (int i = 0; i < 5; ++i) hybrid.OnInsert(items[i], HashKey(items[i]->key()));
  hybrid.OnAccess(items[0]);  // protected
  hybrid.OnAccess(items[1]);  // protected
  // Probation (k2 k3 k4, oldest first) goes before protected (k0 k1, least recent first).
  EXPECT_EQ(DrainPolicy(hybrid), "k2 k3 k4 k0 k1 ");
}

TEST(HybridPolicy, ProtectedSegmentIsBoundedAndDemotesItsLeastRecent) {
  TestItems items(5);
  HybridPolicy hybrid;
  for (int i = 0; i < 5; ++i) hybrid.OnInsert(items[i], HashKey(items[i]->key()));
  for (int i = 0; i < 5; ++i) hybrid.OnAccess(items[i]);  // all would be protected...
  // ...but at most 80% (4 of 5): k0, the least recent, went back to probation.
  Item* victim = hybrid.Victim(0);
  EXPECT_EQ(victim, items[0]);
  hybrid.OnRemove(victim);
  EXPECT_EQ(DrainPolicy(hybrid), "k1 k2 k3 k4 ");
}

TEST(TtlPolicy, ExpiredItemsGoFirstThenLeastRecentlyUsed) {
  TestItems live(3);
  TestItems expiring(2, /*expires_at=*/100);
  TtlPolicy ttl;
  ttl.OnInsert(live[0], HashKey(live[0]->key()));
  ttl.OnInsert(expiring[0], HashKey(expiring[0]->key()));
  ttl.OnInsert(live[1], HashKey(live[1]->key()));
  ttl.OnInsert(expiring[1], HashKey(expiring[1]->key()));
  ttl.OnInsert(live[2], HashKey(live[2]->key()));
  // Before time 100 nothing has expired: plain LRU.
  EXPECT_EQ(ttl.Victim(50), live[0]);
  // At 100 the two expiring items come first (least recent of them first).
  Item* victim = ttl.Victim(100);
  EXPECT_EQ(victim->key(), expiring[0]->key());
  ttl.OnRemove(victim);
  victim = ttl.Victim(100);
  EXPECT_EQ(victim->key(), expiring[1]->key());
  ttl.OnRemove(victim);
  ttl.OnAccess(live[0]);
  EXPECT_EQ(DrainPolicy(ttl, 100), "k1 k2 k0 ");
}

}  // namespace
}  // namespace ratmemcache::ram
