#pragma once

// WriteBehind: carries changes from the RAM tier to the persistent tier off the request
// path. It observes the RAM tier (stores, in-place changes, deletes, evictions of items not
// yet persisted), queues them in order, and a background thread writes them in batches.
// An index of the newest queued change per key lets readers see changes that have not
// reached the disk yet, so that a deleted or evicted item never disappears or comes back
// while it is in flight.
//
// Thread-safety: every method may be called from any thread. The RamObserver methods are
// called under a stripe lock and only take this object's own mutex (lock order: stripe,
// then this); the writer thread never takes a stripe lock.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/expiry_clock.h"
#include "common/flat_key_map.h"
#include "disk/disk_tier.h"
#include "ram/ram_tier.h"
#include "ratmemcache/item.h"

namespace ratmemcache::tiered {

class WriteBehind final : public ram::RamObserver {
 public:
  struct Options {
    uint32_t interval_ms = 100;               // longest a change waits before being written
    uint64_t max_pending_bytes = 64ull << 20; // writers wait above this (back-pressure)
    uint64_t max_batch_bytes = 8ull << 20;    // bytes per disk write batch
  };
  struct Stats {
    uint64_t pending_items = 0;
    uint64_t pending_bytes = 0;
    uint64_t written = 0;     // records written (puts and deletes)
    uint64_t batches = 0;
    uint64_t demotions = 0;   // evicted items queued for the disk
    uint64_t errors = 0;      // failed batch writes (retried)
    bool failing = false;     // the last batch write failed (disk full, I/O error)
    // Changes not carried to the disk while it was failing and the queue was full: each
    // became a deletion there (the RAM copy stays; an older disk copy is never served).
    uint64_t dropped = 0;
  };
  enum class Pending : uint8_t { kNone, kPut, kDelete };

  // `disk` and `clock` must outlive this. `tick` runs on the writer thread at least every
  // `interval_ms`, however busy it is (may be empty). Nothing is written before Start().
  WriteBehind(disk::DiskTier* disk, const ExpiryClock* clock, const Options& options,
              std::function<void()> tick);
  // Starts the writer thread.
  void Start();
  ~WriteBehind() override;  // writes everything queued, then stops

  // ram::RamObserver
  void OnChanged(ram::Item* item) override { EnqueuePut(item, false); }
  void OnDeleted(std::string_view key) override { EnqueueDelete(key); }
  void OnEvicted(ram::Item* item) override { EnqueuePut(item, true); }

  // Queues the current bytes of `item` (takes a reference).
  void EnqueuePut(ram::Item* item, bool demotion);
  // Queues the deletion of `key`.
  void EnqueueDelete(std::string_view key);

  // The newest queued change of `key`. For kPut, `item` (if not null) receives the
  // queued item. `generation` (if not null) receives the generation at the same instant.
  Pending Find(std::string_view key, ItemHandle* item, uint64_t* generation = nullptr);
  // True when, since `generation` was read together with a kNone from Find(), nothing
  // reached the disk and no change of `key` was queued: a disk copy read in between is
  // current.
  bool Unchanged(std::string_view key, uint64_t generation);
  // True when `item` is still the newest queued change of `key`.
  bool IsNewestPut(std::string_view key, const ram::Item* item);

  // Blocks while more than max_pending_bytes wait (the disk cannot keep up). While the
  // disk is failing it does not block: changes beyond the bound are dropped (see
  // Stats::dropped) until twice the bound is queued, and then it returns OutOfMemory (the
  // store is refused; reads and the RAM tier keep working).
  Status WaitForRoom();
  // flush_all now: drops everything queued and empties the disk; writes still to come
  // with a CAS below `cas_boundary` stay invisible there. Serialized with the writer.
  Status FlushNow(uint64_t cas_boundary);
  // Delayed flush_all: hands the deadline (unix seconds) to the disk.
  Status FlushAt(int64_t deadline_unix);
  // Writes everything queued before returning.
  void Drain();
  Stats GetStats();

 private:
  struct Entry {
    uint64_t seq;
    ram::Item* item;  // null for a delete
    std::string deleted_key;
    size_t bytes;
  };
  struct IndexEntry {
    uint64_t seq;
    ram::Item* item;  // null for a delete
  };

  static std::string_view KeyOf(const Entry& entry) {
    return entry.item != nullptr ? entry.item->key() : std::string_view(entry.deleted_key);
  }
  // Makes `entry` the newest change of its key. REQUIRES: mu_ held.
  void Index(const Entry& entry);
  void Loop();
  // Writes one batch from the front of the queue; false when the queue was empty.
  bool WriteBatch();
  void ReleaseEntries(std::deque<Entry>& entries);

  disk::DiskTier* disk_;
  const ExpiryClock* clock_;
  const Options options_;
  std::function<void()> tick_;

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable room_cv_;
  std::deque<Entry> queue_;                                   // guarded by mu_
  FlatKeyMap<IndexEntry> index_;                              // guarded by mu_; keys point
                                                              // into queued entries
  uint64_t next_seq_ = 1;                                     // guarded by mu_
  uint64_t pending_bytes_ = 0;                                // guarded by mu_
  bool stop_ = false;                                         // guarded by mu_
  bool failing_ = false;  // the last batch write failed; guarded by mu_
  uint64_t failures_in_row_ = 0;                              // guarded by mu_
  Stats stats_;                                               // guarded by mu_
  uint64_t generation_ = 1;  // guarded by mu_; moves with every batch written and flush

  std::mutex write_mu_;  // held while a batch is being written, and by the flushes
  std::chrono::steady_clock::time_point last_tick_;  // writer thread only
  std::thread thread_;
};

}  // namespace ratmemcache::tiered
