#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/process_info.h"
#include "common/scoped_temp_dir.h"
#include "disk/disk_tier.h"
#include "disk/value_log.h"

namespace ratmemcache::disk {
namespace {

// A record read back into a string.
class StringSink final : public RecordSink {
 public:
  char* Allocate(const RecordMeta& meta, size_t size) override {
    meta_ = meta;
    value_.assign(size, '\0');
    return value_.data();
  }
  RecordMeta meta_;
  std::string value_;
};

class RocksDbTierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = dir_.string();
    options_.write_buffer_size = 256 << 10;
  }
  void TearDown() override { tier_.reset(); }
  void Open() {
    tier_.reset();
    auto opened = OpenRocksDbTier(options_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    tier_ = std::move(opened).value();
  }
  Status Put(std::string_view key, std::string_view value, RecordMeta meta = {}) {
    if (meta.stored_at == 0) meta.stored_at = UnixTimeNow();
    if (meta.cas == 0) meta.cas = ++next_cas_;
    DiskWrite write{DiskWrite::Kind::kPut, key, meta, value};
    return tier_->Write(std::span<const DiskWrite>(&write, 1));
  }
  Status Delete(std::string_view key) {
    DiskWrite write{DiskWrite::Kind::kDelete, key, {}, {}};
    return tier_->Write(std::span<const DiskWrite>(&write, 1));
  }
  std::string Get(std::string_view key, int64_t now = 0) {
    StringSink sink;
    Status status = tier_->Get(key, now ? now : UnixTimeNow(), &sink);
    if (status.code() == StatusCode::kNotFound) return "<miss>";
    EXPECT_TRUE(status.ok()) << status.ToString();
    return sink.value_;
  }

  ScopedTempDir dir_{"l2_test"};
  L2Options options_;
  std::unique_ptr<DiskTier> tier_;
  uint64_t next_cas_ = 0;
};

TEST_F(RocksDbTierTest, PutGetDeleteAndMetadata) {
  Open();
  EXPECT_EQ(Get("k"), "<miss>");
  ASSERT_TRUE(Put("k", std::string("a\0b", 3), RecordMeta{7, 0, 0, 42}).ok());
  StringSink sink;
  ASSERT_TRUE(tier_->Get("k", UnixTimeNow(), &sink).ok());
  EXPECT_EQ(sink.value_, std::string("a\0b", 3));
  EXPECT_EQ(sink.meta_.flags, 7u);
  EXPECT_EQ(sink.meta_.cas, 42u);
  ASSERT_TRUE(Put("empty", "").ok());
  EXPECT_EQ(Get("empty"), "");
  ASSERT_TRUE(Delete("k").ok());
  EXPECT_EQ(Get("k"), "<miss>");
  ASSERT_TRUE(tier_->PutMeta("cas", "12345").ok());
  EXPECT_EQ(*tier_->GetMeta("cas"), "12345");
  EXPECT_EQ(tier_->GetMeta("nope").code(), StatusCode::kNotFound);
  DiskStats stats = tier_->Stats();
  EXPECT_GE(stats.gets, 4u);
  EXPECT_EQ(stats.writes, 3u);
}

TEST_F(RocksDbTierTest, MemoryOnlyGetsAnswerFromMemtablesOrSayWouldBlock) {
  options_.block_cache_size = 0;  // files are the only other place
  Open();
  ASSERT_TRUE(Put("fresh", "in the memtable").ok());
  StringSink sink;
  ASSERT_TRUE(tier_->Get("fresh", UnixTimeNow(), &sink, true).ok());
  EXPECT_EQ(sink.value_, "in the memtable");
  Open();  // the close writes the memtable out as a table file
  StringSink again;
  EXPECT_EQ(tier_->Get("fresh", UnixTimeNow(), &again, true).code(), StatusCode::kWouldBlock);
  EXPECT_EQ(Get("fresh"), "in the memtable");  // a blocking get reads the file
  const DiskStats stats = tier_->Stats();
  EXPECT_EQ(stats.gets, 1u);  // the memory-only attempt that could not answer is not a get
  EXPECT_EQ(stats.hits, 1u);
}

TEST_F(RocksDbTierTest, SurvivesReopenUnlessClearedOnStartup) {
  Open();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(Put("key" + std::to_string(i), std::string(100, 'v')).ok());
  ASSERT_TRUE(tier_->PutMeta("cas", "1000").ok());
  Open();  // closes and reopens
  EXPECT_EQ(Get("key999"), std::string(100, 'v'));
  EXPECT_EQ(*tier_->GetMeta("cas"), "1000");
  options_.clear_on_startup = true;
  Open();
  EXPECT_EQ(Get("key999"), "<miss>");
}

// Small values live in the sorted tables, large ones in the value log: the compaction
// filter must judge both.
TEST_F(RocksDbTierTest, ExpiredRecordsAreNeverServedAndCompactedAway) {
  Open();
  const int64_t now = UnixTimeNow();
  const std::string large(2000, 'b');
  for (int i = 0; i < 100; ++i) {
    const std::string& value = i % 2 == 0 ? large : std::string("v");
    ASSERT_TRUE(Put("e" + std::to_string(i), value, RecordMeta{0, now + 1, now, 0}).ok());
  }
  ASSERT_TRUE(Put("forever", "v").ok());
  ASSERT_TRUE(Put("forever-large", large).ok());
  EXPECT_EQ(Get("e1", now), "v");
  EXPECT_EQ(Get("e2", now), large);
  EXPECT_EQ(Get("e1", now + 1), "<miss>");
  EXPECT_EQ(Get("e2", now + 1), "<miss>");
  // Compaction runs the filter with the real clock: wait until the records have expired.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  ASSERT_TRUE(tier_->CompactAll().ok());
  EXPECT_EQ(tier_->Stats().expired_dropped, 100u);
  EXPECT_EQ(Get("forever"), "v");
  EXPECT_EQ(Get("forever-large"), large);
}

size_t CountFiles(const std::filesystem::path& dir, std::string_view extension) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == extension) ++count;
  }
  return count;
}

TEST_F(RocksDbTierTest, LargeValuesGoToTheValueLogWhichCountsAndIsCleared) {
  options_.enable_compression = false;  // keep the byte count predictable
  Open();
  const std::string small(100, 's');
  const std::string large(options_.blob_min_size, 'L');
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(Put("small" + std::to_string(i), small).ok());
    ASSERT_TRUE(Put("large" + std::to_string(i), large).ok());
  }
  EXPECT_GE(CountFiles(dir_.path(), ".vlog"), 1u);
  EXPECT_GE(tier_->Stats().disk_bytes, 500 * large.size()) << "value-log files are counted";
  ASSERT_TRUE(tier_->CompactAll().ok());  // every value live: nothing moves
  EXPECT_GE(tier_->Stats().disk_bytes, 500 * large.size());
  Open();  // reopen: values are read back from the value log
  EXPECT_EQ(Get("large499"), large);
  EXPECT_EQ(Get("small499"), small);
  options_.clear_on_startup = true;
  Open();
  EXPECT_EQ(CountFiles(dir_.path(), ".vlog"), 0u);
  EXPECT_EQ(Get("large499"), "<miss>");
}

TEST_F(RocksDbTierTest, TheValueLogCanBeTurnedOff) {
  options_.blob_min_size = 0;
  Open();
  ASSERT_TRUE(Put("large", std::string(100000, 'L')).ok());
  ASSERT_TRUE(tier_->CompactAll().ok());
  EXPECT_EQ(CountFiles(dir_.path(), ".vlog"), 0u);
  EXPECT_EQ(Get("large"), std::string(100000, 'L'));
}

// Overwritten, deleted and expired values leave dead records; compaction rewrites what is
// live into a new file and deletes the old ones, and every live value reads back whole.
TEST_F(RocksDbTierTest, CompactionReclaimsDeadValueLogRecords) {
  options_.enable_compression = false;
  Open();
  const std::string old_value(3000, 'o');
  const std::string new_value(3000, 'n');
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(Put("k" + std::to_string(i), old_value).ok());
  for (int i = 0; i < 300; i += 2) ASSERT_TRUE(Put("k" + std::to_string(i), new_value).ok());
  for (int i = 1; i < 300; i += 4) ASSERT_TRUE(Delete("k" + std::to_string(i)).ok());
  const uint64_t before = tier_->Stats().disk_bytes;
  ASSERT_TRUE(tier_->CompactAll().ok());
  const uint64_t after = tier_->Stats().disk_bytes;
  EXPECT_LT(after, before * 2 / 3) << before << " -> " << after;
  for (int i = 0; i < 300; ++i) {
    const std::string expected = i % 2 == 0 ? new_value : (i % 4 == 1 ? "<miss>" : old_value);
    ASSERT_EQ(Get("k" + std::to_string(i)), expected) << i;
  }
  Open();
  EXPECT_EQ(Get("k298"), new_value);
  EXPECT_EQ(Get("k299"), old_value);
  EXPECT_EQ(Get("k297"), "<miss>");
}

// Collection moves values while readers look them up: a reader that read a pointer into
// a file collected just then must find the value at its new place, never miss it.
TEST_F(RocksDbTierTest, AReadRacingCollectionFindsTheMovedValue) {
  options_.enable_compression = false;
  Open();
  const std::string stable(2000, 's');
  ASSERT_TRUE(Put("stable", stable).ok());
  ASSERT_TRUE(Put("churn", std::string(2000, 'a')).ok());
  // Between the reader's lookup and its file read: the churn key's old value dies, and a
  // collection moves "stable" to a new file and deletes the old one.
  struct Stage {
    std::function<void()> action;
    bool done = false;
  } stage{[this] {
    ASSERT_TRUE(Put("churn", std::string(2000, 'b')).ok());
    ASSERT_TRUE(tier_->CompactAll().ok());
  }};
  ValueLog::SetHookForTesting(
      ValueLog::TestPoint::kBeforeRead,
      [](void* context) {
        auto* stage = static_cast<Stage*>(context);
        if (stage->done) return;
        stage->done = true;
        stage->action();
      },
      &stage);
  const std::string got = Get("stable");
  ValueLog::SetHookForTesting(ValueLog::TestPoint::kBeforeRead, nullptr, nullptr);
  EXPECT_TRUE(stage.done);
  EXPECT_EQ(got, stable);
}

// The same under real concurrency: a reader thread checks every value while collections
// move them (also a data-race check under ThreadSanitizer).
TEST_F(RocksDbTierTest, ReadsRacingCollectionNeverMissAValue) {
  options_.enable_compression = false;
  Open();
  const std::string stable(2000, 's');
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Put("stable" + std::to_string(i), stable).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> misses{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    for (int i = 0; !stop.load(); i = (i + 1) % 100) {
      StringSink sink;
      const Status status = tier_->Get("stable" + std::to_string(i), UnixTimeNow(), &sink);
      if (!status.ok() || sink.value_ != stable) misses.fetch_add(1);
      reads.fetch_add(1);
    }
  });
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(Put("churn" + std::to_string(i), std::string(2000, 'a' + round % 26)).ok());
    ASSERT_TRUE(tier_->CompactAll().ok());  // every file has dead records: the stable values move
  }
  stop = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(misses.load(), 0);
}

// A file damaged in the middle (a power loss without sync_writes) is not collected by
// CompactAll: the records after the damage are still served.
TEST_F(RocksDbTierTest, CompactionLeavesADamagedValueFileAlone) {
  options_.enable_compression = false;
  Open();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Put("k" + std::to_string(i), std::string(3000, 'a' + i)).ok());
  ASSERT_TRUE(Delete("k0").ok());  // a dead record: the file is worth collecting
  tier_.reset();
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (entry.path().extension() != ".vlog" || entry.file_size() == 0) continue;
    std::fstream file(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(entry.file_size() / 2));
    file.put('X');
  }
  Open();
  ASSERT_TRUE(tier_->CompactAll().ok());
  EXPECT_EQ(Get("k19"), std::string(3000, 'a' + 19)) << "a record after the damage";
  EXPECT_EQ(Get("k1"), std::string(3000, 'a' + 1)) << "a record before it";
}

// ScanKeys walks every live key in order, from the tables and from the (hash) memtable
// alike, large values and small.
TEST_F(RocksDbTierTest, ScanKeysSeesEveryLiveKeyInOrder) {
  Open();
  const int64_t now = UnixTimeNow();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(Put("old" + std::to_string(100 + i), i % 2 ? "v" : std::string(1000, 'v')).ok());
  Open();  // those are in a table file now
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(Put("new" + std::to_string(100 + i), i % 2 ? "v" : std::string(1000, 'v')).ok());
  ASSERT_TRUE(Delete("old100").ok());
  ASSERT_TRUE(Delete("new100").ok());
  ASSERT_TRUE(Put("expired", "v", RecordMeta{0, now - 1, now, 0}).ok());
  std::vector<std::string> keys;
  ASSERT_TRUE(tier_->ScanKeys(now, [&](std::string_view key) { keys.emplace_back(key); }).ok());
  std::vector<std::string> expected;
  for (int i = 1; i < 50; ++i) expected.push_back("new" + std::to_string(100 + i));
  for (int i = 1; i < 50; ++i) expected.push_back("old" + std::to_string(100 + i));
  EXPECT_EQ(keys, expected);
}

// A damaged value-log record is reported, never served.
TEST_F(RocksDbTierTest, DamagedValueLogRecordIsNotServed) {
  options_.enable_compression = false;
  Open();
  ASSERT_TRUE(Put("big", std::string(5000, 'b')).ok());
  tier_.reset();
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (entry.path().extension() != ".vlog" || entry.file_size() == 0) continue;
    std::fstream file(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.put('X');
  }
  Open();
  StringSink sink;
  EXPECT_EQ(tier_->Get("big", UnixTimeNow(), &sink).code(), StatusCode::kIoError);
}

// The files in the data directory whose names end with `suffix` ("" for all) that
// this process has mapped.
size_t MappedFilesOf(const std::filesystem::path& dir, std::string_view suffix = "") {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> files;
  for (std::string line; std::getline(maps, line);) {
    const size_t at = line.find(dir.string());
    if (at != std::string::npos && line.ends_with(suffix)) files.insert(line.substr(at));
  }
  return files.size();
}

class RocksDbTierMmapTest : public RocksDbTierTest, public ::testing::WithParamInterface<bool> {};

TEST_P(RocksDbTierMmapTest, ReadsGoThroughMemoryMapsOnlyWhenAsked) {
  options_.mmap_reads = GetParam();
  Open();
  ASSERT_TRUE(Put("large", std::string(100000, 'L')).ok());
  ASSERT_TRUE(Put("small", "s").ok());
  ASSERT_TRUE(tier_->CompactAll().ok());  // into a table file
  EXPECT_EQ(Get("large"), std::string(100000, 'L'));
  EXPECT_EQ(Get("small"), "s");
  if (GetParam()) {
    EXPECT_GE(MappedFilesOf(dir_.path(), ".sst"), 1u) << "a table file";
    EXPECT_GE(MappedFilesOf(dir_.path(), ".vlog"), 1u) << "a value-log file";
  } else {
    EXPECT_EQ(MappedFilesOf(dir_.path()), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(MmapOnOff, RocksDbTierMmapTest, ::testing::Bool());

TEST_F(RocksDbTierTest, FlushNowAndDelayed) {
  Open();
  ASSERT_TRUE(Put("a", "1", RecordMeta{0, 0, 0, 10}).ok());
  const int64_t now = UnixTimeNow();
  ASSERT_TRUE(tier_->FlushNow(11).ok());
  EXPECT_EQ(Get("a"), "<miss>");
  // A write already on its way when the flush came (CAS below the boundary) stays hidden.
  ASSERT_TRUE(Put("late", "x", RecordMeta{0, 0, 0, 10}).ok());
  EXPECT_EQ(Get("late"), "<miss>");
  ASSERT_TRUE(Put("b", "2", RecordMeta{0, 0, now, 12}).ok());
  EXPECT_EQ(Get("b"), "2");
  ASSERT_TRUE(tier_->FlushAt(now + 10).ok());
  EXPECT_EQ(Get("b", now + 9), "2");
  EXPECT_EQ(Get("b", now + 10), "<miss>");
  ASSERT_TRUE(Put("c", "3", RecordMeta{0, 0, now + 11, 13}).ok());
  EXPECT_EQ(Get("c", now + 12), "3") << "stored after the deadline";
  Open();  // the deadline and the boundary are persistent
  EXPECT_EQ(Get("b", now + 10), "<miss>");
  EXPECT_EQ(Get("late"), "<miss>");
  EXPECT_EQ(Get("c", now + 12), "3");
}

TEST_F(RocksDbTierTest, SizeLimitDropsTheOldestWrites) {
  options_.max_disk_size = 2 << 20;
  options_.enable_compression = false;  // keep the byte count predictable
  Open();
  std::mt19937 rng(1);
  std::string value(4000, 'x');
  for (char& c : value) c = static_cast<char>(rng());
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(Put("key" + std::to_string(i), value).ok());  // ~8 MB
  for (int round = 0; round < 10 && tier_->Stats().disk_bytes > options_.max_disk_size; ++round) {
    ASSERT_TRUE(tier_->EnforceSizeLimit().ok());
  }
  DiskStats stats = tier_->Stats();
  EXPECT_LE(stats.disk_bytes, options_.max_disk_size);
  EXPECT_GT(stats.evicted_for_size, 0u);
  EXPECT_EQ(Get("key0"), "<miss>") << "the oldest write went first";
  EXPECT_EQ(Get("key1999"), value) << "the newest write stayed";
}

TEST_F(RocksDbTierTest, OptionsAreValidated) {
  struct Case {
    void (*mutate)(L2Options&);
    const char* fragment;
  };
  for (const Case& c : {
           Case{[](L2Options& o) { o.data_dir = ""; }, "l2.data_dir"},
           Case{[](L2Options& o) { o.max_disk_size = 1000; }, "l2.max_disk_size"},
           Case{[](L2Options& o) { o.write_buffer_size = 10; }, "l2.write_buffer_size"},
           Case{[](L2Options& o) { o.max_write_buffer_number = 1; }, "l2.max_write_buffer_number"},
           Case{[](L2Options& o) { o.background_threads = 0; }, "l2.background_threads"},
           Case{[](L2Options& o) { o.blob_min_size = 2ull << 30; }, "l2.blob_min_size"},
           Case{[](L2Options& o) { o.compression = "snappy"; }, "l2.compression"},
           Case{[](L2Options& o) { o.compression_level = 13; }, "l2.compression_level"},
           Case{[](L2Options& o) {
                  o.enable_compression = false;
                  o.compression_level = 3;
                },
                "needs l2.enable_compression"},
       }) {
    L2Options options = options_;
    c.mutate(options);
    Status status = ValidateL2Options(options);
    ASSERT_FALSE(status.ok()) << c.fragment;
    EXPECT_NE(status.message().find(c.fragment), std::string::npos) << status.message();
  }
  L2Options zstd = options_;
  zstd.compression = "zstd";
  zstd.compression_level = 19;
  EXPECT_TRUE(ValidateL2Options(zstd).ok());
}

TEST_F(RocksDbTierTest, UnusableDirectoryIsAClearError) {
  const std::filesystem::path file = dir_.path() / "a_file";
  std::ofstream(file) << "not a directory";
  options_.data_dir = file.string();
  auto opened = OpenRocksDbTier(options_);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find(file.string()), std::string::npos);
}

TEST_F(RocksDbTierTest, CompressionSettingsOpen) {
  for (auto [algorithm, level] : {std::pair{"lz4", 0}, std::pair{"lz4", 6}, std::pair{"zstd", 3}}) {
    options_.compression = algorithm;
    options_.compression_level = level;
    options_.clear_on_startup = true;
    Open();
    const uint64_t empty = tier_->Stats().disk_bytes;  // an empty memtable's own size
    ASSERT_TRUE(Put("k", std::string(10000, 'z')).ok());
    ASSERT_TRUE(tier_->CompactAll().ok());
    EXPECT_EQ(Get("k"), std::string(10000, 'z'));
    EXPECT_LT(tier_->Stats().disk_bytes, empty + 5000u) << algorithm << " compresses";
  }
}

// A RocksDB database that another program wrote is refused, not served or modified.
TEST_F(RocksDbTierTest, ForeignDatabaseIsRefused) {
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.string(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "user:42", "{\"name\": \"not ours\"}").ok());
  }
  auto opened = OpenRocksDbTier(options_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(opened.status().message().find("not a RatMemCache persistent tier"), std::string::npos);
}

// Our own database is marked, and a mark of a layout this build does not know is refused.
TEST_F(RocksDbTierTest, FormatMarkIsWrittenAndChecked) {
  Open();
  ASSERT_EQ(*tier_->GetMeta("format"), "2");
  ASSERT_TRUE(tier_->PutMeta("format", "1").ok());  // before the value log: read as it is
  Open();
  ASSERT_EQ(*tier_->GetMeta("format"), "2");
  ASSERT_TRUE(tier_->PutMeta("format", "99").ok());
  tier_.reset();
  auto opened = OpenRocksDbTier(options_);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("layout version 99"), std::string::npos);
}

// A folder of someone else's files never gets a database written into it.
TEST_F(RocksDbTierTest, DirectoryOfOtherFilesIsRefused) {
  std::ofstream(dir_.path() / "notes.txt") << "mine";
  auto opened = OpenRocksDbTier(options_);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("'notes.txt'"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "CURRENT"));
}

}  // namespace
}  // namespace ratmemcache::disk
