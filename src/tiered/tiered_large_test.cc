// Values above performance.large_value_threshold: stored in L2 only, never in RAM, with the
// same semantics as any other item. Real RocksDB in a temporary directory.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tiered/tiered_test_support.h"

namespace ratmemcache::tiered {
namespace {

constexpr size_t kThreshold = 4096;

class TieredLargeTest : public TieredCacheFixture<> {
 protected:
  void SetUp() override {
    options_.max_item_size = 16 << 20;  // eight times the RAM tier
    options_.performance.large_value_threshold = kThreshold;
  }
  static std::string Big(size_t size, char seed) {
    std::string value(size, '\0');
    for (size_t i = 0; i < size; ++i) value[i] = static_cast<char>(seed + (i * 31) % 61);
    return value;
  }
};

TEST_F(TieredLargeTest, LargeValuesNeverOccupyRam) {
  Open();
  const std::string big = Big(200 << 10, 'a');
  ASSERT_TRUE(cache_->Set("big", big, WriteOptions{42, 0}).ok());
  EXPECT_EQ(cache_->Stats().curr_items, 0u);
  EXPECT_EQ(cache_->Stats().l2_direct_stores, 1u);
  // Served while still queued, and from the disk once written, without entering RAM.
  Result<ItemHandle> queued = cache_->Get("big");
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(queued->value(), big);
  EXPECT_EQ(queued->flags(), 42u);
  cache_->TEST_DrainWriteBehind();
  EXPECT_EQ(Value("big"), big);
  EXPECT_EQ(cache_->Stats().curr_items, 0u);
  // A value exactly at the threshold is a small one.
  ASSERT_TRUE(cache_->Set("edge", Big(kThreshold, 'b')).ok());
  EXPECT_EQ(cache_->Stats().curr_items, 1u);
}

TEST_F(TieredLargeTest, ValuesLargerThanRamRoundTripAndSurviveARestart) {
  Open();
  const std::string huge = Big(6 << 20, 'c');  // three times the whole RAM tier
  Result<uint64_t> cas = cache_->Set("huge", huge, WriteOptions{7, 3600});
  ASSERT_TRUE(cas.ok()) << cas.status().ToString();
  EXPECT_EQ(Value("huge"), huge);
  Open();
  Result<ItemHandle> item = cache_->Get("huge");
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->value(), huge);
  EXPECT_EQ(item->flags(), 7u);
  EXPECT_EQ(item->cas(), *cas);
  EXPECT_EQ(cache_->Set("too", Big(17 << 20, 'd')).code(), StatusCode::kTooLarge);
}

TEST_F(TieredLargeTest, ConditionalStoresSeeLargeItemsWhereverTheyAre) {
  Open();
  const std::string big = Big(10000, 'e');
  ASSERT_TRUE(cache_->Set("k", big).ok());
  for (int round = 0; round < 2; ++round) {  // queued, then on disk
    EXPECT_EQ(cache_->Add("k", "x").code(), StatusCode::kNotStored);
    EXPECT_EQ(Value("k"), big);
    cache_->TEST_DrainWriteBehind();
  }
  ASSERT_TRUE(cache_->Replace("k", Big(9000, 'f')).ok());
  EXPECT_EQ(Value("k"), Big(9000, 'f'));
  EXPECT_EQ(cache_->Replace("absent", big).code(), StatusCode::kNotStored);
  EXPECT_TRUE(cache_->Add("fresh", big).ok());
  EXPECT_EQ(cache_->Add("fresh", big).code(), StatusCode::kNotStored);

  const uint64_t cas = cache_->Get("k")->cas();
  EXPECT_EQ(cache_->CompareAndSwap("k", big, cas + 1).code(), StatusCode::kExists);
  EXPECT_TRUE(cache_->CompareAndSwap("k", big, cas).ok());
  EXPECT_EQ(cache_->CompareAndSwap("k", big, cas).code(), StatusCode::kExists);
  EXPECT_EQ(cache_->CompareAndSwap("nope", big, 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(Value("k"), big);
}

TEST_F(TieredLargeTest, AppendAndPrependCrossTheThreshold) {
  Open();
  const std::string big = Big(5000, 'g');
  ASSERT_TRUE(cache_->Set("k", big).ok());
  ASSERT_TRUE(cache_->Append("k", "_tail").ok());
  ASSERT_TRUE(cache_->Prepend("k", "head_").ok());
  EXPECT_EQ(Value("k"), "head_" + big + "_tail");
  // A small item that grows past the threshold leaves RAM.
  ASSERT_TRUE(cache_->Set("s", "small").ok());
  EXPECT_EQ(cache_->Stats().curr_items, 1u);
  ASSERT_TRUE(cache_->Append("s", big).ok());
  EXPECT_EQ(Value("s"), "small" + big);
  EXPECT_EQ(cache_->Stats().curr_items, 0u);
  EXPECT_EQ(cache_->Append("missing", big).code(), StatusCode::kNotStored);
  // Growing past the item size limit stores nothing, as in memcached.
  EXPECT_EQ(cache_->Append("s", Big(options_.max_item_size - 100, 'h')).code(),
            StatusCode::kNotStored);
  Open();
  EXPECT_EQ(Value("k"), "head_" + big + "_tail");
  EXPECT_EQ(Value("s"), "small" + big);
}

TEST_F(TieredLargeTest, SmallAndLargeVersionsReplaceEachOther) {
  Open();
  ASSERT_TRUE(cache_->Set("k", "small").ok());
  ASSERT_TRUE(cache_->Set("k", Big(8000, 'i')).ok());
  EXPECT_EQ(cache_->Stats().curr_items, 0u);  // the small copy left RAM
  EXPECT_EQ(Value("k"), Big(8000, 'i'));
  ASSERT_TRUE(cache_->Set("k", "small again").ok());
  EXPECT_EQ(Value("k"), "small again");
  Open();
  EXPECT_EQ(Value("k"), "small again");
  ASSERT_TRUE(cache_->Set("k", Big(8000, 'j')).ok());
  Open();
  EXPECT_EQ(Value("k"), Big(8000, 'j'));
}

TEST_F(TieredLargeTest, DeleteExpiryAndFlushNeverResurrect) {
  Open();
  ASSERT_TRUE(cache_->Set("del", Big(6000, 'k')).ok());
  ASSERT_TRUE(cache_->Set("ttl", Big(6000, 'l'), WriteOptions{0, 1}).ok());
  ASSERT_TRUE(cache_->Set("flushed", Big(6000, 'm')).ok());
  EXPECT_TRUE(cache_->Delete("del").ok());
  EXPECT_EQ(cache_->Delete("del").code(), StatusCode::kNotFound);
  EXPECT_EQ(Value("del"), "<miss>");
  cache_->TEST_clock().TEST_Advance(2);
  EXPECT_EQ(Value("ttl"), "<miss>");
  ASSERT_TRUE(cache_->Flush(0).ok());
  EXPECT_EQ(Value("flushed"), "<miss>");
  ASSERT_TRUE(cache_->Set("after", Big(6000, 'n')).ok());
  Open();
  EXPECT_EQ(Value("del"), "<miss>");
  EXPECT_EQ(Value("flushed"), "<miss>");
  EXPECT_EQ(Value("after"), Big(6000, 'n'));
}

TEST_F(TieredLargeTest, TouchKeepsValueAndCasAndSetsExpiry) {
  Open();
  const std::string big = Big(7000, 'o');
  const uint64_t cas = *cache_->Set("k", big);
  ASSERT_TRUE(cache_->Touch("k", 100).ok());
  Result<ItemHandle> touched = cache_->GetAndTouch("k", 100);
  ASSERT_TRUE(touched.ok());
  EXPECT_EQ(touched->value(), big);
  EXPECT_EQ(touched->cas(), cas);
  EXPECT_EQ(cache_->Stats().curr_items, 0u);
  EXPECT_EQ(cache_->Touch("absent", 100).code(), StatusCode::kNotFound);
  cache_->TEST_clock().TEST_Advance(101);
  EXPECT_EQ(Value("k"), "<miss>");
  // incr/decr: a value of thousands of bytes is not a number.
  ASSERT_TRUE(cache_->Set("n", std::string(5000, '1')).ok());
  EXPECT_EQ(cache_->Increment("n", 1).code(), StatusCode::kNonNumeric);
}

TEST_F(TieredLargeTest, ConcurrentCasOnOneLargeItemLosesNoUpdate) {
  Open();
  ASSERT_TRUE(cache_->Set("counter", Big(5000, 'p')).ok());
  constexpr int kThreads = 4;
  constexpr int kUpdates = 40;
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int done = 0; done < kUpdates;) {
        Result<ItemHandle> item = cache_->Get("counter");
        ASSERT_TRUE(item.ok());
        std::string next(item->value());
        next.push_back(static_cast<char>('A' + t));
        if (cache_->CompareAndSwap("counter", next, item->cas()).ok()) {
          ++done;
          applied.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string final_value = Value("counter");
  EXPECT_EQ(applied.load(), kThreads * kUpdates);
  // Every successful cas added exactly one byte to the value it read.
  EXPECT_EQ(final_value.size(), 5000u + kThreads * kUpdates);
}

}  // namespace
}  // namespace ratmemcache::tiered
