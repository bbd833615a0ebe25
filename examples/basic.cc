// The seed's quick start, in C++: build a cache with the defaults, store, read, expire,
// list, delete, shut down.

#include <cstdio>
#include <string>

#include "ratmemcache/cache.h"

int main() {
  using namespace ratmemcache;

  // A cache with the default options (64 MiB of RAM, S3-FIFO eviction).
  Result<std::unique_ptr<Cache>> built = CacheBuilder().Build();
  if (!built.ok()) {
    std::fprintf(stderr, "cannot build the cache: %s\n", built.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<Cache> cache = std::move(built).value();

  // Store and read back.
  if (!cache->Set("my_key", "my_value").ok()) return 1;
  if (Result<ItemHandle> got = cache->Get("my_key"); got.ok()) {
    std::printf("value: %.*s\n", static_cast<int>(got->value().size()), got->value().data());
  }

  // A value that expires after 60 seconds.
  if (!cache->SetWithTtl("temp_key", "temp_value", 60).ok()) return 1;
  std::printf("temp_key exists: %s\n", cache->Contains("temp_key") ? "yes" : "no");

  // The keys in the cache.
  for (const std::string& key : cache->Keys()) std::printf("key: %s\n", key.c_str());

  // Delete.
  std::printf("deleted: %s\n", cache->Delete("temp_key").ok() ? "yes" : "no");

  // Counters, compare-and-swap.
  if (!cache->Set("counter", "41").ok()) return 1;
  std::printf("counter: %llu\n",
              static_cast<unsigned long long>(cache->Increment("counter", 1).value()));
  Result<ItemHandle> current = cache->Get("counter");
  Result<uint64_t> swapped = cache->CompareAndSwap("counter", "100", current->cas());
  std::printf("cas: %s\n", swapped.ok() ? "stored" : swapped.status().ToString().c_str());

  // Graceful shutdown.
  return cache->Shutdown().ok() ? 0 : 1;
}
