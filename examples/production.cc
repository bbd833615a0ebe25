// The seed's production setup, in C++: every option group set the way a production cache
// would set it (RAM and disk limits, expiry, RocksDB and in-RAM compression, asynchronous
// logging), then several threads doing mixed work on one shared cache, and the counters.
//
// The sizes are scaled down so that the example runs in seconds in a temporary folder; the
// comments give the seed's production figures. Each thread checks every reply against what
// it wrote itself, and all of them increment one shared counter; the example exits non-zero
// if a single reply or the final count is wrong.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ratmemcache/cache.h"

namespace {

using namespace ratmemcache;

constexpr int kThreads = 4;
constexpr int kOpsPerThread = 25'000;
constexpr int kKeysPerThread = 4'000;

// A fresh folder under the system's temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    const auto base = std::filesystem::temp_directory_path();
    do {
      path_ = base / ("rmc_production_" + std::to_string(random()));
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

CacheOptions ProductionOptions(const std::filesystem::path& dir) {
  CacheOptions options;
  // RAM: the seed uses 4 GiB and 2,000,000 entries.
  options.l1 = L1Options{.max_memory = 8ull << 20,
                         .max_entries = 2'000'000,
                         .eviction_strategy = EvictionStrategy::kLru};
  // Disk: the seed uses 50 GiB and 4 background threads.
  options.l2 = L2Options{.enable_l2_cache = true,
                         .data_dir = (dir / "l2").string(),
                         .clear_on_startup = false,
                         .max_disk_size = 1ull << 30,
                         .write_buffer_size = 16ull << 20,
                         .max_write_buffer_number = 3,
                         .block_cache_size = 16ull << 20,
                         .enable_compression = true,
                         .compression = "lz4",
                         .compression_level = 0,
                         .background_threads = 2,
                         .sync_writes = false,  // a process crash loses nothing; power loss may
                         .write_behind_interval_ms = 100};
  // Items live an hour unless told otherwise, a day at most; sweep every 5 minutes.
  options.ttl = TtlOptions{.default_ttl = 3600, .max_ttl = 86400, .cleanup_interval = 300};
  // Lock stripes from the hardware; values over 10 KiB go straight to disk.
  options.performance = PerformanceOptions{.lock_stripes = 0, .large_value_threshold = 10240};
  // Values over 1 KiB are kept LZ4-compressed in RAM when that saves space.
  options.compression = CompressionOptions{
      .enable_lz4 = true, .compression_threshold = 1024, .compression_level = 0};
  // Warnings and errors only, written by a background thread.
  options.logging = LoggingOptions{.enable_logging = true,
                                   .level = "warn",
                                   .enable_colors = true,
                                   .show_timestamp = true,
                                   .enable_async = true,
                                   .buffer_size = 8192,
                                   .batch_interval_ms = 1000,
                                   .file = ""};  // stderr
  options.max_item_size = 4ull << 20;
  return options;
}

std::string Key(int thread, int k) {
  return "user:" + std::to_string(thread) + ":" + std::to_string(k);
}

// The value of version `version` of a key: its identity, then either text that compresses
// well or letters that do not. One in fifty versions is large (16 to 64 KiB).
std::string Value(int thread, int k, uint32_t version) {
  uint64_t x = (static_cast<uint64_t>(thread) << 48) ^ (static_cast<uint64_t>(k) << 20) ^ version;
  x = x * 0x9e3779b97f4a7c15ull + 1;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const size_t size = next() % 50 == 0 ? (16 << 10) + next() % (48 << 10) : 64 + next() % 4000;
  std::string value = std::to_string(thread) + ":" + std::to_string(k) + ":" +
                      std::to_string(version) + ":";
  const bool text = next() % 2 == 0;
  while (value.size() < size) {
    if (text) {
      value += "the quick brown fox jumps over the lazy dog; ";
    } else {
      value += static_cast<char>('a' + next() % 26);
    }
  }
  value.resize(size);
  return value;
}

struct ThreadResult {
  uint64_t gets = 0, sets = 0, deletes = 0, increments = 0;
  uint64_t shared_increments = 0;
  uint64_t wrong = 0;
};

void Complain(ThreadResult& result, const std::string& what) {
  if (result.wrong++ < 10) std::fprintf(stderr, "wrong: %s\n", what.c_str());
}

// Mixed work on the thread's own keys (so it knows every right answer) and on one counter
// shared by all threads: 60% gets, 25% sets, 5% deletes, 5% increments of the thread's own
// counter, 5% increments of the shared one.
ThreadResult Work(Cache& cache, int thread) {
  ThreadResult result;
  std::vector<uint32_t> version(kKeysPerThread, 0);  // 0: absent
  const std::string own_counter = "counter:" + std::to_string(thread);
  uint64_t own_count = 0;
  if (!cache.Set(own_counter, "0").ok()) Complain(result, own_counter + ": set");
  std::mt19937_64 random(thread + 1);
  auto check = [&](int k) {
    Result<ItemHandle> got = cache.Get(Key(thread, k));
    if (version[k] == 0) {
      if (got.code() != StatusCode::kNotFound) Complain(result, Key(thread, k) + ": not deleted");
    } else if (!got.ok()) {
      Complain(result, Key(thread, k) + ": " + got.status().ToString());
    } else if (got->value() != Value(thread, k, version[k]) || got->flags() != version[k]) {
      Complain(result, Key(thread, k) + ": wrong value or flags");
    }
  };

  for (int op = 0; op < kOpsPerThread; ++op) {
    const int k = static_cast<int>(random() % kKeysPerThread);
    const int dice = static_cast<int>(random() % 100);
    if (dice < 60) {
      ++result.gets;
      check(k);
    } else if (dice < 85) {
      ++result.sets;
      const uint32_t next = version[k] + 1;
      // Every fourth store has its own TTL of 10 minutes; the others get the default hour.
      const WriteOptions write{.flags = next, .exptime = op % 4 == 0 ? 600 : 0};
      Result<uint64_t> stored = cache.Set(Key(thread, k), Value(thread, k, next), write);
      if (stored.ok()) {
        version[k] = next;
      } else {
        Complain(result, Key(thread, k) + ": set: " + stored.status().ToString());
      }
    } else if (dice < 90) {
      ++result.deletes;
      Status deleted = cache.Delete(Key(thread, k));
      const StatusCode expected = version[k] == 0 ? StatusCode::kNotFound : StatusCode::kOk;
      if (deleted.code() != expected) {
        Complain(result, Key(thread, k) + ": delete: " + deleted.ToString());
      }
      version[k] = 0;
    } else if (dice < 95) {
      ++result.increments;
      Result<uint64_t> now = cache.Increment(own_counter, 1);
      if (!now.ok() || *now != ++own_count) Complain(result, own_counter + ": increment");
    } else {
      ++result.shared_increments;
      Result<uint64_t> now = cache.Increment("counter:shared", 1);
      if (!now.ok()) Complain(result, "counter:shared: " + now.status().ToString());
    }
  }
  // At the end every key must read back as this thread left it.
  for (int k = 0; k < kKeysPerThread; ++k) check(k);
  return result;
}

void PrintStats(Cache& cache) {
  const CacheStats s = cache.Stats();
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("RAM:  %llu items, %llu of %llu bytes, %llu evictions, %llu stripes\n",
              u(s.curr_items), u(s.bytes), u(s.limit_maxbytes), u(s.evictions),
              u(s.lock_stripes));
  std::printf("RAM lookups: %llu hits, %llu misses (then looked up in L2)\n", u(s.get_hits),
              u(s.get_misses));
  std::printf("L2:   ~%llu items, %llu bytes, %llu gets, %llu hits, %llu promotions (from L2 or "
              "the write-behind queue), %llu demotions, %llu writes, %llu large values stored "
              "directly, %llu errors\n",
              u(s.l2_items), u(s.l2_bytes), u(s.l2_gets), u(s.l2_hits), u(s.l2_promotions),
              u(s.l2_demotions), u(s.l2_writes), u(s.l2_direct_stores), u(s.l2_errors));
  std::printf("LZ4:  %llu values compressed in RAM, %llu bytes saved\n",
              u(s.compressed_stores), u(s.compression_saved_bytes));
}

int Check(bool ok, const char* what) {
  if (!ok) std::fprintf(stderr, "FAILED: %s\n", what);
  return ok ? 0 : 1;
}

int Run(const std::filesystem::path& dir) {
  const CacheOptions options = ProductionOptions(dir);
  // options() sets everything; logging() also makes Build() configure the library's logger.
  Result<std::unique_ptr<Cache>> built =
      CacheBuilder().options(options).logging(options.logging).Build();
  if (!built.ok()) {
    std::fprintf(stderr, "cannot build the cache: %s\n", built.status().ToString().c_str());
    return 1;
  }
  Cache& cache = **built;
  if (!cache.Set("counter:shared", "0").ok()) return 1;

  const auto start = std::chrono::steady_clock::now();
  std::vector<ThreadResult> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&cache, &results, t] { results[t] = Work(cache, t); });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  ThreadResult total;
  for (const ThreadResult& r : results) {
    total.gets += r.gets;
    total.sets += r.sets;
    total.deletes += r.deletes;
    total.increments += r.increments;
    total.shared_increments += r.shared_increments;
    total.wrong += r.wrong;
  }
  const uint64_t ops = total.gets + total.sets + total.deletes + total.increments +
                       total.shared_increments;
  std::printf("%d threads: %llu operations in %.2f s (%.0f ops/s): %llu gets, %llu sets, "
              "%llu deletes, %llu increments (%llu of the shared counter)\n",
              kThreads, static_cast<unsigned long long>(ops), seconds, ops / seconds,
              static_cast<unsigned long long>(total.gets),
              static_cast<unsigned long long>(total.sets),
              static_cast<unsigned long long>(total.deletes),
              static_cast<unsigned long long>(total.increments + total.shared_increments),
              static_cast<unsigned long long>(total.shared_increments));
  PrintStats(cache);

  int failures = 0;
  failures += Check(total.wrong == 0, "every reply was the expected one");
  {
    Result<ItemHandle> shared = cache.Get("counter:shared");
    failures += Check(shared.ok() && shared->value() == std::to_string(total.shared_increments),
                      "the shared counter counted every increment of every thread");
  }
  const CacheStats s = cache.Stats();
  // (Demotions, items evicted before the write-behind thread wrote them, depend on how
  // fast the disk keeps up, so they are reported above but not required.)
  failures += Check(s.evictions > 0 && s.l2_promotions > 0, "RAM overflowed into L2 and items came back");
  failures += Check(s.l2_direct_stores > 0, "large values went straight to L2");
  failures += Check(s.compressed_stores > 0, "values were compressed in RAM");
  failures += Check(s.l2_errors == 0, "no L2 errors");
  failures += Check(cache.Shutdown().ok(), "shutdown writes everything to L2");
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
  std::printf("all checks passed\n");
  return 0;
}
