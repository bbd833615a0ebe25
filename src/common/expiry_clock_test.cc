#include "common/expiry_clock.h"

#include <gtest/gtest.h>

namespace ratmemcache {
namespace {

TEST(ExpiryClock, ZeroMeansNever) {
  ExpiryClock clock;
  EXPECT_EQ(clock.FromExptime(0), ExpiryClock::kNever);
  EXPECT_FALSE(ExpiryClock::IsExpired(ExpiryClock::kNever, 1u << 30));
}

TEST(ExpiryClock, NegativeIsAlreadyExpired) {
  ExpiryClock clock;
  EXPECT_TRUE(ExpiryClock::IsExpired(clock.FromExptime(-1), clock.Now()));
}

TEST(ExpiryClock, RelativeUpToThirtyDays) {
  ExpiryClock clock;
  const uint32_t now = clock.Now();
  EXPECT_EQ(clock.FromExptime(10), now + 10);
  EXPECT_EQ(clock.FromExptime(kMaxRelativeExptime), now + kMaxRelativeExptime);
  EXPECT_FALSE(ExpiryClock::IsExpired(clock.FromExptime(10), now + 9));
  EXPECT_TRUE(ExpiryClock::IsExpired(clock.FromExptime(10), now + 10));
}

TEST(ExpiryClock, AbsoluteUnixTimes) {
  ExpiryClock clock;
  const int64_t unix_now = clock.ToUnixTime(clock.Now());
  EXPECT_EQ(clock.FromExptime(unix_now + 100), clock.Now() + 100);
  // A unix time in the past (but above 30 days) is expired.
  EXPECT_TRUE(ExpiryClock::IsExpired(clock.FromExptime(kMaxRelativeExptime + 1), clock.Now()));
  EXPECT_TRUE(ExpiryClock::IsExpired(clock.FromExptime(unix_now - 5), clock.Now()));
}

TEST(ExpiryClock, MaxTtlCaps) {
  ExpiryClock clock;
  const uint32_t now = clock.Now();
  EXPECT_EQ(clock.FromExptime(1000, 60), now + 60);
  EXPECT_EQ(clock.FromExptime(0, 60), now + 60);
  EXPECT_EQ(clock.FromExptime(30, 60), now + 30);
}

TEST(ExpiryClock, AdvanceForTests) {
  ExpiryClock clock;
  const uint32_t now = clock.Now();
  clock.TEST_Advance(100);
  EXPECT_GE(clock.Now(), now + 100);
}

}  // namespace
}  // namespace ratmemcache
