#include <algorithm>
#include <cctype>
#include <string>

#include "ratmemcache/options.h"

namespace ratmemcache {

std::string_view EvictionStrategyName(EvictionStrategy strategy) {
  switch (strategy) {
    case EvictionStrategy::kLru: return "lru";
  }
  return "unknown";
}

std::optional<EvictionStrategy> ParseEvictionStrategy(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "lru") return EvictionStrategy::kLru;
  return std::nullopt;
}

std::string_view EvictionStrategyNames() { return "lru"; }

}  // namespace ratmemcache
