// Every eviction policy under concurrent load in a RAM tier far too small for its keys:
// afterwards the tier's accounting must match its contents, memory must stay within the
// limit, and evictions must have happened. (Run under ThreadSanitizer by `make test-tsan`
// once issue #7 adds it; meanwhile this is the heavy multithreaded stress of issue #5.)

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common/expiry_clock.h"
#include "ram/policy_test_util.h"
#include "ram/ram_tier.h"

namespace ratmemcache::ram {
namespace {

class EvictionStressTest : public ::testing::TestWithParam<EvictionStrategy> {};

TEST_P(EvictionStressTest, ConcurrentLoadKeepsAccountingAndLimits) {
  ExpiryClock clock;
  RamTierOptions options;
  options.max_memory = 256 << 10;
  options.stripes = 4;
  options.eviction = GetParam();
  RamTier tier(options, &clock);
  std::vector<std::thread> threads;
  std::atomic<bool> wrong_value{false};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30000; ++i) {
        // A hot set of 50 keys and a long tail of 5,000.
        const int n = i % 3 == 0 ? (i * 13 + t) % 50 : (i * 7919 + t * 31) % 5000;
        const std::string key = "key" + std::to_string(n);
        switch (i % 5) {
          case 0:
          case 1: {
            const size_t size = 100 + (n % 7) * 200;
            // Some items carry an expiry, far enough away that none expires during the
            // run (a slow run, as under ThreadSanitizer, would otherwise see expired items
            // that curr_items counts until they are reaped, as memcached's does).
            Result<WritableItem> item = tier.Allocate(key, size, 0, i % 4 == 0 ? clock.Now() + 3600 : 0);
            if (!item.ok()) break;
            std::memset(item->value_buffer().data(), 'a' + n % 26, size);
            tier.Store(StoreMode::kSet, std::move(item).value(), 0).IgnoreError();
            break;
          }
          case 2:
          case 3: {
            Result<ItemHandle> got = tier.Get(key);
            if (got.ok()) {
              for (char c : got->value()) {
                if (c != 'a' + n % 26) wrong_value = true;
              }
            }
            break;
          }
          case 4:
            if (i % 10 == 4) tier.Delete(key).IgnoreError();
            else tier.Touch(key, clock.Now() + 100).IgnoreError();
            break;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(wrong_value);
  const RamTierStats stats = tier.Stats();
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_EQ(stats.curr_items, tier.Size());
  EXPECT_EQ(stats.curr_items, tier.Keys().size());
  EXPECT_LE(stats.bytes + stats.hash_bytes, options.max_memory + 64 * 1024);
  // Shrinking the limit evicts through the policy's lists: they hold the linked items.
  ASSERT_TRUE(tier.SetMemoryLimit(32 << 10).ok());
  const RamTierStats after = tier.Stats();
  EXPECT_LE(after.bytes + after.hash_bytes, 32u << 10);
  EXPECT_EQ(after.curr_items, tier.Keys().size());
}

INSTANTIATE_TEST_SUITE_P(EveryPolicy, EvictionStressTest,
                         ::testing::ValuesIn(EveryPolicy()), PolicyTestName);

}  // namespace
}  // namespace ratmemcache::ram
