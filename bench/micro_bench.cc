// Micro-benchmarks of the request hot path's units: the text parser and the cache.
//   build/bench/rmc_micro_bench [--benchmark_filter=...]

#include <benchmark/benchmark.h>

#include <string>

#include "common/expiry_clock.h"
#include "common/hash.h"
#include "protocol/text_parser.h"
#include "ram/ram_tier.h"
#include "ratmemcache/cache.h"

namespace {

using namespace ratmemcache;

std::unique_ptr<Cache> MakeCache() {
  CacheOptions options;
  options.l1.max_memory = 512ull << 20;
  options.ttl.cleanup_interval = 0;
  return std::move(CacheBuilder().options(options).Build()).value();
}

void BM_ParseGet(benchmark::State& state) {
  const std::string line = "get key:0000012345\r\n";
  protocol::TextRequest request;
  for (auto _ : state) {
    benchmark::DoNotOptimize(protocol::ParseTextCommand(line, &request));
  }
}
BENCHMARK(BM_ParseGet);

void BM_ParseSet(benchmark::State& state) {
  const std::string line = "set key:0000012345 0 0 100\r\n";
  protocol::TextRequest request;
  for (auto _ : state) {
    benchmark::DoNotOptimize(protocol::ParseTextCommand(line, &request));
  }
}
BENCHMARK(BM_ParseSet);

void BM_CacheGetHit(benchmark::State& state) {
  static std::unique_ptr<Cache> cache;
  if (state.thread_index() == 0) {
    cache = MakeCache();
    for (int i = 0; i < 100000; ++i) cache->Set("key:" + std::to_string(i), std::string(100, 'v')).IgnoreError();
  }
  std::vector<std::string> keys;
  for (int i = 0; i < 1024; ++i) keys.push_back("key:" + std::to_string((i * 7919) % 100000));
  size_t i = 0;
  for (auto _ : state) {
    Result<ItemHandle> item = cache->Get(keys[i++ & 1023]);
    benchmark::DoNotOptimize(item);
  }
  if (state.thread_index() == 0) cache.reset();
}
BENCHMARK(BM_CacheGetHit)->Threads(1)->Threads(2);

void BM_CacheSet(benchmark::State& state) {
  static std::unique_ptr<Cache> cache;
  if (state.thread_index() == 0) cache = MakeCache();
  const std::string value(100, 'v');
  std::vector<std::string> keys;
  for (int i = 0; i < 1024; ++i) keys.push_back("key:" + std::to_string(i * 31 + state.thread_index()));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache->Set(keys[i++ & 1023], value));
  }
  if (state.thread_index() == 0) cache.reset();
}
BENCHMARK(BM_CacheSet)->Threads(1)->Threads(2);

// Get hits straight on the RAM tier under each eviction policy (arg 0: the policy's
// EvictionStrategy value), from 1 and 2 threads. "Spread" reads 1024 keys over all
// stripes; "Hot" reads 8 keys of one stripe, where readers meet on the stripe lock.
void RamGetHits(benchmark::State& state, bool hot) {
  static ExpiryClock clock;
  static std::unique_ptr<ram::RamTier> tier;
  const auto strategy = static_cast<EvictionStrategy>(state.range(0));
  std::vector<std::string> keys;
  for (int i = 0; keys.size() < (hot ? 8u : 1024u); ++i) {
    std::string key = "key:" + std::to_string(i);
    if (!hot || HashKey(key) % 64 == 0) keys.push_back(std::move(key));
  }
  if (state.thread_index() == 0) {
    ram::RamTierOptions options;
    options.max_memory = 256ull << 20;
    options.eviction = strategy;
    tier = std::make_unique<ram::RamTier>(options, &clock);
    for (const std::string& key : keys) {
      Result<WritableItem> item = tier->Allocate(key, 100, 0, 0);
      tier->Store(StoreMode::kSet, std::move(item).value(), 0).IgnoreError();
    }
  }
  state.SetLabel(std::string(EvictionStrategyName(strategy)));
  size_t i = state.thread_index() * 3;
  const size_t mask = keys.size() - 1;
  for (auto _ : state) {
    Result<ItemHandle> item = tier->Get(keys[i++ & mask]);
    benchmark::DoNotOptimize(item);
  }
  if (state.thread_index() == 0) tier.reset();
}
void BM_RamGetHitSpread(benchmark::State& state) { RamGetHits(state, false); }
void BM_RamGetHitHot(benchmark::State& state) { RamGetHits(state, true); }
BENCHMARK(BM_RamGetHitSpread)->DenseRange(0, 6)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_RamGetHitHot)->DenseRange(0, 6)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
