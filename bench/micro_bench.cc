// Micro-benchmarks of the request hot path's units: the text parser and the cache.
//   build/bench/rmc_micro_bench [--benchmark_filter=...]

#include <benchmark/benchmark.h>

#include <string>

#include "protocol/text_parser.h"
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

}  // namespace

BENCHMARK_MAIN();
