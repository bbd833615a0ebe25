#pragma once

// How L2 lays out keys and values in RocksDB. Data keys are "d" + the cache key, the
// cache's own bookkeeping lives under "m" + a name. A data value is a 29-byte header
// (format version, flags, expiry, store time, CAS; little-endian) followed by either the
// item's bytes (version 1) or, for a value kept in the value log, a 20-byte pointer to it
// (version 2: file number, offset, record size). Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "disk/disk_tier.h"

namespace ratmemcache::disk {

inline constexpr char kDataPrefix = 'd';
inline constexpr char kMetaPrefix = 'm';
inline constexpr size_t kRecordHeaderSize = 1 + 4 + 8 + 8 + 8;

inline constexpr size_t kPointerSize = 8 + 8 + 4;

// Where a value-log record lies: file number, byte offset, size of the whole record.
struct ValuePointer {
  uint64_t file = 0;
  uint64_t offset = 0;
  uint32_t size = 0;
  bool operator==(const ValuePointer&) const = default;
};

std::string DataKey(std::string_view key);
std::string MetaKey(std::string_view name);

// Writes a record's header (kRecordHeaderSize bytes) to `out`; the value follows it.
void EncodeRecordHeader(const RecordMeta& meta, char* out);
// Writes the header and pointer of a record whose value is in the value log
// (kRecordHeaderSize + kPointerSize bytes) to `out`.
void EncodePointerRecord(const RecordMeta& meta, const ValuePointer& pointer, char* out);
// Appends the encoded record to `out` (cleared first).
void EncodeRecord(const RecordMeta& meta, std::string_view value, std::string* out);

struct DecodedRecord {
  RecordMeta meta;
  std::string_view value;  // points into the encoded bytes; empty for a pointer record
  std::optional<ValuePointer> pointer;  // set when the value is in the value log
};
// nullopt for bytes that are not a record of a known format (damaged or foreign data).
std::optional<DecodedRecord> DecodeRecord(std::string_view encoded);

// The liveness rules shared by lookups and the compaction filter.
struct Visibility {
  int64_t flush_deadline = 0;      // unix seconds; 0 = none
  uint64_t eviction_watermark = 0; // records with a lower CAS were evicted for size
  uint64_t flush_cas = 0;          // records with a lower CAS were flushed
};
// True when a record is gone at `now` (unix seconds): expired, flushed or evicted.
bool IsGone(const RecordMeta& meta, int64_t now, const Visibility& visibility);

}  // namespace ratmemcache::disk
