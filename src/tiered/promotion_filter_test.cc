#include "tiered/promotion_filter.h"

#include <gtest/gtest.h>

#include "common/hash.h"

namespace ratmemcache::tiered {
namespace {

TEST(PromotionFilter, AlwaysAdmitsEveryReadAndHoldsNoTable) {
  PromotionFilter filter(4096, /*always=*/true);
  EXPECT_EQ(filter.window(), 0u);
  EXPECT_TRUE(filter.Admit(HashKey("a")));
  EXPECT_TRUE(filter.Admit(HashKey("a")));
}

TEST(PromotionFilter, AdmitsAKeyOnItsSecondReadThenStartsOver) {
  PromotionFilter filter(4096, false);
  const uint64_t a = HashKey("a");
  EXPECT_FALSE(filter.Admit(a));
  EXPECT_TRUE(filter.Admit(a));
  EXPECT_FALSE(filter.Admit(a)) << "after an admission the key needs two reads again";
  EXPECT_TRUE(filter.Admit(a));
}

TEST(PromotionFilter, WindowIsAPowerOfTwoOfAtLeast64) {
  EXPECT_EQ(PromotionFilter(1000, false).window(), 1024u);
  EXPECT_EQ(PromotionFilter(1, false).window(), 64u);
}

TEST(PromotionFilter, ReadsFarApartAreMostlyNotAdmitted) {
  // A uniform pass over 100,000 keys with a 1,024-slot window, twice: a key's second read
  // comes after 100,000 others, so nearly every slot has been overwritten by then.
  PromotionFilter filter(1024, false);
  int admitted = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 100000; ++i) admitted += filter.Admit(HashKey("key:" + std::to_string(i)));
  }
  EXPECT_LT(admitted, 100);
}

TEST(PromotionFilter, HotKeysAmongColdOnesAreAdmitted) {
  // 10 hot keys read between every 100 cold reads (all cold keys distinct).
  PromotionFilter filter(4096, false);
  int hot_admitted = 0;
  int cold = 0;
  for (int round = 0; round < 20; ++round) {
    for (int hot = 0; hot < 10; ++hot) hot_admitted += filter.Admit(HashKey("hot:" + std::to_string(hot)));
    for (int i = 0; i < 100; ++i) filter.Admit(HashKey("cold:" + std::to_string(cold++)));
  }
  EXPECT_GE(hot_admitted, 90) << "every second read of a hot key (100 of 200), bar collisions";
}

}  // namespace
}  // namespace ratmemcache::tiered
