#include "disk/value_log.h"

#include <fcntl.h>
#include <lz4.h>
#include <lz4hc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>

#include "common/little_endian.h"

namespace ratmemcache::disk {
namespace {

// checksum (8), key size (4), stored size (4), original size (4), codec (1).
constexpr size_t kHeaderSize = 8 + 4 + 4 + 4 + 1;
constexpr std::string_view kSuffix = ".vlog";
// Values smaller than this are not worth a compression attempt.
constexpr size_t kCompressMinSize = 128;
// Records larger than this are not read through the per-thread buffer.
constexpr size_t kDirectReadSize = 256u << 10;

std::string Errno(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

// A record's parsed header, checked against the bytes it came with.
struct ParsedRecord {
  std::string_view key;
  std::string_view stored;
  uint32_t original_size = 0;
  ValueCodecKind codec = ValueCodecKind::kNone;
};

// Parses the record at the start of `bytes`; nullopt when it is cut short, damaged or
// not a record. `*size` gets the record's full size when the header is readable.
std::optional<ParsedRecord> ParseRecord(std::string_view bytes, size_t* size) {
  *size = 0;
  if (bytes.size() < kHeaderSize) return std::nullopt;
  const uint32_t key_size = LoadLittleEndian<uint32_t>(bytes.data() + 8);
  const uint32_t stored_size = LoadLittleEndian<uint32_t>(bytes.data() + 12);
  const uint64_t whole = kHeaderSize + static_cast<uint64_t>(key_size) + stored_size;
  if (whole >= (uint64_t{1} << 32)) return std::nullopt;
  *size = static_cast<size_t>(whole);
  if (bytes.size() < whole) return std::nullopt;
  if (XXH3_64bits(bytes.data() + 8, whole - 8) != LoadLittleEndian<uint64_t>(bytes.data())) return std::nullopt;
  const auto codec = static_cast<ValueCodecKind>(bytes[20]);
  if (codec != ValueCodecKind::kNone && codec != ValueCodecKind::kLz4 && codec != ValueCodecKind::kZstd) {
    return std::nullopt;
  }
  ParsedRecord record;
  record.key = bytes.substr(kHeaderSize, key_size);
  record.stored = bytes.substr(kHeaderSize + key_size, stored_size);
  record.original_size = LoadLittleEndian<uint32_t>(bytes.data() + 16);
  record.codec = codec;
  if (codec == ValueCodecKind::kNone && record.original_size != stored_size) return std::nullopt;
  return record;
}

// True if the bytes [offset, offset + size) lie within the first `limit`, computed without a sum that
// could wrap (a damaged pointer may carry any offset).
bool FitsWithin(uint64_t offset, uint64_t size, uint64_t limit) { return offset <= limit && size <= limit - offset; }

// Reads exactly `size` bytes at `offset`. Returns false on an error or a short file.
bool ReadAt(int fd, char* out, size_t size, uint64_t offset) {
  while (size > 0) {
    const ssize_t got = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got;
    size -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

// Checks the record `bytes` read at `pointer` and puts its original value into
// allocate(size). Returns: IoError (damaged, not `key`'s), OutOfMemory.
Status Decode(std::string_view bytes, const ValuePointer& pointer, std::string_view key,
              const std::function<char*(size_t)>& allocate, const std::string& path) {
  size_t size = 0;
  const std::optional<ParsedRecord> record = ParseRecord(bytes, &size);
  if (!record || size != pointer.size || record->key != key) {
    return Status::IoError("value log: damaged record at " + std::to_string(pointer.offset) + " of " + path);
  }
  char* out = allocate(record->original_size);
  if (out == nullptr) return Status::OutOfMemory();
  bool whole = true;
  switch (record->codec) {
    case ValueCodecKind::kNone:
      if (!record->stored.empty()) std::memcpy(out, record->stored.data(), record->stored.size());
      break;
    case ValueCodecKind::kLz4:
      whole = LZ4_decompress_safe(record->stored.data(), out, static_cast<int>(record->stored.size()),
                                  static_cast<int>(record->original_size)) ==
              static_cast<int>(record->original_size);
      break;
    case ValueCodecKind::kZstd:
      whole = ZSTD_decompress(out, record->original_size, record->stored.data(), record->stored.size()) ==
              record->original_size;
      break;
  }
  if (!whole) {
    return Status::IoError("value log: value does not decompress at " + std::to_string(pointer.offset) + " of " + path);
  }
  return Status::Ok();
}

constexpr size_t kTestPoints = static_cast<size_t>(ValueLog::TestPoint::kCount);
std::atomic<void (*)(void*)> g_hooks[kTestPoints] = {};
void* g_hook_contexts[kTestPoints] = {};

void RunHook(ValueLog::TestPoint point) {
  const size_t at = static_cast<size_t>(point);
  if (auto hook = g_hooks[at].load(std::memory_order_acquire); hook != nullptr) [[unlikely]] {
    hook(g_hook_contexts[at]);
  }
}

}  // namespace

void ValueLog::SetHookForTesting(TestPoint point, void (*hook)(void* context), void* context) {
  g_hook_contexts[static_cast<size_t>(point)] = context;
  g_hooks[static_cast<size_t>(point)].store(hook, std::memory_order_release);
}

struct ValueLog::File {
  uint64_t number = 0;
  std::string path;
  int fd = -1;
  std::atomic<uint64_t> size{0};    // bytes written (committed)
  std::atomic<uint64_t> synced{0};  // bytes known to be on stable storage
  // mmap_reads: the file's first map_size bytes, mapped read-only and shared (the page
  // cache's pages, so committed writes show at once). Records wholly inside are read
  // from here; bytes past the committed size are never touched (past the file's end a
  // touch is SIGBUS).
  const char* map = nullptr;
  size_t map_size = 0;
  ~File() {
    if (map != nullptr) ::munmap(const_cast<char*>(map), map_size);
    if (fd >= 0) ::close(fd);
  }
};

std::string ValueLog::FileName(const std::string& dir, uint64_t number) {
  char name[32];
  std::snprintf(name, sizeof(name), "%08llu", static_cast<unsigned long long>(number));
  return (std::filesystem::path(dir) / (std::string(name) + std::string(kSuffix))).string();
}

bool ValueLog::IsLogFileName(std::string_view name) {
  if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) return false;
  for (char c : name.substr(0, name.size() - kSuffix.size())) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

ValueLog::ValueLog(Options options) : options_(std::move(options)) {}

ValueLog::~ValueLog() = default;

Result<std::unique_ptr<ValueLog>> ValueLog::Open(Options options, uint64_t next_file_floor) {
  std::unique_ptr<ValueLog> log(new ValueLog(std::move(options)));
  std::error_code ec;
  std::filesystem::directory_iterator it(log->options_.dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!IsLogFileName(name)) continue;
    auto file = std::make_shared<File>();
    file->number = std::strtoull(name.c_str(), nullptr, 10);
    file->path = it->path().string();
    file->fd = ::open(file->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file->fd < 0) return Status::IoError(Errno("cannot open value log file", file->path));
    struct stat st {};
    if (::fstat(file->fd, &st) != 0) return Status::IoError(Errno("cannot stat", file->path));
    file->size.store(static_cast<uint64_t>(st.st_size));
    log->MapFile(*file, static_cast<uint64_t>(st.st_size));
    // synced stays 0: a crashed run's last writes may be in the page cache only.
    log->total_bytes_.fetch_add(static_cast<uint64_t>(st.st_size));
    log->next_file_.store(std::max(log->next_file_.load(), file->number + 1));
    log->files_.emplace(file->number, std::move(file));
  }
  if (ec) return Status::IoError("value log " + log->options_.dir + ": " + ec.message());
  log->next_file_.store(std::max(log->next_file_.load(), next_file_floor));
  log->UpdateOldest();
  return log;
}

void ValueLog::MapFile(File& file, uint64_t size) const {
  if (!options_.mmap_reads || size == 0 || size > std::numeric_limits<size_t>::max()) return;
  void* map = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED, file.fd, 0);
  if (map == MAP_FAILED) return;
  // Values are read at random: a fault on a page not in memory reads that page, not the
  // 128 KiB around it that the kernel reads ahead for a mapped file by default.
  ::madvise(map, static_cast<size_t>(size), MADV_RANDOM);
  file.map = static_cast<const char*>(map);
  file.map_size = static_cast<size_t>(size);
}

void ValueLog::UpdateOldest() {
  oldest_file_.store(files_.empty() ? next_file_.load() : files_.begin()->first, std::memory_order_release);
}

Status ValueLog::StartFile() {
  const uint64_t number = next_file_.load();
  if (options_.reserve) {
    Status reserved = options_.reserve(number + 1);
    if (!reserved.ok()) return reserved;
  }
  auto file = std::make_shared<File>();
  file->number = number;
  file->path = FileName(options_.dir, number);
  file->fd = ::open(file->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (file->fd < 0) return Status::IoError(Errno("cannot create value log file", file->path));
  // Mapped ahead to the size at which it is sealed; a last batch past it is read with pread.
  MapFile(*file, options_.file_size);
  // The new name must survive a power loss too (pointers into the file may be synced).
  const int dir = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  RunHook(TestPoint::kStartingFile);
  // The number moves on together with the file's arrival: a DropFile in between must
  // never see N + 1 as the oldest number while file N is about to take writes.
  std::unique_lock lock(files_mu_);
  files_.emplace(number, file);
  next_file_.store(number + 1);
  UpdateOldest();
  active_ = std::move(file);
  pending_offset_ = 0;
  return Status::Ok();
}

Result<ValuePointer> ValueLog::Reserve(size_t record_size) {
  if (active_ == nullptr || (pending_.empty() && pending_offset_ >= options_.file_size)) {
    Seal();
    // A file fills up only between commits, so that pending records share one file.
    Status started = StartFile();
    if (!started.ok()) return started;
  }
  ValuePointer pointer{active_->number, pending_offset_ + pending_.size(), static_cast<uint32_t>(record_size)};
  return pointer;
}

Result<ValuePointer> ValueLog::Append(std::string_view key, std::string_view value) {
  std::string_view stored = value;
  ValueCodecKind codec = ValueCodecKind::kNone;
  if (options_.codec != ValueCodecKind::kNone && value.size() >= kCompressMinSize &&
      value.size() <= LZ4_MAX_INPUT_SIZE && !SkipCompression()) {
    size_t compressed = 0;
    if (options_.codec == ValueCodecKind::kLz4) {
      scratch_.resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(value.size()))));
      const int bound = static_cast<int>(scratch_.size());
      const int n = options_.level > 0
                        ? LZ4_compress_HC(value.data(), scratch_.data(), static_cast<int>(value.size()), bound,
                                          options_.level)
                        : LZ4_compress_default(value.data(), scratch_.data(), static_cast<int>(value.size()), bound);
      compressed = n > 0 ? static_cast<size_t>(n) : 0;
    } else {
      scratch_.resize(ZSTD_compressBound(value.size()));
      const size_t n = ZSTD_compress(scratch_.data(), scratch_.size(), value.data(), value.size(),
                                     options_.level > 0 ? options_.level : ZSTD_CLEVEL_DEFAULT);
      compressed = ZSTD_isError(n) ? 0 : n;
    }
    if (scratch_.capacity() > (8u << 20) && compressed == 0) std::string().swap(scratch_);
    if (compressed != 0 && compressed < value.size()) {
      stored = std::string_view(scratch_.data(), compressed);
      codec = options_.codec;
    }
    NoteCompression(compressed != 0 && compressed <= value.size() - value.size() / 8);
  }
  const size_t record_size = kHeaderSize + key.size() + stored.size();
  Result<ValuePointer> pointer = Reserve(record_size);
  if (!pointer.ok()) return pointer;
  const size_t at = pending_.size();
  pending_.resize(at + kHeaderSize);
  char* header = pending_.data() + at;
  StoreLittleEndian<uint32_t>(header + 8, static_cast<uint32_t>(key.size()));
  StoreLittleEndian<uint32_t>(header + 12, static_cast<uint32_t>(stored.size()));
  StoreLittleEndian<uint32_t>(header + 16, static_cast<uint32_t>(value.size()));
  header[20] = static_cast<char>(codec);
  pending_.append(key);
  pending_.append(stored);
  StoreLittleEndian<uint64_t>(pending_.data() + at, XXH3_64bits(pending_.data() + at + 8, record_size - 8));
  return pointer;
}

bool ValueLog::SkipCompression() {
  if (compression_skips_left_ == 0) return false;
  --compression_skips_left_;
  return true;
}

void ValueLog::NoteCompression(bool paid_off) {
  if (paid_off) {
    compression_backoff_ = 0;
    return;
  }
  // Incompressible data (media, encrypted or already compressed values) costs a full
  // attempt for nothing: after each miss, skip twice as many values (up to 64) before
  // trying again. One value that compresses ends the back-off.
  compression_backoff_ = std::min<uint32_t>(compression_backoff_ == 0 ? 1 : compression_backoff_ * 2, 64);
  compression_skips_left_ = compression_backoff_;
}

void ValueLog::DiscardPending() { pending_.clear(); }

Result<ValuePointer> ValueLog::AppendRecord(const RecordView& record) {
  Result<ValuePointer> pointer = Reserve(record.bytes.size());
  if (!pointer.ok()) return pointer;
  pending_.append(record.bytes);
  return pointer;
}

Status ValueLog::Commit() {
  if (pending_.empty()) return Status::Ok();
  const char* data = pending_.data();
  size_t left = pending_.size();
  uint64_t offset = pending_offset_;
  Status status = Status::Ok();
  while (left > 0) {
    const ssize_t wrote = ::pwrite(active_->fd, data, left, static_cast<off_t>(offset));
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      status = Status::IoError(Errno("cannot write value log file", active_->path));
      break;
    }
    data += wrote;
    left -= static_cast<size_t>(wrote);
    offset += static_cast<uint64_t>(wrote);
  }
  if (status.ok() && options_.sync && ::fdatasync(active_->fd) != 0) {
    status = Status::IoError(Errno("cannot sync value log file", active_->path));
  }
  if (!status.ok()) {
    // Cut off what reached the file, so that later records follow whole ones (a walk
    // stops at the first damaged record). If even that fails, the file is sealed.
    if (offset != pending_offset_ && ::ftruncate(active_->fd, static_cast<off_t>(pending_offset_)) != 0) {
      total_bytes_.fetch_add(offset - pending_offset_);
      active_->size.store(offset, std::memory_order_release);
      pending_.clear();
      Seal();
      return status;
    }
    pending_.clear();
    return status;
  }
  total_bytes_.fetch_add(pending_.size(), std::memory_order_relaxed);
  pending_offset_ += pending_.size();
  active_->size.store(pending_offset_, std::memory_order_release);
  if (options_.sync) active_->synced.store(pending_offset_, std::memory_order_release);
  pending_.clear();
  if (pending_.capacity() > (8u << 20)) std::string().swap(pending_);  // after a huge value
  if (scratch_.capacity() > (8u << 20)) std::string().swap(scratch_);
  return Status::Ok();
}

Status ValueLog::SyncAll() {
  std::vector<std::shared_ptr<File>> files;
  {
    std::shared_lock lock(files_mu_);
    for (const auto& [number, file] : files_) {
      if (file->synced.load(std::memory_order_acquire) < file->size.load(std::memory_order_acquire)) {
        files.push_back(file);
      }
    }
  }
  for (const std::shared_ptr<File>& file : files) {
    const uint64_t size = file->size.load(std::memory_order_acquire);
    if (::fdatasync(file->fd) != 0) return Status::IoError(Errno("cannot sync value log file", file->path));
    uint64_t synced = file->synced.load();
    while (synced < size && !file->synced.compare_exchange_weak(synced, size)) {
    }
  }
  return Status::Ok();
}

std::shared_ptr<ValueLog::File> ValueLog::Find(uint64_t number) const {
  std::shared_lock lock(files_mu_);
  auto it = files_.find(number);
  return it == files_.end() ? nullptr : it->second;
}

Status ValueLog::Read(const ValuePointer& pointer, std::string_view key,
                      const std::function<char*(size_t)>& allocate) const {
  RunHook(TestPoint::kBeforeRead);
  std::shared_ptr<File> file = Find(pointer.file);
  if (file == nullptr) return Status::NotFound();
  RunHook(TestPoint::kFileFound);
  if (!FitsWithin(pointer.offset, pointer.size, file->size.load(std::memory_order_acquire))) {
    return Status::IoError("value log: record past the end of " + file->path);
  }
  if (pointer.size > kDirectReadSize) return ReadLarge(*file, pointer, key, allocate);
  if (file->map != nullptr && FitsWithin(pointer.offset, pointer.size, file->map_size)) {
    return Decode(std::string_view(file->map + pointer.offset, pointer.size), pointer, key, allocate, file->path);
  }
  // Ordinary values are read into one buffer per thread, checked, then copied out.
  thread_local std::string bytes;
  bytes.resize(pointer.size);
  if (!ReadAt(file->fd, bytes.data(), pointer.size, pointer.offset)) {
    return Status::IoError(Errno("cannot read value log file", file->path));
  }
  return Decode(bytes, pointer, key, allocate, file->path);
}

Status ValueLog::ReadLarge(const File& file, const ValuePointer& pointer, std::string_view key,
                           const std::function<char*(size_t)>& allocate) const {
  // The header and key first; an uncompressed value then goes straight into its
  // destination (no second copy of a value of up to 1 GiB), checked as it lies there.
  char header[kHeaderSize];
  if (!ReadAt(file.fd, header, kHeaderSize, pointer.offset)) {
    return Status::IoError(Errno("cannot read value log file", file.path));
  }
  const uint32_t key_size = LoadLittleEndian<uint32_t>(header + 8);
  const uint32_t stored_size = LoadLittleEndian<uint32_t>(header + 12);
  const uint32_t original_size = LoadLittleEndian<uint32_t>(header + 16);
  const auto codec = static_cast<ValueCodecKind>(header[20]);
  const std::string where = " at " + std::to_string(pointer.offset) + " of " + file.path;
  if (kHeaderSize + static_cast<uint64_t>(key_size) + stored_size != pointer.size || key_size != key.size()) {
    return Status::IoError("value log: damaged record" + where);
  }
  if (codec != ValueCodecKind::kNone) {
    std::string bytes(pointer.size, '\0');
    if (!ReadAt(file.fd, bytes.data(), pointer.size, pointer.offset)) {
      return Status::IoError(Errno("cannot read value log file", file.path));
    }
    return Decode(bytes, pointer, key, allocate, file.path);
  }
  if (original_size != stored_size) return Status::IoError("value log: damaged record" + where);
  std::string stored_key(key_size, '\0');
  if (!ReadAt(file.fd, stored_key.data(), key_size, pointer.offset + kHeaderSize) || stored_key != key) {
    return Status::IoError("value log: damaged record" + where);
  }
  char* out = allocate(stored_size);
  if (out == nullptr) return Status::OutOfMemory();
  if (!ReadAt(file.fd, out, stored_size, pointer.offset + kHeaderSize + key_size)) {
    return Status::IoError(Errno("cannot read value log file", file.path));
  }
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, header + 8, kHeaderSize - 8);
  XXH3_64bits_update(state, stored_key.data(), stored_key.size());
  XXH3_64bits_update(state, out, stored_size);
  const uint64_t sum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  if (sum != LoadLittleEndian<uint64_t>(header)) return Status::IoError("value log: damaged record" + where);
  return Status::Ok();
}

std::vector<uint64_t> ValueLog::SealedFiles() const {
  std::shared_lock lock(files_mu_);
  std::vector<uint64_t> sealed;
  for (const auto& [number, file] : files_) {
    if (file != active_) sealed.push_back(number);
  }
  return sealed;
}

void ValueLog::Seal() {
  if (!pending_.empty()) return;
  std::unique_lock lock(files_mu_);
  active_ = nullptr;
}

uint64_t ValueLog::FileBytes(uint64_t file) const {
  std::shared_ptr<File> found = Find(file);
  return found == nullptr ? 0 : found->size.load(std::memory_order_acquire);
}

Status ValueLog::ForEachRecord(uint64_t number, const std::function<void(const RecordView&)>& visit,
                               bool* whole_file) const {
  bool ignored = false;
  bool& whole = whole_file != nullptr ? *whole_file : ignored;
  whole = false;
  std::shared_ptr<File> file = Find(number);
  if (file == nullptr) return Status::NotFound();
  const uint64_t end = file->size.load(std::memory_order_acquire);
  std::string chunk;
  uint64_t offset = 0;
  while (offset < end) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(end - offset, 1u << 20));
    chunk.resize(want);
    if (!ReadAt(file->fd, chunk.data(), want, offset)) {
      return Status::IoError(Errno("cannot read value log file", file->path));
    }
    size_t at = 0;
    while (at < chunk.size()) {
      size_t size = 0;
      const std::optional<ParsedRecord> record = ParseRecord(std::string_view(chunk).substr(at), &size);
      if (!record) {
        const size_t remaining = chunk.size() - at;
        const bool cut_by_chunk = size == 0 ? remaining < kHeaderSize && offset + at + kHeaderSize <= end
                                            : size > remaining && offset + at + size <= end;
        if (!cut_by_chunk) return Status::Ok();  // damaged, or torn at the file's end: stop
        break;  // runs past this chunk: read again from the record's start
      }
      visit(RecordView{record->key, std::string_view(chunk).substr(at, size),
                       ValuePointer{number, offset + at, static_cast<uint32_t>(size)}});
      at += size;
    }
    if (at == 0) {
      // One record larger than the chunk: read it whole.
      size_t size = 0;
      ParseRecord(chunk, &size);
      chunk.resize(size);
      if (!ReadAt(file->fd, chunk.data(), size, offset)) {
        return Status::IoError(Errno("cannot read value log file", file->path));
      }
      const std::optional<ParsedRecord> record = ParseRecord(chunk, &size);
      if (!record) return Status::Ok();
      visit(RecordView{record->key, chunk, ValuePointer{number, offset, static_cast<uint32_t>(size)}});
      at = size;
    }
    offset += at;
  }
  whole = true;
  return Status::Ok();
}

Status ValueLog::DropFile(uint64_t number) {
  std::shared_ptr<File> file;
  {
    std::unique_lock lock(files_mu_);
    auto it = files_.find(number);
    if (it == files_.end()) return Status::Ok();
    if (it->second == active_) return Status::InvalidArgument("value log: the file being written cannot be dropped");
    file = std::move(it->second);
    files_.erase(it);
    UpdateOldest();
  }
  total_bytes_.fetch_sub(file->size.load(), std::memory_order_relaxed);
  // Unlinked now; readers still holding the file keep its descriptor until they finish.
  if (::unlink(file->path.c_str()) != 0 && errno != ENOENT) {
    return Status::IoError(Errno("cannot delete value log file", file->path));
  }
  return Status::Ok();
}

}  // namespace ratmemcache::disk
