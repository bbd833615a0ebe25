#include "ram/eviction_policy.h"

#include "ram/fifo_policies.h"
#include "ram/frequency_policies.h"
#include "ram/lru_policy.h"
#include "ram/s3fifo_policy.h"

namespace ratmemcache::ram {

std::unique_ptr<EvictionPolicy> MakeEvictionPolicy(EvictionStrategy strategy) {
  switch (strategy) {
    case EvictionStrategy::kLru:
      return std::make_unique<LruPolicy>();
    case EvictionStrategy::kFifo:
      return std::make_unique<FifoPolicy>();
    case EvictionStrategy::kSieve:
      return std::make_unique<SievePolicy>();
    case EvictionStrategy::kS3Fifo:
      return std::make_unique<S3FifoPolicy>();
    case EvictionStrategy::kLfu:
      return std::make_unique<LfuPolicy>();
    case EvictionStrategy::kHybrid:
      return std::make_unique<HybridPolicy>();
    case EvictionStrategy::kTtl:
      return std::make_unique<TtlPolicy>();
  }
  return std::make_unique<LruPolicy>();
}

}  // namespace ratmemcache::ram
