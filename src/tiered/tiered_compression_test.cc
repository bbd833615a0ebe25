// LZ4 compression of values in RAM through the whole cache, with and without L2.

#include <gtest/gtest.h>

#include "tiered/tiered_test_support.h"

namespace ratmemcache::tiered {
namespace {

std::string Text(size_t size, int seed = 0) {
  std::string value;
  while (value.size() < size) value += "value " + std::to_string(seed) + " is compressible; ";
  value.resize(size);
  return value;
}

class TieredCompressionTest : public TieredCacheFixture<::testing::TestWithParam<bool>> {
 protected:
  void SetUp() override {
    options_.l1.max_memory = 4 << 20;
    options_.max_item_size = 1 << 20;
    options_.compression.enable_lz4 = true;
    options_.l2.enable_l2_cache = GetParam();
    Open();
  }
};

TEST_P(TieredCompressionTest, ReadsGetTheOriginalBytesAndRamHoldsLess) {
  const std::string text = Text(8000);
  Result<uint64_t> cas = cache_->Set("k", text, WriteOptions{5, 0});
  ASSERT_TRUE(cas.ok());
  const CacheStats stats = cache_->Stats();
  EXPECT_EQ(stats.compressed_stores, 1u);
  EXPECT_GT(stats.compression_saved_bytes, 6000u);
  EXPECT_LT(stats.bytes, 2000u);  // the item as RAM holds it
  Result<ItemHandle> item = cache_->Get("k");
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->value(), text);
  EXPECT_EQ(item->flags(), 5u);
  EXPECT_EQ(item->cas(), *cas);
  Result<ItemHandle> touched = cache_->GetAndTouch("k", 100);
  ASSERT_TRUE(touched.ok());
  EXPECT_EQ(touched->value(), text);
  // Short values are stored as they are.
  ASSERT_TRUE(cache_->Set("short", "tiny").ok());
  EXPECT_EQ(cache_->Stats().compressed_stores, 1u);
}

TEST_P(TieredCompressionTest, AppendPrependCasAndIncrWorkOnCompressedValues) {
  const std::string text = Text(3000);
  ASSERT_TRUE(cache_->Set("k", text).ok());
  ASSERT_TRUE(cache_->Append("k", "<tail>").ok());
  ASSERT_TRUE(cache_->Prepend("k", "<head>").ok());
  EXPECT_EQ(Value("k"), "<head>" + text + "<tail>");
  const uint64_t cas = cache_->Get("k")->cas();
  EXPECT_EQ(cache_->CompareAndSwap("k", Text(2000, 1), cas + 1).code(), StatusCode::kExists);
  ASSERT_TRUE(cache_->CompareAndSwap("k", Text(2000, 1), cas).ok());
  EXPECT_EQ(Value("k"), Text(2000, 1));
  EXPECT_EQ(cache_->Increment("k", 1).code(), StatusCode::kNonNumeric);
  ASSERT_TRUE(cache_->Set("n", "41").ok());
  EXPECT_EQ(*cache_->Increment("n", 1), 42u);
}

TEST_P(TieredCompressionTest, L2GetsTheOriginalBytes) {
  if (!GetParam()) GTEST_SKIP() << "RAM only";
  for (int i = 0; i < 3000; ++i) {  // ~6 MB of originals; evictions demote compressed items
    ASSERT_TRUE(cache_->Set("k" + std::to_string(i), Text(2000, i)).ok());
  }
  ASSERT_TRUE(cache_->Shutdown().ok());
  options_.compression.enable_lz4 = false;  // a reader that knows nothing of compression
  Open();
  for (int i = 0; i < 3000; i += 7) {
    ASSERT_EQ(Value("k" + std::to_string(i)), Text(2000, i)) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutL2, TieredCompressionTest, ::testing::Bool());

}  // namespace
}  // namespace ratmemcache::tiered
