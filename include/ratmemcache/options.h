#pragma once

// Options of a RatMemCache cache, grouped like the sections of the TOML configuration
// ([l1], [ttl], [performance], [logging]). Every field states its default. Plain values:
// copy them freely. CacheBuilder::Build() validates them and names the offending field.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ratmemcache {

// Which item the RAM tier gives up first when it is full.
enum class EvictionStrategy : uint8_t {
  kLru,     // least recently used (exact, per lock stripe)
  kFifo,    // first in, first out: hits change nothing
  kSieve,   // SIEVE (NSDI'24): FIFO with a visited bit and a sweeping hand
  kS3Fifo,  // S3-FIFO (SOSP'23): small, main and ghost FIFO queues
  kLfu,     // least frequently used (log-scale hit counts, aged)
  kHybrid,  // the seed's LruLfu: segmented LRU (probation, then protected after a hit)
  kTtl,     // the seed's TtlBased: expired items first, then LRU
};

// The strategy's canonical name: "lru", "fifo", "sieve", "s3fifo", "lfu", "hybrid", "ttl".
std::string_view EvictionStrategyName(EvictionStrategy strategy);
// Parses a strategy name, case-insensitively ("lru", "Lru", "S3FIFO"; also "s3-fifo", and
// the seed's "LruLfu" for hybrid and "TtlBased" for ttl); nullopt when unknown.
std::optional<EvictionStrategy> ParseEvictionStrategy(std::string_view name);
// The valid names, for error messages.
std::string_view EvictionStrategyNames();

// What this build contains: the CMake options RMC_WITH_ROCKSDB and RMC_WITH_LZ4 (both on
// by default, off for the Windows build, whose toolchain Debian ships no RocksDB or LZ4
// for). Options asking for a missing part are refused by CacheBuilder::Build.
struct BuildFeatures {
  bool persistent_tier;  // L2 on RocksDB
  bool lz4;              // [compression] enable_lz4
};
BuildFeatures CompiledFeatures();

// The RAM tier (L1).
struct L1Options {
  // Upper bound on the RAM the tier uses, in bytes, counted as real allocated bytes: item
  // headers, keys, values, allocator rounding and the hash tables. Default 64 MiB
  // (memcached's -m default). Minimum 1 MiB.
  uint64_t max_memory = 64ull << 20;
  // Upper bound on the number of items; 0 (the default) means no bound beyond max_memory.
  uint64_t max_entries = 0;
  // Default kS3Fifo: the lowest miss ratio on every workload measured, hits that only
  // bump a counter under a shared lock (docs/eviction.md, "The default").
  EvictionStrategy eviction_strategy = EvictionStrategy::kS3Fifo;
};

// The persistent tier (L2): a RocksDB database in `data_dir` that holds what RAM cannot
// and survives restarts. (Being wired into the cache: see issue #3.)
struct L2Options {
  // Off by default in the library.
  bool enable_l2_cache = false;
  // Where the database lives. Default "./rat_memcache_data".
  std::string data_dir = "./rat_memcache_data";
  // Start empty, deleting what an earlier run left. Default false.
  bool clear_on_startup = false;
  // Upper bound on L2's size on disk (value-log files, SST files and memtables), in bytes;
  // when it is exceeded, the value log's oldest files are collected (live values moved,
  // or the oldest dropped) and then the oldest writes are dropped. Default 1 GiB;
  // minimum 1 MiB.
  uint64_t max_disk_size = 1ull << 30;
  // RocksDB memtable size, bytes. Default 64 MiB.
  uint64_t write_buffer_size = 64ull << 20;
  // RocksDB memtables kept before writes stall. Default 3; at least 2.
  uint32_t max_write_buffer_number = 3;
  // RocksDB block cache for table blocks (keys, small values, indexes), bytes; values in
  // the value log are not cached there (the RAM tier caches hot values). Default 32 MiB;
  // 0 disables it.
  uint64_t block_cache_size = 32ull << 20;
  // Compress L2: RocksDB's table blocks, and each value-log value when that saves space.
  // Default true.
  bool enable_compression = true;
  // "lz4" (default) or "zstd".
  std::string compression = "lz4";
  // 0 (default): the algorithm's default. lz4: 1..12 selects LZ4HC at that level
  // (smaller, slower to write); zstd: 1..19.
  int32_t compression_level = 0;
  // Values of at least this many bytes go to the value log: append-only files beside
  // RocksDB, which keeps only their metadata and a pointer, so a large value is written
  // once instead of through RocksDB's log, memtable, flush and compactions
  // (docs/tiers.md). Default 512; 0 keeps every value in RocksDB's sorted tables.
  uint64_t blob_min_size = 512;
  // Read RocksDB's table files and the value log's files through memory maps: an L2 read
  // makes no system call and no kernel copy (measured: about 10% less CPU per L2 read
  // from tables, 9% from the value log). The cost: a media error on a mapped page
  // (EIO from a failing disk) raises SIGBUS and stops the server, where a read() would
  // fail one lookup; and mapped pages count toward the process's RSS as file pages,
  // which the OOM killer also counts. Default true; false reads with pread.
  bool mmap_reads = true;
  // RocksDB background threads for flushes and compactions. Default 2.
  uint32_t background_threads = 2;
  // fsync every write batch (no write is lost on power failure; slower). Default false:
  // the operating system writes in its own time, and a crash of the process loses nothing.
  bool sync_writes = false;
  // Longest time, in milliseconds, a change waits in RAM before it is written to L2: what
  // a kill -9 can lose. Default 100; 1 to 60000.
  uint32_t write_behind_interval_ms = 100;
};

// Expiry.
struct TtlOptions {
  // Seconds to live for items stored without an expiry (exptime 0); 0 (the default)
  // means such items never expire, as in memcached.
  uint32_t default_ttl = 0;
  // Upper bound on any item's time to live, in seconds; 0 (the default) means no bound.
  uint32_t max_ttl = 0;
  // Seconds between background sweeps that reclaim expired items nobody asks for;
  // expired items are also dropped lazily whenever they are looked up. 0 turns the sweep
  // off. Default 60.
  uint32_t cleanup_interval = 60;
};

// Which small items that a get (text get/gets, binary get) reads from L2 are copied back
// into RAM.
enum class L2Promotion {
  // On its second L2 read soon after the first: a table of l1.max_memory / 1024 key
  // fingerprints (at least 1024 slots, at most 4M) remembers the first, and after k other
  // L2 reads it still does with probability about e^(-k/slots). Hot keys come back; a
  // scan or a uniformly read working set larger than RAM does not churn RAM (memcached's
  // extstore likewise recaches only one read in ext_recache_rate).
  kSecondRead,
  // On every L2 read: each one then evicts something from a full RAM tier.
  kAlways,
};

// Throughput knobs.
struct PerformanceOptions {
  // Threads that serve connections in the server (memcached's -t). Default 4. Unused by
  // the library, whose callers bring their own threads.
  uint32_t worker_threads = 4;
  // Number of lock stripes in the RAM tier, a power of two; 0 (the default) picks one
  // from the hardware concurrency. More stripes mean less contention and slightly less
  // precise eviction order (each stripe keeps its own order).
  uint32_t lock_stripes = 0;
  // With L2 on, values longer than this many bytes go straight to L2 and never occupy RAM
  // (reads of them are served from L2 each time); 0 keeps every value in RAM first.
  // Default 10240 (10 KiB), as the seed. Ignored without L2.
  uint64_t large_value_threshold = 10240;
  // With L2 on, when a get brings a small item from L2 into RAM (see L2Promotion). gat,
  // touch, incr/decr and the meta commands always bring the item in (they change it in
  // RAM under its lock); cas, add, append and prepend store the new version without it.
  L2Promotion l2_promotion = L2Promotion::kSecondRead;
};

// LZ4 compression of values held in RAM. Reads get the original bytes back (a
// decompressed copy). Values that go to L2 only (see large_value_threshold) are not
// compressed here: RocksDB compresses its blocks itself, never both on the same bytes.
struct CompressionOptions {
  // Compress values in RAM. Default false: compression costs CPU on every store and a copy
  // on every read of a compressed value.
  bool enable_lz4 = false;
  // Values longer than this many bytes are compressed, and kept so only when that saves
  // space. At least 16. Default 1024.
  uint32_t compression_threshold = 1024;
  // 0 = LZ4's fast mode; 1 to 12 = LZ4HC at that level (smaller, much slower to store).
  // Default 0.
  int32_t compression_level = 0;
};

// Logging through spdlog.
struct LoggingOptions {
  // false turns every log line off.
  bool enable_logging = true;
  // trace, debug, info, warn, error or off. Default "info".
  std::string level = "info";
  // Colour the level names when writing to a terminal. Default true.
  bool enable_colors = true;
  // Prefix each line with a timestamp. Default true.
  bool show_timestamp = true;
  // Hand lines to a background thread instead of writing them on the calling thread.
  // Faster; lines still queued are lost if the process crashes. Default false.
  bool enable_async = false;
  // Lines the async queue holds before callers block (async mode only). Default 8192.
  uint32_t buffer_size = 8192;
  // Milliseconds between flushes of written lines to the sink (async mode only; rounded
  // up to whole seconds). Default 1000.
  uint32_t batch_interval_ms = 1000;
  // Append log lines to this file instead of stderr ("" = stderr). The server reopens it
  // on SIGHUP, for log rotation. Default "".
  std::string file;
};

// Everything a cache is built from.
struct CacheOptions {
  L1Options l1;
  L2Options l2;
  TtlOptions ttl;
  PerformanceOptions performance;
  CompressionOptions compression;
  LoggingOptions logging;
  // Largest item accepted (key + value + per-item overhead, as memcached's -I counts it),
  // in bytes. Default 1 MiB; minimum 1 KiB; at most 1 GiB. Without L2 (or with
  // large_value_threshold 0) at most half of l1.max_memory, as in memcached; with L2, items
  // above the threshold live in L2 only, so only the threshold is bound to RAM.
  uint64_t max_item_size = 1ull << 20;
};

}  // namespace ratmemcache
