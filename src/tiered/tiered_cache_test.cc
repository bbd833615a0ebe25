#include "tiered/tiered_cache.h"

#include <gtest/gtest.h>

#include <thread>

namespace ratmemcache::tiered {
namespace {

std::unique_ptr<TieredCache> Make(const CacheOptions& options) {
  auto cache = TieredCache::Open(options);
  EXPECT_TRUE(cache.ok()) << cache.status().ToString();
  return std::move(cache).value();
}

CacheOptions Quiet() {
  CacheOptions options;
  options.ttl.cleanup_interval = 0;
  return options;
}

TEST(CacheBuilder, ValidatesAndNamesTheOption) {
  CacheOptions options;
  options.l1.max_memory = 1000;
  auto built = CacheBuilder().options(options).Build();
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(built.status().message().find("l1.max_memory"), std::string::npos);
  options = CacheOptions();
  options.max_item_size = 64ull << 20;
  EXPECT_NE(CacheBuilder().options(options).Build().status().message().find("max_item_size"),
            std::string::npos);
  options = CacheOptions();
  options.performance.lock_stripes = 3;
  EXPECT_FALSE(CacheBuilder().options(options).Build().ok());
  options = CacheOptions();
  options.l1.max_memory = 1ull << 62;
  EXPECT_NE(CacheBuilder().options(options).Build().status().message().find("at most 1 PiB"),
            std::string::npos);
  options = CacheOptions();
  options.l1.max_memory = 2 << 20;
  options.performance.lock_stripes = 65536;
  EXPECT_NE(CacheBuilder().options(options).Build().status().message().find("too many"),
            std::string::npos);
  options = CacheOptions();
  options.l2.enable_l2_cache = true;
  options.l2.compression = "brotli";
  EXPECT_NE(CacheBuilder().options(options).Build().status().message().find("l2.compression"),
            std::string::npos);
  EXPECT_TRUE(CacheBuilder().l1(L1Options{}).ttl(TtlOptions{}).Build().ok());
}

TEST(TieredCache, OperationsAndOutcomes) {
  auto owned = Make(Quiet());
  TieredCache& cache = *owned;
  EXPECT_EQ(cache.Get("k").code(), StatusCode::kNotFound);
  ASSERT_TRUE(cache.Set("k", "v", WriteOptions{42, 0}).ok());
  EXPECT_EQ(cache.Get("k")->flags(), 42u);
  EXPECT_EQ(cache.Add("k", "w").code(), StatusCode::kNotStored);
  EXPECT_EQ(cache.Replace("nope", "w").code(), StatusCode::kNotStored);
  EXPECT_EQ(cache.Set("", "v").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.Set(std::string(251, 'k'), "v").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.Set("big", std::string(2 << 20, 'x')).code(), StatusCode::kTooLarge);
  EXPECT_TRUE(cache.Contains("k"));
  EXPECT_EQ(cache.Keys(), std::vector<std::string>{"k"});
  EXPECT_EQ(cache.Size(), 1u);
  ASSERT_TRUE(cache.Set("n", "5").ok());
  EXPECT_EQ(*cache.Increment("n", 10), 15u);
  EXPECT_EQ(*cache.Decrement("n", 100), 0u);
  EXPECT_EQ(cache.Increment("k", 1).code(), StatusCode::kNonNumeric);
  EXPECT_TRUE(cache.Delete("k").ok());
  EXPECT_EQ(cache.Delete("k").code(), StatusCode::kNotFound);
  CacheStats stats = cache.Stats();
  EXPECT_EQ(stats.curr_items, 1u);
  EXPECT_GT(stats.lock_stripes, 0u);
  ASSERT_TRUE(cache.Shutdown().ok());
  EXPECT_EQ(cache.Set("x", "y").code(), StatusCode::kShutdown);
  EXPECT_TRUE(cache.Shutdown().ok());
}

TEST(TieredCache, DefaultAndMaxTtl) {
  CacheOptions options = Quiet();
  options.ttl.default_ttl = 10;
  options.ttl.max_ttl = 100;
  auto owned = Make(options);
  TieredCache& cache = *owned;
  ASSERT_TRUE(cache.Set("default", "v").ok());
  ASSERT_TRUE(cache.SetWithTtl("long", "v", 1000).ok());
  const uint32_t now = cache.clock().Now();
  EXPECT_EQ(cache.Get("default")->expires_at(), now + 10);
  EXPECT_EQ(cache.Get("long")->expires_at(), now + 100);
  cache.TEST_clock().TEST_Advance(10);
  EXPECT_FALSE(cache.Contains("default"));
  EXPECT_TRUE(cache.Contains("long"));
}

TEST(TieredCache, TouchAndGetAndTouch) {
  auto owned = Make(Quiet());
  TieredCache& cache = *owned;
  ASSERT_TRUE(cache.SetWithTtl("k", "v", 1).ok());
  EXPECT_TRUE(cache.Touch("k", 0).ok());
  cache.TEST_clock().TEST_Advance(5);
  EXPECT_TRUE(cache.Contains("k"));
  Result<ItemHandle> got = cache.GetAndTouch("k", -1);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(cache.Contains("k"));
}

TEST(TieredCache, DelayedFlush) {
  auto owned = Make(Quiet());
  TieredCache& cache = *owned;
  ASSERT_TRUE(cache.Set("old", "v").ok());
  ASSERT_TRUE(cache.Flush(10).ok());
  EXPECT_TRUE(cache.Contains("old"));
  cache.TEST_clock().TEST_Advance(10);
  EXPECT_FALSE(cache.Contains("old"));
  ASSERT_TRUE(cache.Set("new", "v").ok());
  EXPECT_TRUE(cache.Contains("new"));
  ASSERT_TRUE(cache.Flush(0).ok());
  EXPECT_EQ(cache.Size(), 0u);
}

TEST(TieredCache, BackgroundSweepReclaims) {
  CacheOptions options;
  options.ttl.cleanup_interval = 1;
  auto owned = Make(options);
  TieredCache& cache = *owned;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(cache.SetWithTtl(std::to_string(i), "v", 1).ok());
  // The sweep runs each second; two seconds later every item has expired and gone.
  for (int i = 0; i < 50 && cache.Size() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(cache.Size(), 0u);
  EXPECT_EQ(cache.Stats().reclaimed, 100u);
}

TEST(TieredCache, MemoryLimitAtRunTime) {
  auto owned = Make(Quiet());
  TieredCache& cache = *owned;
  EXPECT_EQ(cache.SetMemoryLimit(1000).code(), StatusCode::kInvalidArgument);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(cache.Set(std::to_string(i), std::string(1000, 'x')).ok());
  ASSERT_TRUE(cache.SetMemoryLimit(2 << 20).ok());
  CacheStats stats = cache.Stats();
  EXPECT_LE(stats.bytes + stats.hash_bytes, 2u << 20);
  EXPECT_EQ(stats.limit_maxbytes, 2u << 20);
}

}  // namespace
}  // namespace ratmemcache::tiered
