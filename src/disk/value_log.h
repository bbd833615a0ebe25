#pragma once

// ValueLog: the persistent tier's large values, kept out of RocksDB. Values are appended to
// numbered files (<dir>/NNNNNNNN.vlog) with large buffered writes; RocksDB keeps only each
// key's metadata and a ValuePointer to its record. This spares every large value the
// RocksDB write path (a copy into the write-ahead log, a skip-list insert of the whole
// value, a rewrite at flush): about 20 µs of CPU per 4 KB set, measured.
//
// A record is self-describing and checked: an XXH3-64 checksum over everything after it,
// the key's and the stored value's sizes, the original size, the codec, the key, then the
// stored (possibly compressed) value. A read checks the checksum and the key, so a torn
// record or a pointer into a file that is not the one it was made for is never served.
//
// Files are written in order and never rewritten; a file is dropped whole by the tier's
// garbage collection (which first moves what is still live to the newest file). File
// numbers are never reused: the caller persists the next number (see `Options::reserve`).
//
// Thread-safety: Append, AppendRecord, Commit and Seal must be serialized by the caller
// (one writer at a time). Read, ForEachRecord, SyncAll, DropFile, SealedFiles and the
// size getters may be called from any thread at any time; a file dropped while being
// read stays readable until that read ends.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "disk/record_codec.h"
#include "ratmemcache/status.h"

namespace ratmemcache::disk {

enum class ValueCodecKind : uint8_t { kNone = 0, kLz4 = 1, kZstd = 2 };

class ValueLog {
 public:
  struct Options {
    std::string dir;
    uint64_t file_size = 16ull << 20;  // a file is sealed once it holds this many bytes
    ValueCodecKind codec = ValueCodecKind::kNone;
    int level = 0;                     // lz4: 0 = fast, 1..12 = LZ4HC; zstd: 0 = default
    bool sync = false;                 // fdatasync at every Commit
    // Read records of ordinary size through memory maps of the files: no system call
    // and no kernel copy per read. A disk media error under a map is SIGBUS, not an
    // IoError (the same trade as RocksDB's allow_mmap_reads, `[l2] mmap_reads`).
    bool mmap_reads = false;
    // Called before file N is created, with N + 1: must persist it so that a later Open
    // never hands out N again. An error stops the append.
    std::function<Status(uint64_t next_file)> reserve;
  };
  // One record as it lies in a file, for garbage collection.
  struct RecordView {
    std::string_view key;
    std::string_view bytes;  // the whole record, as AppendRecord takes it
    ValuePointer pointer;
  };

  // Opens the log in options.dir (existing files are kept; a new file is started for
  // writes). `next_file_floor`: the lowest number a new file may take (what `reserve`
  // persisted). Returns: IoError naming the file.
  static Result<std::unique_ptr<ValueLog>> Open(Options options, uint64_t next_file_floor);
  ~ValueLog();
  ValueLog(const ValueLog&) = delete;
  ValueLog& operator=(const ValueLog&) = delete;

  // Adds a record for `key` to the pending buffer and says where it will be. Nothing is in
  // the file until Commit(). Returns: IoError (a new file could not be started).
  Result<ValuePointer> Append(std::string_view key, std::string_view value);
  // Adds a record found by ForEachRecord, unchanged (no recompression).
  Result<ValuePointer> AppendRecord(const RecordView& record);
  // Forgets the records appended since the last Commit (nothing points at them yet).
  void DiscardPending();
  // Writes the pending records with one write (and fdatasync with Options::sync).
  // Returns: IoError; the pending records are then discarded.
  Status Commit();

  // Reads the record at `pointer`, checks it is whole and is `key`'s, and puts the
  // original value into the memory `allocate(size)` returns (nullptr: OutOfMemory).
  // Returns: NotFound (its file was dropped), IoError (damaged or unreadable), OutOfMemory.
  Status Read(const ValuePointer& pointer, std::string_view key,
              const std::function<char*(size_t)>& allocate) const;

  // The files no longer written to, oldest first.
  std::vector<uint64_t> SealedFiles() const;
  // Ends the file being written (the next Append starts a new one), so that every record
  // so far is in a sealed file. Call with no records pending.
  void Seal();
  // Calls `visit` with each whole record of sealed file `file`, in order; stops at the
  // first damaged one. `whole_file` (optional) says whether the walk reached the file's
  // end. Returns: NotFound, IoError.
  Status ForEachRecord(uint64_t file, const std::function<void(const RecordView&)>& visit,
                       bool* whole_file = nullptr) const;
  // Makes every committed record durable (fdatasync of each file written since its
  // last sync). Thread-safe. Returns: IoError.
  Status SyncAll();
  // Deletes sealed file `file`. Returns: IoError.
  Status DropFile(uint64_t file);
  // Bytes in all files, written or pending.
  uint64_t TotalBytes() const { return total_bytes_.load(std::memory_order_relaxed); }
  // The oldest file still present (pointers into older ones are dangling), 0 if none.
  uint64_t OldestFile() const { return oldest_file_.load(std::memory_order_acquire); }
  // The size of sealed file `file`, 0 if it is not there.
  uint64_t FileBytes(uint64_t file) const;

  // Tests only: `hook(context)` runs at `point` (null: none), to stage races: a
  // collection between a lookup and its file read, a drop during a read, a drop while a
  // file is being started. Set it while nothing runs.
  // kBeforeRead: before Read looks its file up; kFileFound: once Read holds the file.
  enum class TestPoint : uint8_t { kBeforeRead, kFileFound, kStartingFile, kCount };
  static void SetHookForTesting(TestPoint point, void (*hook)(void* context), void* context);

  // The on-disk name of file `number` in `dir`.
  static std::string FileName(const std::string& dir, uint64_t number);
  // True for names FileName produces.
  static bool IsLogFileName(std::string_view name);

 private:
  struct File;
  explicit ValueLog(Options options);
  Status StartFile();
  // Maps the first `size` bytes of `file` for reads (mmap_reads); on failure the file is
  // read with pread as without the option.
  void MapFile(File& file, uint64_t size) const;
  Status ReadLarge(const File& file, const ValuePointer& pointer, std::string_view key,
                   const std::function<char*(size_t)>& allocate) const;
  Result<ValuePointer> Reserve(size_t record_size);
  std::shared_ptr<File> Find(uint64_t number) const;
  void UpdateOldest();
  // Compression back-off for incompressible values (writer only).
  bool SkipCompression();
  void NoteCompression(bool paid_off);

  const Options options_;
  mutable std::shared_mutex files_mu_;               // guards files_
  std::map<uint64_t, std::shared_ptr<File>> files_;  // every file present, by number
  std::shared_ptr<File> active_;                     // changed by the writer under files_mu_
  std::atomic<uint64_t> next_file_{1};               // changed by the writer only
  std::string pending_;                              // writer only: records not yet written
  uint64_t pending_offset_ = 0;                      // writer only: where pending_ goes
  std::string scratch_;                              // writer only: compression output
  uint32_t compression_backoff_ = 0;                 // writer only
  uint32_t compression_skips_left_ = 0;              // writer only
  std::atomic<uint64_t> total_bytes_{0};
  std::atomic<uint64_t> oldest_file_{0};
};

}  // namespace ratmemcache::disk
