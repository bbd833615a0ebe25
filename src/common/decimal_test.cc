#include "common/decimal.h"

#include <gtest/gtest.h>

namespace ratmemcache {
namespace {

TEST(SafeStrtoull, AcceptsWhatMemcachedAccepts) {
  uint64_t v;
  EXPECT_TRUE(SafeStrtoull("0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(SafeStrtoull("18446744073709551615", &v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_TRUE(SafeStrtoull("  42", &v));
  EXPECT_EQ(v, 42u);
  EXPECT_TRUE(SafeStrtoull("+7", &v));
  EXPECT_EQ(v, 7u);
  EXPECT_TRUE(SafeStrtoull("12 abc", &v));  // only the byte after the digits is checked
  EXPECT_EQ(v, 12u);
  EXPECT_TRUE(SafeStrtoull("-0", &v));
  EXPECT_EQ(v, 0u);
  // strtoull negates; memcached only rejects a '-' when the result looks negative.
  EXPECT_TRUE(SafeStrtoull("-9223372036854775809", &v));
  EXPECT_EQ(v, 9223372036854775807u);
}

TEST(SafeStrtoull, RejectsWhatMemcachedRejects) {
  uint64_t v;
  EXPECT_FALSE(SafeStrtoull("", &v));
  EXPECT_FALSE(SafeStrtoull("   ", &v));
  EXPECT_FALSE(SafeStrtoull("abc", &v));
  EXPECT_FALSE(SafeStrtoull("12abc", &v));
  EXPECT_FALSE(SafeStrtoull("-1", &v));
  EXPECT_FALSE(SafeStrtoull("18446744073709551616", &v));
  EXPECT_FALSE(SafeStrtoull("+", &v));
}

TEST(SafeStrtoul, TruncatesTo32BitsLikeLp64Memcached) {
  uint32_t v;
  EXPECT_TRUE(SafeStrtoul("4294967295", &v));
  EXPECT_EQ(v, 4294967295u);
  EXPECT_TRUE(SafeStrtoul("4294967296", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(SafeStrtoul("-1", &v));
}

TEST(SafeStrtol, SignedAndTruncated) {
  int32_t v;
  EXPECT_TRUE(SafeStrtol("-1", &v));
  EXPECT_EQ(v, -1);
  EXPECT_TRUE(SafeStrtol("4294967297", &v));
  EXPECT_EQ(v, 1);
  EXPECT_FALSE(SafeStrtol("9223372036854775808", &v));
  EXPECT_FALSE(SafeStrtol("1x", &v));
  int64_t w;
  EXPECT_TRUE(SafeStrtoll("-9223372036854775808", &w));
  EXPECT_EQ(w, INT64_MIN);
}

TEST(FormatDecimal, Writes) {
  char buf[20];
  EXPECT_EQ(std::string_view(buf, FormatDecimal(0, buf)), "0");
  EXPECT_EQ(std::string_view(buf, FormatDecimal(UINT64_MAX, buf)), "18446744073709551615");
}

}  // namespace
}  // namespace ratmemcache
