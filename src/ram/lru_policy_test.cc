#include "common/hash.h"
#include "ram/lru_policy.h"

#include <gtest/gtest.h>

namespace ratmemcache::ram {
namespace {

TEST(LruPolicy, EvictsLeastRecentlyUsedFirst) {
  Item* a = AllocateItem("a", 0, 0, 0);
  Item* b = AllocateItem("b", 0, 0, 0);
  Item* c = AllocateItem("c", 0, 0, 0);
  LruPolicy lru;
  EXPECT_EQ(lru.Victim(0), nullptr);
  lru.OnInsert(a, HashKey(a->key()));
  lru.OnInsert(b, HashKey(b->key()));
  lru.OnInsert(c, HashKey(c->key()));
  EXPECT_EQ(lru.Victim(0), a);
  lru.OnAccess(a);  // order now b, c, a
  EXPECT_EQ(lru.Victim(0), b);
  lru.OnRemove(b);
  EXPECT_EQ(lru.Victim(0), c);
  lru.OnAccess(a);  // already most recent: no change
  lru.OnRemove(c);
  EXPECT_EQ(lru.Victim(0), a);
  lru.OnRemove(a);
  EXPECT_EQ(lru.Victim(0), nullptr);
  for (Item* item : {a, b, c}) ReleaseItem(item);
}

}  // namespace
}  // namespace ratmemcache::ram
