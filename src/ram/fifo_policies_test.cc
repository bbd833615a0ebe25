#include "common/hash.h"
#include "ram/fifo_policies.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ram/policy_test_util.h"
#include "ram/s3fifo_policy.h"

namespace ratmemcache::ram {
namespace {

TEST(FifoPolicy, EvictsInInsertionOrderWhateverTheHits) {
  TestItems items(4);
  FifoPolicy fifo;
  EXPECT_EQ(fifo.Victim(0), nullptr);
  for (int i = 0; i < 4; ++i) fifo.OnInsert(items[i], HashKey(items[i]->key()));
  fifo.OnAccess(items[0]);
  fifo.OnAccess(items[0]);
  fifo.OnRemove(items[2]);  // deleted
  EXPECT_EQ(DrainPolicy(fifo), "k0 k1 k3 ");
}

TEST(SievePolicy, VisitedItemsSurviveOneSweepInPlace) {
  TestItems items(5);
  SievePolicy sieve;
  for (int i = 0; i < 5; ++i) sieve.OnInsert(items[i], HashKey(items[i]->key()));  // oldest k0 .. newest k4
  sieve.OnAccess(items[0]);
  sieve.OnAccess(items[1]);
  sieve.OnAccess(items[3]);
  // The hand clears k0 and k1 and stops at k2.
  Item* victim = sieve.Victim(0);
  EXPECT_EQ(victim, items[2]);
  sieve.OnRemove(victim);
  // It goes on from where it stopped: k3 is visited (cleared), k4 goes.
  victim = sieve.Victim(0);
  EXPECT_EQ(victim, items[4]);
  sieve.OnRemove(victim);
  // Wrapped around: k0, k1, k3 are no longer visited: oldest first from the hand.
  sieve.OnAccess(items[1]);
  EXPECT_EQ(DrainPolicy(sieve), "k0 k3 k1 ");
}

TEST(SievePolicy, RemovingTheItemUnderTheHandKeepsTheSweepValid) {
  TestItems items(3);
  SievePolicy sieve;
  for (int i = 0; i < 3; ++i) sieve.OnInsert(items[i], HashKey(items[i]->key()));
  sieve.OnAccess(items[0]);
  EXPECT_EQ(sieve.Victim(0), items[1]);  // hand now at k1
  sieve.OnRemove(items[1]);              // hand moves to k2
  sieve.OnRemove(items[2]);              // deleted under the hand: hand moves past it
  EXPECT_EQ(DrainPolicy(sieve), "k0 ");
}

TEST(S3FifoPolicy, OneHitWondersLeaveFromTheSmallQueue) {
  TestItems items(20);
  S3FifoPolicy s3;
  for (int i = 0; i < 10; ++i) s3.OnInsert(items[i], HashKey(items[i]->key()));
  s3.OnAccess(items[0]);  // k0 was hit: it moves to the main queue instead of leaving
  Item* victim = s3.Victim(0);
  EXPECT_EQ(victim, items[1]);
  s3.OnRemove(victim);
  EXPECT_EQ(s3.main_size(), 1u);
  // The main queue keeps k0 while the small queue has newcomers to drop.
  for (int i = 2; i < 9; ++i) {
    victim = s3.Victim(0);
    EXPECT_EQ(victim, items[i]);
    s3.OnRemove(victim);
  }
}

TEST(S3FifoPolicy, AKeySeenInTheGhostQueueComesBackToTheMainQueue) {
  TestItems items(4);
  S3FifoPolicy s3;
  s3.OnInsert(items[0], HashKey(items[0]->key()));
  s3.OnInsert(items[1], HashKey(items[1]->key()));
  Item* victim = s3.Victim(0);  // k0, never hit: evicted, remembered as a ghost
  ASSERT_EQ(victim, items[0]);
  s3.OnRemove(victim);
  Item* again = AllocateItem("k0", 0, 0, 0);  // stored again
  s3.OnInsert(again, HashKey(again->key()));
  EXPECT_EQ(s3.main_size(), 1u);
  EXPECT_EQ(s3.small_size(), 1u);
  s3.OnRemove(again);
  ReleaseItem(again);
  s3.OnRemove(items[1]);
}

TEST(S3FifoPolicy, MainQueueGivesHitItemsAnotherRound) {
  TestItems items(3);
  S3FifoPolicy s3;
  for (int i = 0; i < 3; ++i) s3.OnInsert(items[i], HashKey(items[i]->key()));
  for (int i = 0; i < 3; ++i) s3.OnAccess(items[i]);
  s3.OnAccess(items[2]);
  s3.OnAccess(items[2]);  // k2: three hits
  // All three move to M as S is drained; then M's tail gets rounds by its counter.
  std::string order = DrainPolicy(s3);
  EXPECT_EQ(order.substr(order.size() - 3), "k2 ");  // the most hit item goes last
}

TEST(GhostQueue, ForgetsTheOldestBeyondItsCapacity) {
  GhostQueue ghost;
  for (uint64_t h = 1; h <= 1000; ++h) ghost.Add(h * 0x9E3779B97F4A7C15ull, 100);
  EXPECT_EQ(ghost.size(), 100u);
  EXPECT_FALSE(ghost.Contains(1 * 0x9E3779B97F4A7C15ull));
  EXPECT_TRUE(ghost.Contains(1000 * 0x9E3779B97F4A7C15ull));
  EXPECT_TRUE(ghost.Contains(901 * 0x9E3779B97F4A7C15ull));
  EXPECT_FALSE(ghost.Contains(900 * 0x9E3779B97F4A7C15ull));
  ghost.Add(5, 10);  // a smaller capacity drops the oldest at once
  EXPECT_EQ(ghost.size(), 10u);
  EXPECT_TRUE(ghost.Contains(5));
  EXPECT_FALSE(ghost.Contains(991 * 0x9E3779B97F4A7C15ull));
  EXPECT_TRUE(ghost.Contains(992 * 0x9E3779B97F4A7C15ull));
}

}  // namespace
}  // namespace ratmemcache::ram
