// The two tiers together, on a real RocksDB in a temporary directory.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "common/process_info.h"
#include "tiered/tiered_test_support.h"

namespace ratmemcache::tiered {
namespace {

class TieredL2Test : public TieredCacheFixture<> {
 protected:
  void SetUp() override { options_.max_item_size = 256 << 10; }
  static std::string ValueFor(int i, int size = 1000) {
    std::string value(size, 'a');
    for (int j = 0; j < size; ++j) value[j] = static_cast<char>('a' + (i * 7 + j) % 26);
    return value;
  }
};

TEST_F(TieredL2Test, WorkingSetLargerThanRamStaysReadable) {
  // The writer waits for 8 MB or a minute: every eviction finds its item still queued (a
  // demotion), however fast the disk is.
  options_.l2.write_behind_interval_ms = 60000;
  Open();
  for (int i = 0; i < 6000; ++i) {  // about 6 MB into 2 MB of RAM
    ASSERT_TRUE(cache_->Set("key" + std::to_string(i), ValueFor(i), WriteOptions{uint32_t(i), 0}).ok());
  }
  CacheStats stats = cache_->Stats();
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_GT(stats.l2_demotions, 0u);
  for (int i = 0; i < 6000; ++i) {
    Result<ItemHandle> item = cache_->Get("key" + std::to_string(i));
    ASSERT_TRUE(item.ok()) << i;
    ASSERT_EQ(item->value(), ValueFor(i)) << i;
    ASSERT_EQ(item->flags(), uint32_t(i));
  }
}

TEST_F(TieredL2Test, AnItemComesBackIntoRamOnItsSecondL2Read) {
  Open();
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(cache_->Set("k" + std::to_string(i), ValueFor(i), WriteOptions{}).ok());
  }
  Open();  // everything in L2, RAM empty
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(Value("k" + std::to_string(i)), ValueFor(i));
  EXPECT_EQ(cache_->Stats().l2_promotions, 0u) << "a pass reading each key once churns nothing";
  ASSERT_EQ(Value("k7"), ValueFor(7));
  ASSERT_EQ(Value("k7"), ValueFor(7));
  CacheStats stats = cache_->Stats();
  EXPECT_EQ(stats.l2_promotions, 1u) << "read again soon (second and third reads): promoted";
  const uint64_t l2_gets = stats.l2_gets;
  ASSERT_EQ(Value("k7"), ValueFor(7));
  EXPECT_EQ(cache_->Stats().l2_gets, l2_gets) << "served from RAM now";
}

TEST_F(TieredL2Test, PromotionAlwaysBringsEveryReadIntoRam) {
  options_.performance.l2_promotion = L2Promotion::kAlways;
  Open();
  ASSERT_TRUE(cache_->Set("k", "v", WriteOptions{}).ok());
  Open();
  ASSERT_EQ(Value("k"), "v");
  EXPECT_EQ(cache_->Stats().l2_promotions, 1u);
  const uint64_t l2_gets = cache_->Stats().l2_gets;
  ASSERT_EQ(Value("k"), "v");
  EXPECT_EQ(cache_->Stats().l2_gets, l2_gets);
}

TEST_F(TieredL2Test, RestartServesEverythingWithFlagsTtlAndCas) {
  Open();
  uint64_t last_cas = 0;
  for (int i = 0; i < 3000; ++i) {
    Result<uint64_t> cas = cache_->Set("k" + std::to_string(i), ValueFor(i), WriteOptions{7, 3600});
    ASSERT_TRUE(cas.ok());
    last_cas = *cas;
  }
  const uint64_t cas_of_k5 = cache_->Get("k5")->cas();
  Open();  // graceful stop and restart
  EXPECT_EQ(cache_->Size(), 0u) << "RAM starts empty; items come from L2 on demand";
  for (int i = 0; i < 3000; ++i) {
    Result<ItemHandle> item = cache_->Get("k" + std::to_string(i));
    ASSERT_TRUE(item.ok()) << i;
    ASSERT_EQ(item->value(), ValueFor(i));
    ASSERT_EQ(item->flags(), 7u);
    const int64_t remaining = cache_->clock().ToUnixTime(item->expires_at()) - UnixTimeNow();
    ASSERT_GT(remaining, 3500);
    ASSERT_LE(remaining, 3601);
  }
  EXPECT_EQ(cache_->Get("k5")->cas(), cas_of_k5) << "CAS uniques survive";
  Result<uint64_t> fresh = cache_->Set("new", "v");
  ASSERT_TRUE(fresh.ok());
  EXPECT_GT(*fresh, last_cas) << "and new ones never repeat old ones";
}

TEST_F(TieredL2Test, NothingDeletedOrFlushedComesBack) {
  Open();
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(cache_->Set("k" + std::to_string(i), ValueFor(i)).ok());
  cache_->TEST_DrainWriteBehind();
  // Deletes of items in RAM, in L2 only, and of missing keys.
  for (int i = 0; i < 3000; i += 3) EXPECT_TRUE(cache_->Delete("k" + std::to_string(i)).ok()) << i;
  EXPECT_EQ(cache_->Delete("k0").code(), StatusCode::kNotFound);
  EXPECT_EQ(cache_->Delete("never").code(), StatusCode::kNotFound);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(Value("k" + std::to_string(i)), i % 3 == 0 ? "<miss>" : ValueFor(i)) << i;
  }
  Open();
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(Value("k" + std::to_string(i)), i % 3 == 0 ? "<miss>" : ValueFor(i)) << i;
  }
  ASSERT_TRUE(cache_->Flush(0).ok());
  EXPECT_EQ(Value("k1"), "<miss>");
  ASSERT_TRUE(cache_->Set("after", "v").ok());
  Open();
  EXPECT_EQ(Value("k1"), "<miss>");
  EXPECT_EQ(Value("k2999"), "<miss>");
  EXPECT_EQ(Value("after"), "v");
}

TEST_F(TieredL2Test, ExpiredItemsDoNotComeBack) {
  Open();
  ASSERT_TRUE(cache_->SetWithTtl("short", "v", 1).ok());
  ASSERT_TRUE(cache_->Set("long", "v").ok());
  Open();
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(Value("short"), "<miss>");
  EXPECT_EQ(Value("long"), "v");
}

TEST_F(TieredL2Test, OperationsOnItemsOnlyInL2) {
  Open();
  ASSERT_TRUE(cache_->Set("n", "41").ok());
  ASSERT_TRUE(cache_->Set("s", "mid").ok());
  ASSERT_TRUE(cache_->Set("t", "v").ok());
  ASSERT_TRUE(cache_->Set("c", "v").ok());
  ASSERT_TRUE(cache_->Set("a", "v").ok());
  const uint64_t cas_c = cache_->Get("c")->cas();
  Open();
  EXPECT_EQ(*cache_->Increment("n", 1), 42u);
  ASSERT_TRUE(cache_->Append("s", "_end").ok());
  ASSERT_TRUE(cache_->Prepend("s", "start_").ok());
  EXPECT_EQ(Value("s"), "start_mid_end");
  EXPECT_TRUE(cache_->Touch("t", -1).ok());
  EXPECT_EQ(Value("t"), "<miss>");
  EXPECT_TRUE(cache_->CompareAndSwap("c", "w", cas_c).ok());
  EXPECT_EQ(cache_->Add("a", "x").code(), StatusCode::kNotStored);
  Open();
  EXPECT_EQ(Value("n"), "42");
  EXPECT_EQ(Value("s"), "start_mid_end");
  EXPECT_EQ(Value("t"), "<miss>");
  EXPECT_EQ(Value("c"), "w");
  EXPECT_EQ(Value("a"), "v");
}

// md and ma with C on items living only in L2 (after a restart): the CAS survives and
// guards the change; a guarded delete reaches L2.
TEST_F(TieredL2Test, CasGuardedDeleteAndArithmeticOnItemsOnlyInL2) {
  Open();
  ASSERT_TRUE(cache_->Set("d", "v").ok());
  ASSERT_TRUE(cache_->Set("n", "7").ok());
  const uint64_t cas_d = cache_->Get("d")->cas();
  const uint64_t cas_n = cache_->Get("n")->cas();
  Open();
  EXPECT_EQ(cache_->DeleteIfCas("d", cas_d + 1).code(), StatusCode::kExists);
  EXPECT_EQ(cache_->Arithmetic("n", true, 1, cas_n + 1).code(), StatusCode::kExists);
  Open();
  EXPECT_EQ(Value("d"), "v");
  EXPECT_EQ(Value("n"), "7");
  EXPECT_TRUE(cache_->DeleteIfCas("d", cas_d).ok());
  Result<Cache::ArithmeticResult> sum = cache_->Arithmetic("n", false, 2, cas_n);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->value, 5u);
  EXPECT_EQ(sum->ttl, -1);
  EXPECT_EQ(sum->cas, cache_->Get("n")->cas());
  Open();
  EXPECT_EQ(Value("d"), "<miss>");
  EXPECT_EQ(Value("n"), "5");
}

TEST_F(TieredL2Test, StaleStoreOnAnItemOnlyInL2) {
  Open();
  ASSERT_TRUE(cache_->Set("k", "v1").ok());
  const uint64_t cas = cache_->Get("k")->cas();
  Open();
  EXPECT_EQ(cache_->Store(StoreMode::kCasOrStale, "k", "x", {}, cas + 1).code(), StatusCode::kExists);
  ASSERT_TRUE(cache_->Store(StoreMode::kCasOrStale, "k", "old", {}, cas - 1).ok());
  Result<Cache::MetaGetResult> read = cache_->MetaGet("k", {});
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->item.value(), "old");
  EXPECT_TRUE(read->stale);
  EXPECT_TRUE(read->win);
}

TEST_F(TieredL2Test, DelayedFlushIsPersistent) {
  Open();
  ASSERT_TRUE(cache_->Set("old", "v").ok());
  ASSERT_TRUE(cache_->Flush(2).ok());
  Open();
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(Value("old"), "<miss>");
}

// Regression: a flush_all to a time in the past (which RAM applies only to items used
// before it) wiped all of L2.
TEST_F(TieredL2Test, FlushToAPastTimeKeepsLaterItems) {
  Open();
  ASSERT_TRUE(cache_->Set("k", "v").ok());
  cache_->TEST_DrainWriteBehind();
  ASSERT_TRUE(cache_->Flush(kMaxRelativeExptime + 1).ok());  // an absolute time long past
  EXPECT_EQ(Value("k"), "v");
  Open();
  EXPECT_EQ(Value("k"), "v");
}

TEST_F(TieredL2Test, ClearOnStartupStartsEmpty) {
  Open();
  ASSERT_TRUE(cache_->Set("k", "v").ok());
  options_.l2.clear_on_startup = true;
  Open();
  EXPECT_EQ(Value("k"), "<miss>");
  EXPECT_TRUE(cache_->Keys().empty());
}

TEST_F(TieredL2Test, KeysSpanBothTiers) {
  Open();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(cache_->Set("k" + std::to_string(i), "v").ok());
  Open();
  ASSERT_TRUE(cache_->Set("ram_only", "v").ok());
  ASSERT_TRUE(cache_->Delete("k3").ok());
  std::vector<std::string> keys = cache_->Keys();
  EXPECT_EQ(keys.size(), 10u);
  EXPECT_EQ(std::count(keys.begin(), keys.end(), "k3"), 0);
}

// Threads with private keys run random operations against a RAM tier much smaller than
// their data while the write-behind thread and evictions run: each thread's view must be
// exactly sequential (no lost write, no resurrected delete, no stale value).
TEST_F(TieredL2Test, ConcurrentPrivateKeysStaySequential) {
  options_.l1.max_memory = 1 << 20;
  // Batches every second (or 8 MB): items are evicted while still queued (demotions)
  // however fast the disk is, and the writer still runs during the test.
  options_.l2.write_behind_interval_ms = 1000;
  Open();
  std::atomic<int> failures{0};
  std::mutex report_mu;
  std::string first_failure;
  auto fail = [&](const std::string& what) {
    std::lock_guard lock(report_mu);
    if (first_failure.empty()) first_failure = what;
    ++failures;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::map<std::string, std::optional<std::string>> expected;
      for (int step = 0; step < 8000 && failures == 0; ++step) {
        const std::string key = "t" + std::to_string(t) + "_" + std::to_string(rng() % 400);
        switch (rng() % 10) {
          case 0:
          case 1:
          case 2: {
            std::string value = ValueFor(step, 200 + static_cast<int>(rng() % 3000));
            if (!cache_->Set(key, value).ok()) fail("set " + key);
            expected[key] = value;
            break;
          }
          case 3: {
            const bool had = expected.count(key) && expected[key].has_value();
            const bool deleted = cache_->Delete(key).ok();
            if (deleted != had) fail("delete " + key + (had ? " missed" : " found a ghost"));
            expected[key] = std::nullopt;
            break;
          }
          case 4: {
            const bool had = expected.count(key) && expected[key].has_value();
            Result<uint64_t> appended = cache_->Append(key, "+");
            if (appended.ok() != had) fail("append " + key + (had ? " missed" : " found a ghost"));
            if (had) *expected[key] += "+";
            break;
          }
          default: {
            Result<ItemHandle> item = cache_->Get(key);
            const bool had = expected.count(key) && expected[key].has_value();
            if (item.ok() != had) fail("get " + key + (had ? " missed" : " found a ghost"));
            else if (had && item->value() != *expected[key]) fail("get " + key + " stale value");
            break;
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0) << first_failure;
  EXPECT_GT(cache_->Stats().l2_demotions, 0u);
}

}  // namespace
}  // namespace ratmemcache::tiered
