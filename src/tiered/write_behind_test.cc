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
  void MakeQueue(std::function<void()> tick = {}) {
    WriteBehind::Options options;
    options.interval_ms = 20;
    queue_ = std::make_unique<WriteBehind>(disk_.get(), &clock_, options, std::move(tick));
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
  EXPECT_EQ(v2->persisted.load(), 1);
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
    queue_->WaitForRoom();  // as the cache does before every store
    queue_->EnqueuePut(item, false);
    ram::ReleaseItem(item);
  }
  const int ticks = all_ticks.load();
  queue_.reset();  // the tick uses this test's locals: stop the thread first
  EXPECT_GE(busy_ticks.load(), 1) << "ticks: " << ticks;
}

}  // namespace
}  // namespace ratmemcache::tiered
