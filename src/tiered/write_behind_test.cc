// The write-behind queue on a real RocksDB tier: ordering, the index readers consult,
// the generation that guards promotions, flushes and the tick.

#include "tiered/write_behind.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "common/scoped_temp_dir.h"

namespace ratmemcache::tiered {
namespace {

class StringSink final : public disk::RecordSink {
 public:
  char* Allocate(const disk::RecordMeta&, size_t size) override {
    value.assign(size, '\0');
    return value.data();
  }
  std::string value;
};

// Fault injection in the tier interface: the real RocksDB tier, whose writes fail while
// `failing` is set (as on a full disk).
class FailingDisk final : public disk::DiskTier {
 public:
  explicit FailingDisk(disk::DiskTier* real) : real_(real) {}
  std::atomic<bool> failing{false};
  Status Write(std::span<const disk::DiskWrite> writes) override {
    if (failing) return Status::IoError("injected: No space left on device");
    return real_->Write(writes);
  }
  Status Get(std::string_view key, int64_t now, disk::RecordSink* sink, bool memory_only) override {
    return real_->Get(key, now, sink, memory_only);
  }
  Status FlushNow(uint64_t cas_boundary) override { return real_->FlushNow(cas_boundary); }
  Status FlushAt(int64_t deadline) override { return real_->FlushAt(deadline); }
  Status ScanKeys(int64_t now, const std::function<void(std::string_view)>& visit) override {
    return real_->ScanKeys(now, visit);
  }
  Status PutMeta(std::string_view name, std::string_view value) override { return real_->PutMeta(name, value); }
  Result<std::string> GetMeta(std::string_view name) override { return real_->GetMeta(name); }
  Status EnforceSizeLimit() override { return real_->EnforceSizeLimit(); }
  Status CompactAll() override { return real_->CompactAll(); }
  disk::DiskStats Stats() override { return real_->Stats(); }

 private:
  disk::DiskTier* real_;
};

class WriteBehindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    L2Options options;
    options.data_dir = dir_.string();
    disk_ = std::move(disk::OpenRocksDbTier(options)).value();
  }
  void TearDown() override {
    queue_.reset();
    disk_.reset();
  }
  void MakeQueue(std::function<void()> tick = {}, disk::DiskTier* disk = nullptr,
                 uint64_t max_pending_bytes = 64ull << 20) {
    WriteBehind::Options options;
    options.interval_ms = 20;
    options.max_pending_bytes = max_pending_bytes;
    queue_ = std::make_unique<WriteBehind>(disk != nullptr ? disk : disk_.get(), &clock_, options,
                                           std::move(tick));
  }
  void Put(std::string_view key, std::string_view value, uint64_t cas) {
    ram::Item* item = Item(key, value, cas);
    queue_->EnqueuePut(item, false);
    ram::ReleaseItem(item);
  }
  template <typename Predicate>
  bool WaitUntil(Predicate done) {
    for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return done();
  }
  ram::Item* Item(std::string_view key, std::string_view value, uint64_t cas) {
    ram::Item* item = ram::AllocateItem(key, static_cast<uint32_t>(value.size()), 0, 0);
    std::memcpy(item->value_data(), value.data(), value.size());
    item->cas = cas;
    item->last_access.store(clock_.Now());
    return item;
  }
  std::string OnDisk(std::string_view key) {
    StringSink sink;
    Status status = disk_->Get(key, clock_.ToUnixTime(clock_.Now()), &sink);
    return status.ok() ? sink.value : "<miss>";
  }

  ScopedTempDir dir_{"write_behind"};
  ExpiryClock clock_;
  std::unique_ptr<disk::DiskTier> disk_;
  std::unique_ptr<WriteBehind> queue_;
};

TEST_F(WriteBehindTest, IndexShowsTheNewestQueuedChange) {
  MakeQueue();  // not started: nothing is written
  ram::Item* v1 = Item("k", "v1", 1);
  ram::Item* v2 = Item("k", "v2", 2);
  queue_->EnqueuePut(v1, false);
  queue_->EnqueuePut(v2, false);
  ItemHandle found;
  EXPECT_EQ(queue_->Find("k", &found), WriteBehind::Pending::kPut);
  EXPECT_EQ(found.value(), "v2");
  EXPECT_TRUE(queue_->IsNewestPut("k", v2));
  EXPECT_FALSE(queue_->IsNewestPut("k", v1));
  queue_->EnqueueDelete("k");
  EXPECT_EQ(queue_->Find("k", nullptr), WriteBehind::Pending::kDelete);
  // Regression: promoting a queued item must check it is still the newest change.
  EXPECT_FALSE(queue_->IsNewestPut("k", v2));
  EXPECT_EQ(queue_->Find("other", nullptr), WriteBehind::Pending::kNone);
  queue_->Drain();
  EXPECT_EQ(OnDisk("k"), "<miss>") << "written in order: put, put, delete";
  EXPECT_EQ(queue_->Find("k", nullptr), WriteBehind::Pending::kNone);
  // Only a key's newest change marks its item persisted: here that is the delete.
  EXPECT_EQ(v2->persisted.load(), 0);
  ram::ReleaseItem(v1);
  ram::ReleaseItem(v2);
}

// Regression: an item evicted while its store was still queued was queued (and written)
// a second time.
TEST_F(WriteBehindTest, DemotionOfAnItemStillQueuedIsNotQueuedAgain) {
  MakeQueue();  // not started
  ram::Item* v1 = Item("k", "v1", 1);
  queue_->EnqueuePut(v1, false);
  queue_->EnqueuePut(v1, true);  // evicted before the writer got to it
  EXPECT_EQ(queue_->GetStats().pending_items, 1u);
  EXPECT_EQ(queue_->GetStats().demotions, 1u);
  queue_->Drain();
  EXPECT_EQ(queue_->GetStats().written, 1u);
  EXPECT_EQ(OnDisk("k"), "v1");
  ram::ReleaseItem(v1);
}

// Regression: the generation moved only on deletes, so a disk copy read before a newer
// put was written could be promoted over it.
TEST_F(WriteBehindTest, EveryWrittenBatchMovesTheGeneration) {
  MakeQueue();
  uint64_t generation = 0;
  EXPECT_EQ(queue_->Find("k", nullptr, &generation), WriteBehind::Pending::kNone);
  EXPECT_TRUE(queue_->Unchanged("k", generation));
  ram::Item* item = Item("k", "v", 1);
  queue_->EnqueuePut(item, false);
  EXPECT_FALSE(queue_->Unchanged("k", generation)) << "a change of the key is queued";
  queue_->Drain();
  EXPECT_FALSE(queue_->Unchanged("k", generation)) << "a batch reached the disk";
  EXPECT_EQ(OnDisk("k"), "v");
  ram::ReleaseItem(item);
}

TEST_F(WriteBehindTest, FlushNowDropsTheQueueAndHidesLateWrites) {
  MakeQueue();
  ram::Item* old_item = Item("old", "v", 5);
  queue_->EnqueuePut(old_item, false);
  ASSERT_TRUE(queue_->FlushNow(10).ok());
  EXPECT_EQ(queue_->GetStats().pending_items, 0u);
  queue_->EnqueuePut(old_item, false);  // e.g. evicted after the flush: CAS below 10
  ram::Item* fresh = Item("fresh", "v", 11);
  queue_->EnqueuePut(fresh, false);
  queue_->Drain();
  EXPECT_EQ(OnDisk("old"), "<miss>");
  EXPECT_EQ(OnDisk("fresh"), "v");
  ram::ReleaseItem(old_item);
  ram::ReleaseItem(fresh);
}

// Regression: the tick (which keeps the CAS reservation ahead) ran only when the queue
// emptied, so a steady write load stopped it.
TEST_F(WriteBehindTest, TickRunsUnderSteadyLoad) {
  std::atomic<int> busy_ticks{0};
  std::atomic<int> all_ticks{0};
  std::atomic<WriteBehind*> self{nullptr};
  MakeQueue([&] {
    ++all_ticks;
    // Ticked with work still queued?
    if (WriteBehind* queue = self.load(); queue && queue->GetStats().pending_items > 0) ++busy_ticks;
  });
  self = queue_.get();
  queue_->Start();
  // Keep the queue from ever emptying until a tick has happened in the middle of the
  // work (bounded, so the test ends either way).
  for (uint64_t i = 0; i < 300000 && busy_ticks == 0; ++i) {
    ram::Item* item = Item("k" + std::to_string(i % 1000), std::string(100, 'v'), i + 1);
    ASSERT_TRUE(queue_->WaitForRoom().ok());  // as the cache does before every store
    queue_->EnqueuePut(item, false);
    ram::ReleaseItem(item);
  }
  const int ticks = all_ticks.load();
  queue_.reset();  // the tick uses this test's locals: stop the thread first
  EXPECT_GE(busy_ticks.load(), 1) << "ticks: " << ticks;
}

// A failing disk (full, I/O errors) never blocks stores: changes beyond the queue's bound
// are dropped as deletions (an older disk copy is never served), stores are refused only
// past twice the bound, and writing resumes by itself when the disk works again.
TEST_F(WriteBehindTest, FailingDiskNeverBlocksAndNeverServesOlderCopies) {
  FailingDisk disk(disk_.get());
  MakeQueue({}, &disk, /*max_pending_bytes=*/64 << 10);
  queue_->Start();
  Put("old", "v1", 1);
  ASSERT_TRUE(WaitUntil([&] { return OnDisk("old") == "v1"; }));

  disk.failing = true;
  ASSERT_TRUE(WaitUntil([&] {
    Put("probe", "x", 2);
    return queue_->GetStats().failing;
  }));
  const std::string filler(1000, 'f');
  uint64_t cas = 10;
  while (queue_->GetStats().pending_bytes < (64u << 10)) {
    ASSERT_TRUE(queue_->WaitForRoom().ok());  // over the bound, a failing disk does not block
    Put("fill" + std::to_string(cas), filler, cas);
    ++cas;
  }
  ASSERT_TRUE(queue_->WaitForRoom().ok());
  Put("old", "v2", ++cas);  // dropped: the queue is full and the disk failing
  EXPECT_GE(queue_->GetStats().dropped, 1u);
  EXPECT_EQ(queue_->Find("old", nullptr), WriteBehind::Pending::kDelete);

  // Deletion markers are small, but they too are bounded: past twice the bound, stores
  // are refused.
  Status room = Status::Ok();
  for (int i = 0; i < 100000 && room.ok(); ++i) {
    room = queue_->WaitForRoom();
    if (room.ok()) Put("k" + std::to_string(i) + std::string(200, 'k'), "v", ++cas);
  }
  EXPECT_EQ(room.code(), StatusCode::kOutOfMemory);

  disk.failing = false;
  ASSERT_TRUE(WaitUntil([&] { return queue_->GetStats().pending_items == 0; }));
  EXPECT_FALSE(queue_->GetStats().failing);
  EXPECT_TRUE(queue_->WaitForRoom().ok());
  EXPECT_EQ(OnDisk("old"), "<miss>");  // v1 is not served in place of the dropped v2
  EXPECT_EQ(OnDisk("fill10"), filler);  // what was queued before the bound was written
}

}  // namespace
}  // namespace ratmemcache::tiered
