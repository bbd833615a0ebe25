#include <algorithm>
#include <cctype>
#include <string>

#include "ratmemcache/options.h"

namespace ratmemcache {

std::string_view EvictionStrategyName(EvictionStrategy strategy) {
  switch (strategy) {
    case EvictionStrategy::kLru: return "lru";
    case EvictionStrategy::kFifo: return "fifo";
    case EvictionStrategy::kSieve: return "sieve";
    case EvictionStrategy::kS3Fifo: return "s3fifo";
    case EvictionStrategy::kLfu: return "lfu";
    case EvictionStrategy::kHybrid: return "hybrid";
    case EvictionStrategy::kTtl: return "ttl";
  }
  return "unknown";
}

std::optional<EvictionStrategy> ParseEvictionStrategy(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "lru") return EvictionStrategy::kLru;
  if (lower == "fifo") return EvictionStrategy::kFifo;
  if (lower == "sieve") return EvictionStrategy::kSieve;
  if (lower == "s3fifo" || lower == "s3-fifo" || lower == "s3_fifo") return EvictionStrategy::kS3Fifo;
  if (lower == "lfu") return EvictionStrategy::kLfu;
  if (lower == "hybrid" || lower == "lrulfu" || lower == "lru_lfu") return EvictionStrategy::kHybrid;
  if (lower == "ttl" || lower == "ttlbased" || lower == "ttl_based") return EvictionStrategy::kTtl;
  return std::nullopt;
}

BuildFeatures CompiledFeatures() {
  return BuildFeatures{.persistent_tier = RMC_HAVE_ROCKSDB != 0, .lz4 = RMC_HAVE_LZ4 != 0};
}

std::string_view EvictionStrategyNames() {
  return "lru, lfu, fifo, hybrid (LruLfu), ttl (TtlBased), s3fifo, sieve";
}

}  // namespace ratmemcache
