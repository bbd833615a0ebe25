#include <string>

#include "common/logging.h"
#include "disk/disk_tier.h"
#include "ratmemcache/cache.h"
#include "tiered/tiered_cache.h"

namespace ratmemcache {

CacheBuilder& CacheBuilder::options(const CacheOptions& options) {
  options_ = options;
  return *this;
}
CacheBuilder& CacheBuilder::l1(const L1Options& l1) {
  options_.l1 = l1;
  return *this;
}
CacheBuilder& CacheBuilder::l2(const L2Options& l2) {
  options_.l2 = l2;
  return *this;
}
CacheBuilder& CacheBuilder::ttl(const TtlOptions& ttl) {
  options_.ttl = ttl;
  return *this;
}
CacheBuilder& CacheBuilder::performance(const PerformanceOptions& performance) {
  options_.performance = performance;
  return *this;
}
CacheBuilder& CacheBuilder::compression(const CompressionOptions& compression) {
  options_.compression = compression;
  return *this;
}
CacheBuilder& CacheBuilder::logging(const LoggingOptions& logging) {
  options_.logging = logging;
  configure_logging_ = true;
  return *this;
}
CacheBuilder& CacheBuilder::max_item_size(uint64_t bytes) {
  options_.max_item_size = bytes;
  return *this;
}

Status ValidateOptions(const CacheOptions& options) {
  constexpr uint64_t kMiB = 1ull << 20;
  if (options.l1.max_memory < kMiB) {
    return Status::InvalidArgument("l1.max_memory must be at least 1 MiB (1048576 bytes)");
  }
  if (options.l1.max_memory > (1ull << 50)) {
    return Status::InvalidArgument("l1.max_memory must be at most 1 PiB");
  }
  if (options.l2.enable_l2_cache) {
    if (!CompiledFeatures().persistent_tier) {
      return Status::InvalidArgument(
          "l2.enable_l2_cache: this build has no persistent tier (built with RMC_WITH_ROCKSDB=OFF)");
    }
#if RMC_HAVE_ROCKSDB
    Status l2 = disk::ValidateL2Options(options.l2);
    if (!l2.ok()) return l2;
#endif
  }
  if (options.compression.enable_lz4 && !CompiledFeatures().lz4) {
    return Status::InvalidArgument(
        "compression.enable_lz4: this build has no LZ4 (built with RMC_WITH_LZ4=OFF)");
  }
  if (options.max_item_size < 1024) {
    return Status::InvalidArgument("max_item_size must be at least 1 KiB (1024 bytes)");
  }
  if (options.max_item_size > 1024 * kMiB) {
    return Status::InvalidArgument("max_item_size must be at most 1 GiB");
  }
  const uint64_t threshold = options.performance.large_value_threshold;
  if (options.l2.enable_l2_cache && threshold != 0) {
    // Items above the threshold never enter RAM; the ones below must fit it comfortably.
    if (threshold > options.l1.max_memory / 2) {
      return Status::InvalidArgument(
          "performance.large_value_threshold must be at most half of l1.max_memory");
    }
  } else if (options.max_item_size > options.l1.max_memory / 2) {
    return Status::InvalidArgument(
        "max_item_size must be at most half of l1.max_memory (without L2, or with "
        "performance.large_value_threshold 0, every item must fit in RAM)");
  }
  if (options.compression.compression_threshold < 16) {
    return Status::InvalidArgument("compression.compression_threshold must be at least 16");
  }
  if (options.compression.compression_level < 0 || options.compression.compression_level > 12) {
    return Status::InvalidArgument("compression.compression_level must be between 0 and 12");
  }
  if (!IsValidLogLevel(options.logging.level)) {
    return Status::InvalidArgument("logging.level: unknown level '" + options.logging.level + "'");
  }
  const uint32_t stripes = options.performance.lock_stripes;
  if (stripes != 0 && ((stripes & (stripes - 1)) != 0 || stripes > 65536)) {
    return Status::InvalidArgument("performance.lock_stripes must be 0 or a power of two up to 65536");
  }
  // Each stripe's empty hash table counts against the memory limit; keep that small.
  if (uint64_t{stripes} * 16 * sizeof(uint64_t) * 8 > options.l1.max_memory) {
    return Status::InvalidArgument("performance.lock_stripes: " + std::to_string(stripes) +
                                   " stripes are too many for l1.max_memory");
  }
  if (options.performance.worker_threads == 0 || options.performance.worker_threads > 1024) {
    return Status::InvalidArgument("performance.worker_threads must be between 1 and 1024");
  }
  return Status::Ok();
}

bool IsValidKey(std::string_view key) { return !key.empty() && key.size() <= kMaxKeyLength; }

Result<std::unique_ptr<Cache>> CacheBuilder::Build() const {
  Status valid = ValidateOptions(options_);
  if (!valid.ok()) return valid;
  if (configure_logging_) {
    Status configured = ConfigureLogging(options_.logging);
    if (!configured.ok()) return configured;
  }
  Result<std::unique_ptr<tiered::TieredCache>> cache = tiered::TieredCache::Open(options_);
  if (!cache.ok()) return cache.status();
  return std::unique_ptr<Cache>(std::move(cache).value());
}

}  // namespace ratmemcache
