// The seed's dual-layer cache (RAM + persistence), in C++: a small RAM tier (L1) in front
// of RocksDB (L2) in a temporary folder. It stores four times what RAM holds, reads
// everything back (the items RAM gave up come back from L2), reads a few of them again (a
// second read soon after brings an item back into RAM), shuts down, opens the same folder
// again and reads everything once more: the data survived.
//
// Exits non-zero if any value, flag or counter is not what it should be.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "ratmemcache/cache.h"

namespace {

using namespace ratmemcache;

constexpr int kItems = 4000;
constexpr size_t kValueSize = 1000;  // kItems x kValueSize = 4 MB against 1 MiB of RAM

// A fresh folder under the system's temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    const auto base = std::filesystem::temp_directory_path();
    do {
      path_ = base / ("rmc_dual_layer_" + std::to_string(random()));
    } while (!std::filesystem::create_directory(path_));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string Key(int i) { return "item:" + std::to_string(i); }

// Different bytes for every key, so a mix-up cannot go unnoticed.
std::string Value(int i) {
  std::string value(kValueSize, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(i + 1);
  for (char& c : value) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>('a' + x % 26);
  }
  return value;
}

uint32_t Flags(int i) { return static_cast<uint32_t>(i) * 7; }

Result<std::unique_ptr<Cache>> Open(const std::filesystem::path& dir) {
  return CacheBuilder()
      .l1(L1Options{.max_memory = 1ull << 20})  // 1 MiB, the smallest RAM tier
      .l2(L2Options{.enable_l2_cache = true,
                    .data_dir = (dir / "l2").string(),
                    .clear_on_startup = false,  // keep what an earlier run stored
                    .max_disk_size = 256ull << 20,
                    .write_buffer_size = 4ull << 20,
                    .block_cache_size = 8ull << 20})
      .ttl(TtlOptions{.default_ttl = 3600})  // items without an expiry live an hour
      .Build();
}

void PrintStats(const char* when, Cache& cache) {
  const CacheStats s = cache.Stats();
  std::printf(
      "%s:\n"
      "  RAM: %llu items, %llu bytes of %llu, %llu evictions\n"
      "  L2:  ~%llu items, %llu gets, %llu hits, %llu promotions, %llu demotions, %llu writes\n",
      when, static_cast<unsigned long long>(s.curr_items),
      static_cast<unsigned long long>(s.bytes), static_cast<unsigned long long>(s.limit_maxbytes),
      static_cast<unsigned long long>(s.evictions), static_cast<unsigned long long>(s.l2_items),
      static_cast<unsigned long long>(s.l2_gets), static_cast<unsigned long long>(s.l2_hits),
      static_cast<unsigned long long>(s.l2_promotions),
      static_cast<unsigned long long>(s.l2_demotions),
      static_cast<unsigned long long>(s.l2_writes));
}

// Reads every item back and checks its bytes and flags. Returns the number of wrong ones.
int ReadAll(Cache& cache) {
  int wrong = 0;
  for (int i = 0; i < kItems; ++i) {
    Result<ItemHandle> got = cache.Get(Key(i));
    if (!got.ok()) {
      std::fprintf(stderr, "%s: %s\n", Key(i).c_str(), got.status().ToString().c_str());
      ++wrong;
    } else if (got->value() != Value(i) || got->flags() != Flags(i)) {
      std::fprintf(stderr, "%s: wrong value or flags\n", Key(i).c_str());
      ++wrong;
    }
  }
  return wrong;
}

// Waits (up to 10 s) until every queued change has reached L2.
bool WaitForWriteBehind(Cache& cache) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (cache.Stats().l2_write_behind_items != 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

int Check(bool ok, const char* what) {
  if (!ok) std::fprintf(stderr, "FAILED: %s\n", what);
  return ok ? 0 : 1;
}

int Run(const std::filesystem::path& dir) {
  int failures = 0;
  {
    Result<std::unique_ptr<Cache>> built = Open(dir);
    if (!built.ok()) {
      std::fprintf(stderr, "cannot build the cache: %s\n", built.status().ToString().c_str());
      return 1;
    }
    Cache& cache = **built;

    // 1. Store four times what RAM holds: RAM keeps the most recent items, L2 all of them.
    for (int i = 0; i < kItems; ++i) {
      Result<uint64_t> stored = cache.Set(Key(i), Value(i), WriteOptions{.flags = Flags(i)});
      if (!stored.ok()) {
        std::fprintf(stderr, "set %s: %s\n", Key(i).c_str(), stored.status().ToString().c_str());
        return 1;
      }
    }
    failures += Check(WaitForWriteBehind(cache), "the write-behind queue drains");
    PrintStats("after storing 4000 items of 1000 bytes", cache);
    const CacheStats stored = cache.Stats();
    failures += Check(stored.curr_items < kItems, "RAM holds only part of the items");
    failures += Check(stored.evictions > 0, "RAM evicted items to stay within 1 MiB");
    failures += Check(stored.bytes <= stored.limit_maxbytes, "RAM stays within its limit");

    // 2. Read everything: what RAM gave up is read through from L2. A single read leaves
    //    RAM as it is (PerformanceOptions::l2_promotion); a second read soon after brings
    //    the item back into RAM, so the third is served from there (unless the RAM tier's
    //    eviction policy has already let it go again).
    failures += Check(ReadAll(cache) == 0, "every item reads back before the restart");
    PrintStats("after reading every item", cache);
    const CacheStats read = cache.Stats();
    failures += Check(read.l2_hits >= kItems - stored.curr_items, "the evicted items came from L2");
    for (int round = 0; round < 2; ++round) {
      for (int i = 0; i < 50; ++i) failures += Check(cache.Get(Key(i)).ok(), "a hot item reads back");
    }
    const CacheStats hot = cache.Stats();
    failures += Check(hot.l2_promotions > read.l2_promotions, "items read again soon were promoted into RAM");
    for (int i = 0; i < 50; ++i) failures += Check(cache.Get(Key(i)).ok(), "a hot item reads back");
    failures += Check(cache.Stats().l2_gets < hot.l2_gets + 50, "promoted items are served from RAM");

    // 3. Shut down: whatever is still only in RAM is written to L2 first.
    Status stopped = cache.Shutdown();
    failures += Check(stopped.ok(), "shutdown writes everything to L2");
  }

  // 4. Open the same folder again: RAM starts empty, L2 still has every item.
  Result<std::unique_ptr<Cache>> reopened = Open(dir);
  if (!reopened.ok()) {
    std::fprintf(stderr, "cannot reopen the cache: %s\n", reopened.status().ToString().c_str());
    return 1;
  }
  Cache& cache = **reopened;
  failures += Check(cache.Size() == 0, "RAM starts empty after the restart");
  failures += Check(ReadAll(cache) == 0, "every item reads back after the restart");
  PrintStats("after the restart, reading every item", cache);
  failures += Check(cache.Stats().l2_hits == kItems, "every item came from L2 after the restart");
  failures += Check(cache.Shutdown().ok(), "second shutdown");
  return failures;
}

}  // namespace

int main() {
  TempDir dir;
  std::printf("data folder: %s\n", dir.path().c_str());
  const int failures = Run(dir.path());
  if (failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("all %d items survived eviction and a restart\n", kItems);
  return 0;
}
