#pragma once

// DiskTier: what the cache needs from a persistent engine, so that another engine could
// replace RocksDB. Records are keyed by the cache key and carry the item's metadata; times
// are unix seconds so that they stay meaningful across restarts.
//
// Thread-safety: every method may be called from any thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ratmemcache/options.h"
#include "ratmemcache/status.h"

namespace ratmemcache::disk {

// An item's metadata as the disk keeps it.
struct RecordMeta {
  uint32_t flags = 0;
  int64_t expires_at = 0;  // unix seconds; 0 = never
  int64_t stored_at = 0;   // unix seconds of the store (delayed flush_all)
  uint64_t cas = 0;
};

// One change in a write batch. Views must stay valid until Write() returns.
struct DiskWrite {
  enum class Kind : uint8_t { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string_view key;
  RecordMeta meta;               // kPut
  std::string_view value;        // kPut
};

// Receives a record found by Get(): Allocate() is asked for room for the value, the engine
// copies the value there.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Room for `value_size` bytes, or nullptr to give up (Get then returns OutOfMemory).
  virtual char* Allocate(const RecordMeta& meta, size_t value_size) = 0;
};

struct DiskStats {
  uint64_t disk_bytes = 0;       // SST files + memtables
  uint64_t estimated_items = 0;
  uint64_t gets = 0;
  uint64_t hits = 0;
  uint64_t writes = 0;           // records written (puts and deletes)
  uint64_t evicted_for_size = 0; // times the size cap moved the eviction watermark
  uint64_t expired_dropped = 0;  // records dropped by compaction for expiry or flush
};

class DiskTier {
 public:
  virtual ~DiskTier() = default;

  // Applies `writes` in order, atomically. Returns: IoError.
  virtual Status Write(std::span<const DiskWrite> writes) = 0;
  // Looks `key` up. Expired, flushed and size-evicted records are not found. With
  // `memory_only`, answers only from what the engine holds in memory (no file read).
  // Returns: NotFound, IoError, OutOfMemory, WouldBlock (memory_only: a file read needed).
  virtual Status Get(std::string_view key, int64_t now_unix, RecordSink* sink,
                     bool memory_only = false) = 0;
  // flush_all now: every record with a CAS below `cas_boundary` is gone, also those
  // written later (a write already on its way when the flush came); present ones are
  // removed at once. Persistent.
  virtual Status FlushNow(uint64_t cas_boundary) = 0;
  // Delayed flush_all: records stored at or before `deadline` (unix seconds) count as gone
  // once it has come. Persistent; replaces an earlier deadline.
  virtual Status FlushAt(int64_t deadline) = 0;
  // Calls `visit` with every live key. Costs a walk of the whole database.
  virtual Status ScanKeys(int64_t now_unix, const std::function<void(std::string_view)>& visit) = 0;
  // Small persistent values for the cache's own bookkeeping (e.g. the CAS high-water mark).
  virtual Status PutMeta(std::string_view name, std::string_view value) = 0;
  // Returns: NotFound, IoError.
  virtual Result<std::string> GetMeta(std::string_view name) = 0;
  // Enforces max_disk_size now (normally done in the background). For tests.
  virtual Status EnforceSizeLimit() = 0;
  // Compacts everything, dropping expired and evicted records. For tests and maintenance.
  virtual Status CompactAll() = 0;
  virtual DiskStats Stats() = 0;
};

// Opens (creating if needed) a RocksDB tier in options.data_dir.
// Returns: InvalidArgument (bad options), IoError (cannot open; names the directory).
Result<std::unique_ptr<DiskTier>> OpenRocksDbTier(const L2Options& options);

// Checks `options` as OpenRocksDbTier does. Returns: InvalidArgument naming the option.
Status ValidateL2Options(const L2Options& options);

}  // namespace ratmemcache::disk
