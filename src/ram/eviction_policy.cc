#include "ram/eviction_policy.h"

#include "ram/lru_policy.h"

namespace ratmemcache::ram {

std::unique_ptr<EvictionPolicy> MakeEvictionPolicy(EvictionStrategy strategy) {
  switch (strategy) {
    case EvictionStrategy::kLru:
      return std::make_unique<LruPolicy>();
  }
  return std::make_unique<LruPolicy>();
}

}  // namespace ratmemcache::ram
