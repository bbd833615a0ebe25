#pragma once

// Test support for the tiered cache's tests: a TieredCache over a temporary L2 directory
// that a test configures through options_, opens, and reopens (stopping the previous one
// gracefully, as a restart would).

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/scoped_temp_dir.h"
#include "tiered/tiered_cache.h"

namespace ratmemcache::tiered {

template <typename Base = ::testing::Test>
class TieredCacheFixture : public Base {
 protected:
  // Small RAM, four stripes, no background sweep, L2 on in a fresh temporary directory.
  TieredCacheFixture() {
    options_.l1.max_memory = 2 << 20;
    options_.performance.lock_stripes = 4;
    options_.ttl.cleanup_interval = 0;
    options_.l2.enable_l2_cache = true;
    options_.l2.data_dir = dir_.string();
    options_.l2.write_buffer_size = 1 << 20;
  }
  void TearDown() override { cache_.reset(); }

  // (Re)opens the cache on options_, shutting the previous one down first.
  void Open() {
    if (cache_) {
      ASSERT_TRUE(cache_->Shutdown().ok());
    }
    cache_.reset();
    auto opened = TieredCache::Open(options_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    cache_ = std::move(opened).value();
  }
  // The value under `key`, or "<miss>".
  std::string Value(std::string_view key) {
    Result<ItemHandle> item = cache_->Get(key);
    return item.ok() ? std::string(item->value()) : "<miss>";
  }

  ScopedTempDir dir_{"tiered"};
  CacheOptions options_;
  std::unique_ptr<TieredCache> cache_;
};

}  // namespace ratmemcache::tiered
