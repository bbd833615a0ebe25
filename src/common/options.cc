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
  return std::nullopt;
}

std::string_view EvictionStrategyNames() { return "lru, fifo, sieve, s3fifo"; }

}  // namespace ratmemcache
