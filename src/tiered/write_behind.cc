#include "tiered/write_behind.h"

#include <vector>

#include "common/logging.h"
#include "common/process_info.h"
#include "tiered/value_codec.h"

namespace ratmemcache::tiered {
namespace {

// Rough memory of one queued change, for the back-pressure bound.
size_t EntryBytes(const ram::Item* item, std::string_view key) {
  return 64 + key.size() + (item != nullptr ? item->value_len : 0);
}

}  // namespace

WriteBehind::WriteBehind(disk::DiskTier* disk, const ExpiryClock* clock, const Options& options,
                         std::function<void()> tick)
    : disk_(disk), clock_(clock), options_(options), tick_(std::move(tick)) {}

void WriteBehind::Start() {
  last_tick_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { Loop(); });
}

WriteBehind::~WriteBehind() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Drain();
  std::deque<Entry> left;
  {
    std::lock_guard lock(mu_);
    left.swap(queue_);
    index_.Clear();
  }
  ReleaseEntries(left);
}

void WriteBehind::EnqueuePut(ram::Item* item, bool demotion) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (demotion) {
      // Evicted before the writer got to it: it is queued already, as this very item.
      const IndexEntry* newest = index_.Find(item->key());
      if (newest != nullptr && newest->item == item) {
        ++stats_.demotions;
        return;
      }
    }
    const size_t bytes = EntryBytes(item, item->key());
    if (failing_ && pending_bytes_ + bytes > options_.max_pending_bytes) {
      // The disk cannot take writes and the queue is full: this change will not reach
      // it. A deletion takes its place so that an older disk copy is never served (one
      // is enough: none is added when the key's newest change is a deletion already).
      ++stats_.dropped;
      const IndexEntry* newest = index_.Find(item->key());
      if (newest != nullptr && newest->item == nullptr) return;
      const size_t marker = EntryBytes(nullptr, item->key());
      queue_.push_back(Entry{next_seq_++, nullptr, std::string(item->key()), marker});
      Index(queue_.back());
      pending_bytes_ += marker;
      return;
    }
    ram::RetainItem(item);
    queue_.push_back(Entry{next_seq_++, item, {}, bytes});
    Index(queue_.back());
    pending_bytes_ += bytes;
    if (demotion) ++stats_.demotions;
    wake = pending_bytes_ >= options_.max_batch_bytes;
  }
  if (wake) work_cv_.notify_one();
}

void WriteBehind::EnqueueDelete(std::string_view key) {
  std::lock_guard lock(mu_);
  const size_t bytes = EntryBytes(nullptr, key);
  queue_.push_back(Entry{next_seq_++, nullptr, std::string(key), bytes});
  Index(queue_.back());
  pending_bytes_ += bytes;
}

void WriteBehind::Index(const Entry& entry) {
  // Put also replaces the stored key view: it must point into the newest entry, which
  // outlives the older one it replaces.
  index_.Put(KeyOf(entry), IndexEntry{entry.seq, entry.item});
}

bool WriteBehind::Unchanged(std::string_view key, uint64_t generation) {
  std::lock_guard lock(mu_);
  return generation_ == generation && index_.Find(key) == nullptr;
}

bool WriteBehind::IsNewestPut(std::string_view key, const ram::Item* item) {
  std::lock_guard lock(mu_);
  const IndexEntry* newest = index_.Find(key);
  return newest != nullptr && newest->item == item;
}

WriteBehind::Pending WriteBehind::Find(std::string_view key, ItemHandle* item,
                                       uint64_t* generation) {
  std::lock_guard lock(mu_);
  if (generation != nullptr) *generation = generation_;
  const IndexEntry* newest = index_.Find(key);
  if (newest == nullptr) return Pending::kNone;
  if (newest->item == nullptr) return Pending::kDelete;
  if (item != nullptr) {
    ram::RetainItem(newest->item);
    *item = ItemHandle(newest->item);
  }
  return Pending::kPut;
}

Status WriteBehind::WaitForRoom() {
  std::unique_lock lock(mu_);
  if (pending_bytes_ <= options_.max_pending_bytes) return Status::Ok();
  work_cv_.notify_one();
  room_cv_.wait(lock, [this] { return pending_bytes_ <= options_.max_pending_bytes || stop_ || failing_; });
  if (failing_ && pending_bytes_ > 2 * options_.max_pending_bytes) {
    return Status::OutOfMemory();  // the disk cannot write (the log says why) and the queue is full
  }
  return Status::Ok();
}

void WriteBehind::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    work_cv_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms), [this] {
      return stop_ || pending_bytes_ >= options_.max_batch_bytes;
    });
    lock.unlock();
    // Keep writing while there is work, but let the tick run on time even when the queue
    // never empties.
    while (WriteBatch()) {
      if (std::chrono::steady_clock::now() - last_tick_ >= std::chrono::milliseconds(options_.interval_ms)) {
        break;
      }
    }
    if (tick_) tick_();
    last_tick_ = std::chrono::steady_clock::now();
    lock.lock();
  }
}

bool WriteBehind::WriteBatch() {
  std::lock_guard write_lock(write_mu_);
  std::vector<disk::DiskWrite> writes;
  std::vector<std::pair<size_t, const ram::Item*>> compressed;  // (index in writes, item)
  size_t count = 0;
  {
    std::lock_guard lock(mu_);
    size_t bytes = 0;
    for (const Entry& entry : queue_) {
      if (count != 0 && bytes + entry.bytes > options_.max_batch_bytes) break;
      bytes += entry.bytes;
      ++count;
      disk::DiskWrite write;
      write.key = KeyOf(entry);
      if (entry.item == nullptr) {
        write.kind = disk::DiskWrite::Kind::kDelete;
      } else {
        const ram::Item* item = entry.item;
        const uint32_t expires = item->expires_at.load(std::memory_order_relaxed);
        write.meta.flags = item->flags;
        write.meta.expires_at = expires == ExpiryClock::kNever ? 0 : clock_->ToUnixTime(expires);
        write.meta.stored_at = clock_->ToUnixTime(item->last_access);
        write.meta.cas = item->cas;
        write.value = item->value();
        if (ram::HasState(item, ram::kItemCompressed)) compressed.emplace_back(writes.size(), item);
      }
      writes.push_back(write);
    }
  }
  if (count == 0) return false;
  // L2 gets the original bytes (RocksDB compresses its blocks itself). Decompressed here,
  // outside the queue's lock: only this thread removes entries, so the items stay put.
  std::deque<std::string> originals;
  for (const auto& [index, item] : compressed) {
    Result<std::string_view> value = ValueCodec::Original(item, &originals.emplace_back());
    if (value.ok()) {
      writes[index].value = *value;
    } else {
      Log().error("L2 write-behind: {}", value.status().message());
      writes[index].kind = disk::DiskWrite::Kind::kDelete;  // never persist damaged bytes
    }
  }
  // Entries at the front stay put while we write: only this thread (under write_mu_)
  // removes them, and appends do not move them.
  const Status written = disk_->Write(writes);
  std::deque<Entry> done;
  uint64_t attempt = 0;
  {
    std::lock_guard lock(mu_);
    if (!written.ok()) {
      ++stats_.errors;
      attempt = ++failures_in_row_;
      failing_ = true;
    } else {
      if (failing_) {
        Log().info("L2 write-behind: writes succeed again after {} failed attempts", failures_in_row_);
      }
      failing_ = false;
      failures_in_row_ = 0;
      for (size_t i = 0; i < count; ++i) {
        Entry& entry = queue_.front();
        const IndexEntry* newest = index_.Find(KeyOf(entry));
        const bool newest_change = newest != nullptr && newest->seq == entry.seq;
        if (newest_change) index_.Erase(KeyOf(entry));
        // Only the key's newest change makes its item persisted: an older one of the same
        // item (changed in place since, maybe by a change dropped as a deletion) does not.
        if (entry.item != nullptr && newest_change) entry.item->persisted.store(1, std::memory_order_relaxed);
        pending_bytes_ -= entry.bytes;
        done.push_back(std::move(entry));
        queue_.pop_front();
      }
      stats_.written += count;
      ++stats_.batches;
      ++generation_;  // any disk copy read before this batch may be stale now
    }
  }
  if (!written.ok()) {
    room_cv_.notify_all();  // stores stop waiting for a disk that is failing
    // Retried every 100 ms: said at the first failure and then once a minute.
    if (attempt == 1 || attempt % 600 == 0) {
      Log().warn("L2 write-behind: {} (attempt {}; retrying every 100 ms)", written.message(), attempt);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return false;
  }
  room_cv_.notify_all();
  ReleaseEntries(done);
  return true;
}

void WriteBehind::ReleaseEntries(std::deque<Entry>& entries) {
  for (Entry& entry : entries) {
    if (entry.item != nullptr) ram::ReleaseItem(entry.item);
  }
  entries.clear();
}

Status WriteBehind::FlushNow(uint64_t cas_boundary) {
  std::lock_guard write_lock(write_mu_);
  std::deque<Entry> dropped;
  {
    std::lock_guard lock(mu_);
    dropped.swap(queue_);
    index_.Clear();
    pending_bytes_ = 0;
    ++generation_;
  }
  room_cv_.notify_all();
  ReleaseEntries(dropped);
  Status flushed = disk_->FlushNow(cas_boundary);
  std::lock_guard lock(mu_);
  ++generation_;
  return flushed;
}

Status WriteBehind::FlushAt(int64_t deadline_unix) {
  std::lock_guard write_lock(write_mu_);
  Status flushed = disk_->FlushAt(deadline_unix);
  std::lock_guard lock(mu_);
  ++generation_;
  return flushed;
}

void WriteBehind::Drain() {
  for (int failures = 0; failures < 50;) {
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) return;
    }
    if (!WriteBatch()) ++failures;
  }
  Log().error("L2 write-behind: giving up on {} queued changes", GetStats().pending_items);
}

WriteBehind::Stats WriteBehind::GetStats() {
  std::lock_guard lock(mu_);
  Stats stats = stats_;
  stats.pending_items = queue_.size();
  stats.pending_bytes = pending_bytes_;
  stats.failing = failing_;
  return stats;
}

}  // namespace ratmemcache::tiered
