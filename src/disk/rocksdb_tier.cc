// The RocksDB engine of the persistent tier. The only file that includes RocksDB.

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/listener.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/logging.h"
#include "common/process_info.h"
#include "disk/disk_tier.h"
#include "disk/record_codec.h"
#include "disk/value_log.h"

namespace ratmemcache::disk {
namespace {

constexpr std::string_view kFlushDeadlineMeta = "flush_deadline";
constexpr std::string_view kWatermarkMeta = "eviction_watermark";
constexpr std::string_view kFlushCasMeta = "flush_cas";
// The lowest number the value log may give its next file (numbers are never reused).
constexpr std::string_view kValueLogNextMeta = "vlog_next_file";
// Marks a database as a RatMemCache persistent tier, and its layout's version. Version 2
// added records pointing into the value log; a version 1 database is read as it is.
constexpr std::string_view kFormatMeta = "format";
constexpr std::string_view kFormatVersion = "2";
constexpr std::string_view kOlderFormatVersion = "1";

// True for the names RocksDB gives its files (a database that never finished being
// created may lack CURRENT but has only these).
bool IsRocksDbFileName(const std::string& name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return name == "CURRENT" || name == "IDENTITY" || name == "LOCK" || name.rfind("LOG", 0) == 0 ||
         name.rfind("MANIFEST-", 0) == 0 || name.rfind("OPTIONS-", 0) == 0 || ends_with(".log") ||
         ends_with(".sst") || ends_with(".blob") || ends_with(".dbtmp") || ValueLog::IsLogFileName(name);
}

// A data directory must be new, empty or a database: never create a database among
// someone else's files.
Status CheckDataDirectory(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return Status::Ok();
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::InvalidArgument("l2.data_dir " + dir + " is not a directory");
  }
  std::filesystem::directory_iterator it(dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // lost+found and hidden files: the root of a file system of its own, NFS leftovers.
    if (name == "lost+found" || name.front() == '.') continue;
    if (!IsRocksDbFileName(name)) {
      return Status::InvalidArgument("l2.data_dir " + dir + " holds files that are not a persistent tier ('" +
                                     name + "'): give a new or empty directory");
    }
  }
  if (ec) return Status::IoError("l2.data_dir " + dir + ": " + ec.message());
  return Status::Ok();
}

// What a failed open means for the operator.
Status OpenFailure(const std::string& dir, const rocksdb::Status& status) {
  const std::string text = status.ToString();
  if (status.IsIOError() && text.find("While lock file") != std::string::npos) {
    return Status::InvalidArgument("l2.data_dir " + dir +
                                   " is in use by another running server (its LOCK is held): each "
                                   "server needs a data directory of its own");
  }
  if (status.IsCorruption()) {
    return Status::InvalidArgument("cannot open L2 in " + dir + ": " + text +
                                   ": the persistent tier is damaged; move the directory away (or "
                                   "set [l2] clear_on_startup = true) to start with an empty one");
  }
  return Status::IoError("cannot open L2 in " + dir + ": " + text);
}

// RocksDB's own messages go to the server's log, not to a LOG file in the data
// directory: a LOG file written after a failed write (a full disk) trips an assertion in
// Debian's RocksDB and aborts the process; and operators look in one place.
class RocksDbLogger final : public rocksdb::Logger {
 public:
  RocksDbLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      Log().error("persistent tier (RocksDB): {}", line);
    } else {
      Log().warn("persistent tier (RocksDB): {}", line);
    }
  }
};

Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return Status::Ok();
  return Status::IoError(std::string(what) + ": " + status.ToString());
}

// State shared with the compaction filter, which runs on RocksDB's threads.
struct SharedVisibility {
  std::atomic<int64_t> flush_deadline{0};
  std::atomic<uint64_t> eviction_watermark{0};
  std::atomic<uint64_t> flush_cas{0};
  std::atomic<uint64_t> dropped{0};
  // Value-log files below this number were dropped: records pointing there are gone.
  std::atomic<uint64_t> oldest_value_file{0};
  std::atomic<ValueLog*> value_log{nullptr};  // set once the log is open

  Visibility Load() const {
    return Visibility{flush_deadline.load(std::memory_order_acquire),
                      eviction_watermark.load(std::memory_order_acquire),
                      flush_cas.load(std::memory_order_acquire)};
  }
};

// Drops records that are expired, flushed or below the eviction watermark.
class GoneRecordFilter final : public rocksdb::CompactionFilter {
 public:
  explicit GoneRecordFilter(SharedVisibility* shared) : shared_(shared) {}
  const char* Name() const override { return "RatMemCacheGoneRecordFilter"; }
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    if (key.size() == 0 || key[0] != kDataPrefix) return false;
    const std::optional<DecodedRecord> record = DecodeRecord(std::string_view(value.data(), value.size()));
    if (!record) return false;  // not ours to judge; keep
    if (record->pointer && record->pointer->file < shared_->oldest_value_file.load(std::memory_order_acquire)) {
      return true;  // its value was dropped with its file (size limit)
    }
    if (!IsGone(record->meta, UnixTimeNow(), shared_->Load())) return false;
    shared_->dropped.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

 private:
  SharedVisibility* shared_;
};

// Syncs the value log before RocksDB writes a memtable out: table files are synced, so
// the records in them must never name value bytes that a power loss could take.
class SyncValueLogBeforeFlush final : public rocksdb::EventListener {
 public:
  explicit SyncValueLogBeforeFlush(SharedVisibility* shared) : shared_(shared) {}
  void OnFlushBegin(rocksdb::DB*, const rocksdb::FlushJobInfo&) override {
    ValueLog* log = shared_->value_log.load(std::memory_order_acquire);
    if (log == nullptr) return;
    Status synced = log->SyncAll();
    if (!synced.ok()) Log().warn("L2 value log sync before a flush: {}", synced.message());
  }

 private:
  SharedVisibility* shared_;
};

// Makes each key its own "prefix", so that the hash memtable (below) puts every key's
// versions in a bucket of their own.
class WholeKeyTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "RatMemCacheWholeKey"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override { return key; }
  bool InDomain(const rocksdb::Slice&) const override { return true; }
};

// Iterators walk every key in order, whatever the prefix extractor.
rocksdb::ReadOptions TotalOrder() {
  rocksdb::ReadOptions read;
  read.total_order_seek = true;
  return read;
}

class RocksDbTier final : public DiskTier {
 public:
  RocksDbTier(const L2Options& options, std::unique_ptr<SharedVisibility> shared,
              std::unique_ptr<GoneRecordFilter> filter, std::unique_ptr<rocksdb::DB> db)
      : options_(options), shared_(std::move(shared)), filter_(std::move(filter)), db_(std::move(db)) {
    write_options_.sync = options.sync_writes;
  }

  // Starts enforcing the size limit in the background (after OpenValueLog).
  void Start() { size_thread_ = std::thread([this] { SizeLoop(); }); }

  ~RocksDbTier() override {
    {
      std::lock_guard lock(size_mu_);
      stop_ = true;
    }
    size_cv_.notify_all();
    if (size_thread_.joinable()) size_thread_.join();
    // Write the memtables out as tables: the next start then opens them instead of
    // replaying the whole write-ahead log (seconds for millions of items). The WAL is
    // synced first, so a failure here loses nothing.
    if (value_log_ != nullptr) value_log_->SyncAll().IgnoreError();
    db_->FlushWAL(true).PermitUncheckedError();
    rocksdb::FlushOptions flush;
    flush.wait = true;
    rocksdb::Status flushed = db_->Flush(flush);
    if (!flushed.ok()) Log().warn("L2: writing the memtables at close: {}", flushed.ToString());
    db_->Close().PermitUncheckedError();
  }

  Status Write(std::span<const DiskWrite> writes) override {
    rocksdb::WriteBatch batch;
    static constexpr char kPrefix[1] = {kDataPrefix};
    char header[kRecordHeaderSize + kPointerSize];
    // One writer at a time in the value log; garbage collection takes this lock too, so
    // that no write of a key falls between its liveness check and its move.
    std::lock_guard value_lock(value_mu_);
    for (const DiskWrite& write : writes) {
      // Key and record go into the batch in parts: the value is copied once, into it.
      const rocksdb::Slice key_parts[2] = {rocksdb::Slice(kPrefix, 1),
                                           rocksdb::Slice(write.key.data(), write.key.size())};
      const rocksdb::SliceParts key(key_parts, 2);
      if (write.kind == DiskWrite::Kind::kDelete) {
        batch.Delete(key).PermitUncheckedError();
        continue;
      }
      if (options_.blob_min_size != 0 && write.value.size() >= options_.blob_min_size) {
        // A large value: into the value log; RocksDB gets its metadata and where it is.
        Result<ValuePointer> pointer = value_log_->Append(write.key, write.value);
        if (!pointer.ok()) return pointer.status();
        EncodePointerRecord(write.meta, *pointer, header);
        const rocksdb::Slice record(header, kRecordHeaderSize + kPointerSize);
        batch.Put(key, rocksdb::SliceParts(&record, 1)).PermitUncheckedError();
      } else {
        EncodeRecordHeader(write.meta, header);
        const rocksdb::Slice value_parts[2] = {rocksdb::Slice(header, kRecordHeaderSize),
                                               rocksdb::Slice(write.value.data(), write.value.size())};
        batch.Put(key, rocksdb::SliceParts(value_parts, 2)).PermitUncheckedError();
      }
      uint64_t seen = max_cas_.load(std::memory_order_relaxed);
      while (write.meta.cas > seen &&
             !max_cas_.compare_exchange_weak(seen, write.meta.cas, std::memory_order_relaxed)) {
      }
    }
    // The values reach their file before the records that point at them: a crash in
    // between leaves unreferenced bytes, never a pointer to nothing.
    Status logged = value_log_->Commit();
    if (!logged.ok()) return logged;
    writes_.fetch_add(writes.size(), std::memory_order_relaxed);
    return FromRocks(db_->Write(write_options_, &batch), "L2 write");
  }

  Status Get(std::string_view key, int64_t now_unix, RecordSink* sink,
             bool memory_only) override {
    rocksdb::ReadOptions read_options;
    // Memtables and block cache only: RocksDB answers Incomplete instead of reading a file.
    if (memory_only) read_options.read_tier = rocksdb::kBlockCacheTier;
    const std::string data_key = DataKey(key);
    std::optional<ValuePointer> previous;
    // A value-log file can be collected between reading the pointer and reading the
    // value; its live values moved first, so the key's record then names the new place:
    // look again (a few times; a file is collected only about every second).
    for (int attempt = 0;; ++attempt) {
      rocksdb::PinnableSlice encoded;
      const rocksdb::Status status = db_->Get(read_options, db_->DefaultColumnFamily(), data_key, &encoded);
      if (status.IsIncomplete()) return Status(StatusCode::kWouldBlock);
      const std::optional<DecodedRecord> record =
          status.ok() ? DecodeRecord(std::string_view(encoded.data(), encoded.size())) : std::nullopt;
      // A value in the value log needs a file read too.
      if (memory_only && record && record->pointer) return Status(StatusCode::kWouldBlock);
      if (attempt == 0) gets_.fetch_add(1, std::memory_order_relaxed);
      if (status.IsNotFound()) return Status::NotFound();
      if (!status.ok()) return FromRocks(status, "L2 get");
      if (!record) return Status::IoError("L2 get: damaged record");
      if (IsGone(record->meta, now_unix, shared_->Load())) return Status::NotFound();
      if (!record->pointer) {
        char* destination = sink->Allocate(record->meta, record->value.size());
        if (destination == nullptr) return Status::OutOfMemory();
        if (!record->value.empty()) std::memcpy(destination, record->value.data(), record->value.size());
        hits_.fetch_add(1, std::memory_order_relaxed);
        return Status::Ok();
      }
      Status read = value_log_->Read(*record->pointer, key,
                                     [&](size_t size) { return sink->Allocate(record->meta, size); });
      if (read.code() == StatusCode::kNotFound && attempt < 3 && record->pointer != previous) {
        previous = record->pointer;  // its file is gone: did the value move?
        continue;
      }
      if (read.code() == StatusCode::kIoError) Log().warn("L2 get: {}", read.message());
      if (read.ok()) hits_.fetch_add(1, std::memory_order_relaxed);
      return read;
    }
  }

  Status FlushNow(uint64_t cas_boundary) override {
    // The boundary first, so that no write landing after the range delete shows through.
    Status saved = PutMeta(kFlushCasMeta, std::to_string(cas_boundary));
    if (!saved.ok()) return saved;
    shared_->flush_cas.store(cas_boundary, std::memory_order_release);
    const std::string begin(1, kDataPrefix);
    const std::string end(1, static_cast<char>(kDataPrefix + 1));
    return FromRocks(db_->DeleteRange(write_options_, db_->DefaultColumnFamily(), begin, end),
                     "L2 flush");
  }

  Status FlushAt(int64_t deadline) override {
    shared_->flush_deadline.store(deadline, std::memory_order_release);
    return PutMeta(kFlushDeadlineMeta, std::to_string(deadline));
  }

  Status ScanKeys(int64_t now_unix, const std::function<void(std::string_view)>& visit) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrder()));
    const Visibility visibility = shared_->Load();
    for (it->Seek(std::string(1, kDataPrefix)); it->Valid() && it->key()[0] == kDataPrefix; it->Next()) {
      const rocksdb::Slice value = it->value();
      const std::optional<DecodedRecord> record = DecodeRecord(std::string_view(value.data(), value.size()));
      if (!record || IsGone(record->meta, now_unix, visibility)) continue;
      visit(std::string_view(it->key().data() + 1, it->key().size() - 1));
    }
    return FromRocks(it->status(), "L2 scan");
  }

  Status PutMeta(std::string_view name, std::string_view value) override {
    rocksdb::WriteOptions sync_options = write_options_;
    sync_options.sync = true;  // bookkeeping must survive power loss
    return FromRocks(db_->Put(sync_options, MetaKey(name), rocksdb::Slice(value.data(), value.size())),
                     "L2 meta write");
  }

  Result<std::string> GetMeta(std::string_view name) override {
    std::string value;
    const rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), MetaKey(name), &value);
    if (status.IsNotFound()) return Status::NotFound();
    if (!status.ok()) return FromRocks(status, "L2 meta read");
    return value;
  }

  Status EnforceSizeLimit() override {
    uint64_t used = DiskBytes();
    if (used <= options_.max_disk_size) return Status::Ok();
    // The value log first: collect its oldest files until 90% of the limit is used.
    // A file mostly dead is rewritten without its dead records; one mostly live is
    // dropped (the oldest values go), since rewriting it would free little.
    std::lock_guard collect_lock(collect_mu_);
    const uint64_t target = options_.max_disk_size / 10 * 9;
    // Each pass removes a file (bounded by the files there are, plus one sealed now).
    for (size_t passes = value_log_->SealedFiles().size() + 1; used > target && passes > 0; --passes) {
      if (value_log_->TotalBytes() < used / 2) break;  // mostly tables: the watermark below
      std::vector<uint64_t> sealed = value_log_->SealedFiles();
      if (sealed.empty()) {
        std::lock_guard value_lock(value_mu_);
        value_log_->Seal();
        sealed = value_log_->SealedFiles();
        if (sealed.empty()) break;
      }
      Status collected = CollectValueFile(sealed.front(), /*for_space=*/true);
      if (!collected.ok()) {
        // Space comes first (moving needs some, and a failing file must not block the
        // limit for good): the file goes with what it holds.
        Log().warn("L2 value file {}: {}; dropping it to stay under the size limit", sealed.front(),
                   collected.message());
        evicted_for_size_.fetch_add(1, std::memory_order_relaxed);
        Status dropped = DropValueFile(sealed.front());
        if (!dropped.ok()) return dropped;
      }
      used = DiskBytes();
    }
    if (used <= options_.max_disk_size) return Status::Ok();
    // Drop the oldest writes: move the CAS watermark up by the share of bytes over 90%
    // of the limit (CAS uniques grow with every write, so old CAS means old data), then
    // compact so the bytes really go.
    const double share = static_cast<double>(used - target) / static_cast<double>(used);
    const uint64_t low = shared_->eviction_watermark.load(std::memory_order_acquire);
    const uint64_t high = max_cas_.load(std::memory_order_relaxed);
    if (high <= low) return Status::Ok();
    const uint64_t raised = low + static_cast<uint64_t>(static_cast<double>(high - low) * share) + 1;
    shared_->eviction_watermark.store(raised, std::memory_order_release);
    evicted_for_size_.fetch_add(1, std::memory_order_relaxed);
    Status saved = PutMeta(kWatermarkMeta, std::to_string(raised));
    if (!saved.ok()) return saved;
    Log().info("L2 over its {} byte limit ({} bytes): dropping writes older than CAS {}",
               options_.max_disk_size, used, raised);
    // The tables only: value-log files the watermark emptied go at the next passes above.
    return CompactTables();
  }

  Status CompactAll() override {
    Status compacted = CompactTables();
    if (!compacted.ok()) return compacted;
    // Every value-log file loses its dead records (those of keys deleted, overwritten,
    // expired or flushed); files with none are left as they are.
    std::lock_guard collect_lock(collect_mu_);
    {
      std::lock_guard value_lock(value_mu_);
      value_log_->Seal();
    }
    for (uint64_t file : value_log_->SealedFiles()) {
      Status collected = CollectValueFile(file, /*for_space=*/false);
      if (!collected.ok()) return collected;
    }
    return Status::Ok();
  }

  Status CompactTables() {
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    // Rewrite every blob file too: values dropped by the filter free their space now.
    compact.blob_garbage_collection_policy = rocksdb::BlobGarbageCollectionPolicy::kForce;
    compact.blob_garbage_collection_age_cutoff = 1.0;
    return FromRocks(db_->CompactRange(compact, nullptr, nullptr), "L2 compaction");
  }

  DiskStats Stats() override {
    DiskStats stats;
    stats.disk_bytes = DiskBytes();
    uint64_t keys = 0;
    db_->GetIntProperty(rocksdb::DB::Properties::kEstimateNumKeys, &keys);
    stats.estimated_items = keys;
    stats.gets = gets_.load(std::memory_order_relaxed);
    stats.hits = hits_.load(std::memory_order_relaxed);
    stats.writes = writes_.load(std::memory_order_relaxed);
    stats.evicted_for_size = evicted_for_size_.load(std::memory_order_relaxed);
    stats.expired_dropped = shared_->dropped.load(std::memory_order_relaxed);
    return stats;
  }

  // Restores the flush deadline, the eviction watermark and the highest CAS seen.
  // Checks that the database is a persistent tier of this layout, marking a new one.
  // Returns: InvalidArgument for a database something else wrote, or a newer layout.
  Status CheckFormat() {
    Result<std::string> format = GetMeta(kFormatMeta);
    if (format.ok()) {
      if (*format == kFormatVersion) return Status::Ok();
      if (*format == kOlderFormatVersion) return PutMeta(kFormatMeta, kFormatVersion);  // readable as is
      return Status::InvalidArgument("l2.data_dir " + options_.data_dir + " holds layout version " + *format +
                                     " of the persistent tier; this build reads version " +
                                     std::string(kFormatVersion));
    }
    if (format.code() != StatusCode::kNotFound) return format.status();
    // No mark: a new database, or one written before the mark existed. Either way every
    // record must be one of ours (the first thousand are checked).
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrder()));
    int checked = 0;
    for (it->SeekToFirst(); it->Valid() && checked < 1000; it->Next(), ++checked) {
      const rocksdb::Slice key = it->key();
      const bool ours = !key.empty() &&
                        (key[0] == kMetaPrefix ||
                         (key[0] == kDataPrefix &&
                          DecodeRecord(std::string_view(it->value().data(), it->value().size()))));
      if (!ours) {
        return Status::InvalidArgument("l2.data_dir " + options_.data_dir +
                                       " holds a RocksDB database that is not a RatMemCache "
                                       "persistent tier: give a new or empty directory");
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "L2 format check");
    return PutMeta(kFormatMeta, kFormatVersion);
  }

  Status LoadState() {
    for (std::string_view name : {kFlushDeadlineMeta, kWatermarkMeta, kFlushCasMeta}) {
      Result<std::string> value = GetMeta(name);
      if (value.code() == StatusCode::kNotFound) continue;
      if (!value.ok()) return value.status();
      const uint64_t number = std::strtoull(value->c_str(), nullptr, 10);
      if (name == kFlushDeadlineMeta) {
        shared_->flush_deadline.store(static_cast<int64_t>(number), std::memory_order_release);
      } else if (name == kWatermarkMeta) {
        shared_->eviction_watermark.store(number, std::memory_order_release);
      } else {
        shared_->flush_cas.store(number, std::memory_order_release);
      }
    }
    max_cas_.store(shared_->eviction_watermark.load(), std::memory_order_relaxed);
    return Status::Ok();
  }

  // Opens the value log in the data directory. Returns: IoError.
  Status OpenValueLog() {
    uint64_t floor = 1;
    Result<std::string> next = GetMeta(kValueLogNextMeta);
    if (next.ok()) floor = std::strtoull(next->c_str(), nullptr, 10);
    else if (next.code() != StatusCode::kNotFound) return next.status();
    ValueLog::Options log;
    log.dir = options_.data_dir;
    // Files of 1/64 of the limit (64 KiB to 64 MiB): the size limit drops or rewrites
    // one file at a time, so a file is the grain of what goes.
    log.file_size = std::clamp<uint64_t>(options_.max_disk_size / 64, 64u << 10, 64u << 20);
    if (options_.enable_compression) {
      log.codec = options_.compression == "zstd" ? ValueCodecKind::kZstd : ValueCodecKind::kLz4;
      log.level = options_.compression_level;
    }
    log.sync = options_.sync_writes;
    log.mmap_reads = options_.mmap_reads;
    log.reserve = [this](uint64_t next_file) { return PutMeta(kValueLogNextMeta, std::to_string(next_file)); };
    Result<std::unique_ptr<ValueLog>> opened = ValueLog::Open(std::move(log), floor);
    if (!opened.ok()) return opened.status();
    value_log_ = std::move(opened).value();
    shared_->oldest_value_file.store(value_log_->OldestFile(), std::memory_order_release);
    shared_->value_log.store(value_log_.get(), std::memory_order_release);
    return Status::Ok();
  }

 private:
  uint64_t DiskBytes() {
    uint64_t sst = 0;
    uint64_t memtables = 0;
    uint64_t blobs = 0;
    db_->GetIntProperty(rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
    db_->GetIntProperty(rocksdb::DB::Properties::kTotalBlobFileSize, &blobs);
    db_->GetIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &memtables);
    return sst + blobs + memtables + value_log_->TotalBytes();
  }

  enum class Liveness : uint8_t { kLive, kDead, kUnknown };

  // Whether the value-log record of `key` at `pointer` is live: RocksDB's record of the
  // key points at it and is not gone. `meta` gets the record's metadata. kUnknown when
  // RocksDB could not be read (then nothing may be dropped on its word).
  Liveness LivenessOf(std::string_view key, const ValuePointer& pointer, int64_t now,
                      const Visibility& visibility, RecordMeta* meta) {
    rocksdb::PinnableSlice encoded;
    const rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), DataKey(key), &encoded);
    if (status.IsNotFound()) return Liveness::kDead;
    if (!status.ok()) return Liveness::kUnknown;
    const std::optional<DecodedRecord> record = DecodeRecord(std::string_view(encoded.data(), encoded.size()));
    if (!record || !record->pointer || !(*record->pointer == pointer)) return Liveness::kDead;
    if (IsGone(record->meta, now, visibility)) return Liveness::kDead;
    *meta = record->meta;
    return Liveness::kLive;
  }

  Status DropValueFile(uint64_t file) {
    Status dropped = value_log_->DropFile(file);
    shared_->oldest_value_file.store(value_log_->OldestFile(), std::memory_order_release);
    return dropped;
  }

  // Garbage collection of sealed value-log file `file` (collect_mu_ held): its live
  // records move to the newest file, their RocksDB records follow, then the file goes.
  // With `for_space`, a file at least three quarters live is dropped whole instead (its
  // values are the oldest); without, a file with no dead record is left alone, and so is
  // one that could not be read to its end (its records past the damage are not known).
  Status CollectValueFile(uint64_t file, bool for_space) {
    const int64_t now = UnixTimeNow();
    const Visibility visibility = shared_->Load();
    uint64_t live_bytes = 0;
    bool unknown = false;
    bool whole_file = false;
    // The census needs no lock: the move below checks each record again under it.
    Status scanned = value_log_->ForEachRecord(file, [&](const ValueLog::RecordView& record) {
      RecordMeta meta;
      const Liveness liveness = LivenessOf(record.key, record.pointer, now, visibility, &meta);
      if (liveness == Liveness::kLive) live_bytes += record.bytes.size();
      if (liveness == Liveness::kUnknown) unknown = true;
    }, &whole_file);
    if (scanned.code() == StatusCode::kNotFound) return Status::Ok();  // gone already
    if (!scanned.ok()) return scanned;
    if (unknown) return Status::IoError("L2: could not read RocksDB to judge value file " + std::to_string(file));
    const uint64_t file_bytes = value_log_->FileBytes(file);
    if (!whole_file) {
      if (!for_space) {
        Log().warn("L2 value file {} is damaged after {} live bytes; left for the size limit", file, live_bytes);
        return Status::Ok();
      }
    } else if (!for_space && live_bytes == file_bytes && file_bytes != 0) {
      return Status::Ok();
    }
    if (for_space && live_bytes * 4 >= file_bytes * 3) {
      evicted_for_size_.fetch_add(1, std::memory_order_relaxed);
      Log().info("L2 over 90% of its {} byte limit: dropping value file {} ({} bytes, {} live)",
                 options_.max_disk_size, file, file_bytes, live_bytes);
    } else if (live_bytes != 0) {
      Status moved = MoveLiveRecords(file, now, visibility);
      if (!moved.ok()) return moved;
    }
    return DropValueFile(file);
  }

  // Moves the live records of `file` to the newest value-log file, a batch of about 1 MiB
  // at a time under value_mu_ (so writes wait at most one batch, and no store of a key
  // falls between its check and its move), and makes the moves durable before the
  // caller drops the file.
  Status MoveLiveRecords(uint64_t file, int64_t now, const Visibility& visibility) {
    std::string copies;                 // records of the batch, back to back
    std::vector<ValueLog::RecordView> batch_records;
    Status failed = Status::Ok();
    auto move_batch = [&]() -> Status {
      std::lock_guard value_lock(value_mu_);
      rocksdb::WriteBatch batch;
      char encoded[kRecordHeaderSize + kPointerSize];
      Status status = Status::Ok();
      for (ValueLog::RecordView record : batch_records) {
        RecordMeta meta;
        const Liveness liveness = LivenessOf(record.key, record.pointer, now, visibility, &meta);
        if (liveness == Liveness::kUnknown) {
          status = Status::IoError("L2: could not read RocksDB while moving values");
          break;
        }
        if (liveness == Liveness::kDead) continue;
        Result<ValuePointer> moved = value_log_->AppendRecord(record);
        if (!moved.ok()) {
          status = moved.status();
          break;
        }
        EncodePointerRecord(meta, *moved, encoded);
        batch.Put(DataKey(record.key), rocksdb::Slice(encoded, sizeof(encoded))).PermitUncheckedError();
      }
      batch_records.clear();
      copies.clear();
      if (!status.ok()) {
        value_log_->DiscardPending();  // the writer's state stays clean
        return status;
      }
      status = value_log_->Commit();
      // The moved copies are durable before any record names them: the old copies were
      // (a power loss must not trade a good value for a pointer to a torn one).
      if (status.ok()) status = value_log_->SyncAll();
      if (!status.ok()) return status;
      return FromRocks(db_->Write(write_options_, &batch), "L2 value-log collection");
    };
    Status scanned = value_log_->ForEachRecord(file, [&](const ValueLog::RecordView& record) {
      if (!failed.ok()) return;
      if (copies.size() + record.bytes.size() > copies.capacity()) {
        if (!batch_records.empty()) failed = move_batch();
        if (!failed.ok()) return;
        copies.reserve(std::max<size_t>(1u << 20, record.bytes.size()));
      }
      if (!failed.ok()) return;
      // Views into `copies` stay valid: it never grows past its reserved capacity.
      const size_t at = copies.size();
      copies.append(record.bytes);
      ValueLog::RecordView copy = record;
      copy.bytes = std::string_view(copies).substr(at, record.bytes.size());
      copy.key = copy.bytes.substr(record.key.data() - record.bytes.data(), record.key.size());
      batch_records.push_back(copy);
    });
    if (failed.ok() && !batch_records.empty()) failed = move_batch();
    if (!failed.ok()) return failed;
    if (!scanned.ok()) return scanned;
    // Durable before the old copies go: the records naming the moved values.
    return FromRocks(db_->FlushWAL(/*sync=*/true), "L2 value-log collection (sync)");
  }

  void SizeLoop() {
    std::unique_lock lock(size_mu_);
    while (!size_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      lock.unlock();
      Status status = EnforceSizeLimit();
      if (!status.ok()) Log().warn("L2 size limit: {}", status.message());
      lock.lock();
    }
  }

  const L2Options options_;
  std::unique_ptr<SharedVisibility> shared_;
  std::unique_ptr<GoneRecordFilter> filter_;  // referenced by the DB's options
  std::unique_ptr<rocksdb::DB> db_;
  std::mutex value_mu_;    // one writer in the value log: Write and the moves of collection
  std::mutex collect_mu_;  // one garbage collection at a time (size limit, CompactAll)
  std::unique_ptr<ValueLog> value_log_;
  rocksdb::WriteOptions write_options_;
  std::atomic<uint64_t> max_cas_{0};
  std::atomic<uint64_t> gets_{0};
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> evicted_for_size_{0};
  std::mutex size_mu_;
  std::condition_variable size_cv_;
  bool stop_ = false;  // guarded by size_mu_
  std::thread size_thread_;
};

}  // namespace

Status ValidateL2Options(const L2Options& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("l2.data_dir must not be empty");
  if (options.max_disk_size < (1ull << 20)) {
    return Status::InvalidArgument("l2.max_disk_size must be at least 1 MiB (1048576 bytes)");
  }
  if (options.write_buffer_size < (64ull << 10)) {
    return Status::InvalidArgument("l2.write_buffer_size must be at least 64 KiB");
  }
  if (options.max_write_buffer_number < 2 || options.max_write_buffer_number > 64) {
    return Status::InvalidArgument("l2.max_write_buffer_number must be between 2 and 64");
  }
  if (options.blob_min_size > (1ull << 30)) {
    return Status::InvalidArgument("l2.blob_min_size must be at most 1 GiB (0 keeps values out of blob files)");
  }
  if (options.background_threads < 1 || options.background_threads > 64) {
    return Status::InvalidArgument("l2.background_threads must be between 1 and 64");
  }
  if (options.write_behind_interval_ms < 1 || options.write_behind_interval_ms > 60000) {
    return Status::InvalidArgument("l2.write_behind_interval_ms must be between 1 and 60000");
  }
  if (options.compression != "lz4" && options.compression != "zstd") {
    return Status::InvalidArgument("l2.compression must be \"lz4\" or \"zstd\", got \"" +
                                   options.compression + "\"");
  }
  const int max_level = options.compression == "lz4" ? 12 : 19;
  if (options.compression_level < 0 || options.compression_level > max_level) {
    return Status::InvalidArgument("l2.compression_level must be between 0 and " +
                                   std::to_string(max_level) + " for " + options.compression);
  }
  if (!options.enable_compression && options.compression_level != 0) {
    return Status::InvalidArgument("l2.compression_level needs l2.enable_compression = true");
  }
  return Status::Ok();
}

Result<std::unique_ptr<DiskTier>> OpenRocksDbTier(const L2Options& l2) {
  Status valid = ValidateL2Options(l2);
  if (!valid.ok()) return valid;
  std::error_code ec;
  Status usable = CheckDataDirectory(l2.data_dir);
  if (!usable.ok()) return usable;
  if (l2.clear_on_startup) {
    rocksdb::Options destroy_options;
    FromRocks(rocksdb::DestroyDB(l2.data_dir, destroy_options), "clear").IgnoreError();
    std::filesystem::directory_iterator it(l2.data_dir, ec);
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (ValueLog::IsLogFileName(it->path().filename().string())) std::filesystem::remove(it->path(), ec);
    }
    ec.clear();
  }
  std::filesystem::create_directories(l2.data_dir, ec);
  if (ec) return Status::IoError("l2.data_dir " + l2.data_dir + ": " + ec.message());

  auto shared = std::make_unique<SharedVisibility>();
  auto filter = std::make_unique<GoneRecordFilter>(shared.get());

  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = l2.write_buffer_size;
  options.max_write_buffer_number = static_cast<int>(l2.max_write_buffer_number);
  options.IncreaseParallelism(static_cast<int>(l2.background_threads));
  options.max_background_jobs = static_cast<int>(l2.background_threads);
  options.compaction_filter = filter.get();
  options.listeners.push_back(std::make_shared<SyncValueLogBeforeFlush>(shared.get()));
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.info_log = std::make_shared<RocksDbLogger>();
  options.keep_log_file_num = 2;
  if (!l2.enable_compression) {
    options.compression = rocksdb::kNoCompression;
  } else if (l2.compression == "zstd") {
    options.compression = rocksdb::kZSTD;
    if (l2.compression_level != 0) options.compression_opts.level = l2.compression_level;
  } else if (l2.compression_level != 0) {
    options.compression = rocksdb::kLZ4HCCompression;
    options.compression_opts.level = l2.compression_level;
  } else {
    options.compression = rocksdb::kLZ4Compression;
  }
  rocksdb::BlockBasedTableOptions table;
  if (l2.block_cache_size == 0) {
    table.no_block_cache = true;
  } else {
    table.block_cache = rocksdb::NewLRUCache(l2.block_cache_size);
  }
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // A whole-key Bloom filter in each memtable (2% of its size): most L2 reads are for keys
  // the memtables do not hold, and without it each such read walks every memtable's skip
  // list (measured: 5% of the server's CPU under a 50/50 L2 load).
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = 0.02;
  // A hash of skip lists as the memtable, one bucket per key: the memtable holds small
  // records (values are in the value log), hundreds of thousands of them, and in one
  // skip list every lookup and insert walked ~20 levels of cache misses (measured: 15%
  // of the server's CPU under a 50/50 L2 load). Buckets: one per KiB of memtable.
  options.prefix_extractor = std::make_shared<WholeKeyTransform>();
  options.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(
      std::clamp<size_t>(l2.write_buffer_size / 1024, 4096, 1u << 20), 4, 4));
  options.allow_concurrent_memtable_write = false;  // the hash memtable needs one writer
  // Values of blob_min_size bytes and more go to the value log (value_log.h), not to
  // RocksDB: it holds only their metadata and pointers. No blob cache either: values read
  // again soon are promoted into the RAM tier, which is the value cache. A database of
  // layout 1 may still reference RocksDB blob files; RocksDB reads them as before, and
  // garbage collection folds them into the tables as compactions reach them.
  options.enable_blob_garbage_collection = true;
  // Table and blob files are read through memory maps: no system call and no copy per
  // block or value (measured: about 10% less server CPU per L2 read). The files are
  // immutable once written, so a map never sees a file change under it.
  options.allow_mmap_reads = l2.mmap_reads;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status opened = rocksdb::DB::Open(options, l2.data_dir, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!opened.ok()) return OpenFailure(l2.data_dir, opened);
  auto tier = std::make_unique<RocksDbTier>(l2, std::move(shared), std::move(filter), std::move(db));
  Status ours = tier->CheckFormat();
  if (!ours.ok()) return ours;
  Status loaded = tier->LoadState();
  if (!loaded.ok()) return loaded;
  Status logged = tier->OpenValueLog();
  if (!logged.ok()) return logged;
  tier->Start();
  return std::unique_ptr<DiskTier>(std::move(tier));
}

}  // namespace ratmemcache::disk
