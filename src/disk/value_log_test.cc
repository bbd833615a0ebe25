#include "disk/value_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/scoped_temp_dir.h"

namespace ratmemcache::disk {
namespace {

// True if this process maps `path` (also once it is deleted: "path (deleted)").
bool IsMapped(const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find(path) != std::string::npos) return true;
  }
  return false;
}

// Every test runs twice: records read with pread, and through memory maps (mmap_reads).
class ValueLogTest : public ::testing::TestWithParam<bool> {
 protected:
  void Open(ValueCodecKind codec = ValueCodecKind::kNone, uint64_t file_size = 1 << 20) {
    log_.reset();
    ValueLog::Options options;
    options.dir = dir_.string();
    options.file_size = file_size;
    options.codec = codec;
    options.mmap_reads = GetParam();
    options.reserve = [this](uint64_t next) {
      reserved_ = next;
      return Status::Ok();
    };
    auto opened = ValueLog::Open(options, reserved_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    log_ = std::move(opened).value();
  }
  ValuePointer Add(std::string_view key, std::string_view value) {
    Result<ValuePointer> pointer = log_->Append(key, value);
    EXPECT_TRUE(pointer.ok());
    EXPECT_TRUE(log_->Commit().ok());
    return pointer.ok() ? *pointer : ValuePointer{};
  }
  // The value at `pointer`, or "<code N>" for an error.
  std::string Read(const ValuePointer& pointer, std::string_view key) {
    std::string value;
    Status status = log_->Read(pointer, key, [&](size_t size) {
      value.assign(size, '\0');
      return value.data();
    });
    if (!status.ok()) return Failed(status.code());
    return value;
  }
  // What Read returns for an error `code`.
  static std::string Failed(StatusCode code) { return "<code " + std::to_string(static_cast<int>(code)) + ">"; }
  static std::string Random(size_t size, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string value(size, '\0');
    for (char& c : value) c = static_cast<char>(rng());
    return value;
  }

  ScopedTempDir dir_{"vlog_test"};
  uint64_t reserved_ = 1;
  std::unique_ptr<ValueLog> log_;
};

TEST_P(ValueLogTest, ValuesReadBackWithEveryCodec) {
  for (ValueCodecKind codec : {ValueCodecKind::kNone, ValueCodecKind::kLz4, ValueCodecKind::kZstd}) {
    Open(codec);
    const std::string compressible(10000, 'z');
    const std::string random = Random(5000, 7);
    const ValuePointer a = Add("a", compressible);
    const ValuePointer b = Add("b", random);
    const ValuePointer empty = Add("e", "");
    EXPECT_EQ(Read(a, "a"), compressible);
    EXPECT_EQ(Read(b, "b"), random);
    EXPECT_EQ(Read(empty, "e"), "");
    if (codec != ValueCodecKind::kNone) {
      EXPECT_LT(a.size, 1000u) << "stored compressed";
    }
  }
}

// Incompressible values make the log skip compression attempts for a while; values that
// compress end the back-off, and every value reads back either way.
TEST_P(ValueLogTest, CompressionBacksOffOnIncompressibleValuesAndRecovers) {
  Open(ValueCodecKind::kLz4);
  std::vector<std::pair<ValuePointer, std::string>> written;
  for (int i = 0; i < 20; ++i) {
    std::string value = Random(4096, 100 + i);
    written.emplace_back(Add("r" + std::to_string(i), value), value);
  }
  const std::string compressible(4096, 'c');
  int stored_raw = 0;
  ValuePointer last;
  for (int i = 0; i < 200; ++i) {
    last = Add("c" + std::to_string(i), compressible);
    if (last.size > 4096) ++stored_raw;
    written.emplace_back(last, compressible);
  }
  EXPECT_GT(stored_raw, 0) << "attempts were skipped after the incompressible run";
  EXPECT_LE(stored_raw, 64);
  EXPECT_LT(last.size, 200u) << "compression resumed";
  for (size_t i = 0; i < written.size(); ++i) {
    const std::string key = (i < 20 ? "r" + std::to_string(i) : "c" + std::to_string(i - 20));
    ASSERT_EQ(Read(written[i].first, key), written[i].second) << key;
  }
}

TEST_P(ValueLogTest, PendingRecordsShareOneWriteAndPointersFollowEachOther) {
  Open();
  Result<ValuePointer> first = log_->Append("k1", "v1");
  Result<ValuePointer> second = log_->Append("k2", "v2");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(second->file, first->file);
  EXPECT_EQ(second->offset, first->offset + first->size);
  EXPECT_EQ(log_->TotalBytes(), 0u) << "nothing written before Commit";
  ASSERT_TRUE(log_->Commit().ok());
  EXPECT_EQ(log_->TotalBytes(), first->size + second->size);
  EXPECT_EQ(Read(*second, "k2"), "v2");
}

TEST_P(ValueLogTest, AWrongKeyOrADamagedRecordIsAnError) {
  Open();
  const ValuePointer pointer = Add("key", std::string(3000, 'v'));
  EXPECT_EQ(Read(pointer, "other"), Failed(StatusCode::kIoError));
  ValuePointer shifted = pointer;
  shifted.offset += 1;
  shifted.size -= 1;
  EXPECT_EQ(Read(shifted, "key"), Failed(StatusCode::kIoError));
  ValuePointer past = pointer;
  past.size += 100;
  EXPECT_EQ(Read(past, "key"), Failed(StatusCode::kIoError));
  ValuePointer wrapping = pointer;  // offset + size wraps around to a small number
  wrapping.offset = ~uint64_t{0} - 255;
  wrapping.size = 512;
  EXPECT_EQ(Read(wrapping, "key"), Failed(StatusCode::kIoError));
}

TEST_P(ValueLogTest, FilesRollOverAndAreWalkedAndDropped) {
  Open(ValueCodecKind::kNone, 64 << 10);
  std::vector<ValuePointer> pointers;
  for (int i = 0; i < 100; ++i) pointers.push_back(Add("key" + std::to_string(i), std::string(4000, 'a' + i % 26)));
  const std::vector<uint64_t> sealed = log_->SealedFiles();
  ASSERT_GE(sealed.size(), 5u);
  EXPECT_EQ(pointers.front().file, sealed.front());
  size_t walked = 0;
  for (uint64_t file : sealed) {
    ASSERT_TRUE(log_->ForEachRecord(file, [&](const ValueLog::RecordView& record) {
      EXPECT_EQ(record.key, "key" + std::to_string(walked));
      EXPECT_EQ(record.pointer, pointers[walked]);
      ++walked;
    }).ok());
  }
  EXPECT_GT(walked, 80u);
  const uint64_t before = log_->TotalBytes();
  ASSERT_TRUE(log_->DropFile(sealed.front()).ok());
  EXPECT_LT(log_->TotalBytes(), before);
  EXPECT_EQ(log_->OldestFile(), sealed[1]);
  EXPECT_EQ(Read(pointers.front(), "key0"), Failed(StatusCode::kNotFound));
  EXPECT_EQ(Read(pointers.back(), "key99"), std::string(4000, 'a' + 99 % 26));
}

TEST_P(ValueLogTest, RecordsLargerThanTheWalkChunkAreWalkedWhole) {
  Open(ValueCodecKind::kNone, 16 << 20);
  const std::string big = Random(3 << 20, 3);
  Add("small", "s");
  Add("big", big);
  Add("after", "a");
  log_->Seal();
  std::vector<std::string> keys;
  ASSERT_TRUE(log_->ForEachRecord(log_->SealedFiles().front(), [&](const ValueLog::RecordView& record) {
    keys.emplace_back(record.key);
  }).ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"small", "big", "after"}));
}

// A file cut short in the middle of a record (a crash mid-write): the walk stops before
// it, the records before it read back, and the log reopens.
TEST_P(ValueLogTest, ATornTailEndsTheWalk) {
  Open();
  const ValuePointer first = Add("first", std::string(2000, '1'));
  const ValuePointer second = Add("second", std::string(2000, '2'));
  const std::string path = ValueLog::FileName(dir_.string(), first.file);
  log_.reset();
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(second.offset + second.size / 2)), 0);
  Open();
  std::vector<std::string> keys;
  ASSERT_TRUE(log_->ForEachRecord(first.file, [&](const ValueLog::RecordView& record) {
    keys.emplace_back(record.key);
  }).ok());
  EXPECT_EQ(keys, std::vector<std::string>{"first"});
  EXPECT_EQ(Read(first, "first"), std::string(2000, '1'));
  EXPECT_EQ(Read(second, "second"), Failed(StatusCode::kIoError));
}

// Numbers are never reused, even when every file is gone: a stale pointer can never
// name a new file.
TEST_P(ValueLogTest, FileNumbersAreNeverReused) {
  Open();
  const ValuePointer old = Add("k", "old");
  log_->Seal();
  ASSERT_TRUE(log_->DropFile(old.file).ok());
  Open();  // reopen with the reserved floor: no file is left to count from
  const ValuePointer fresh = Add("k", "new");
  EXPECT_GT(fresh.file, old.file);
  EXPECT_EQ(Read(old, "k"), Failed(StatusCode::kNotFound));
}

// The last sealed file dropped (by collection, on another thread) while the writer
// starts the next file: the oldest number must stay at the new file, never pass it (the
// compaction filter drops every record pointing below it).
TEST_P(ValueLogTest, DroppingTheLastFileWhileANewOneStartsKeepsTheNewOneLive) {
  Open();
  const ValuePointer old = Add("old", "value");
  log_->Seal();
  struct Stage {
    ValueLog* log;
    uint64_t file;
    uint64_t oldest_after_drop = 0;  // what the dropping thread publishes to the filter
  } stage{log_.get(), old.file};
  ValueLog::SetHookForTesting(
      ValueLog::TestPoint::kStartingFile,
      [](void* context) {
        auto* stage = static_cast<Stage*>(context);
        ASSERT_TRUE(stage->log->DropFile(stage->file).ok());
        stage->oldest_after_drop = stage->log->OldestFile();
      },
      &stage);
  const ValuePointer fresh = Add("new", "value");
  ValueLog::SetHookForTesting(ValueLog::TestPoint::kStartingFile, nullptr, nullptr);
  EXPECT_EQ(stage.oldest_after_drop, fresh.file);
  EXPECT_EQ(log_->OldestFile(), fresh.file);
  EXPECT_EQ(Read(fresh, "new"), "value");
}

TEST_P(ValueLogTest, ReopenedFilesStayReadableAndNewWritesGoToANewFile) {
  Open();
  const ValuePointer a = Add("a", "alpha");
  Open();
  EXPECT_EQ(Read(a, "a"), "alpha");
  const ValuePointer b = Add("b", "beta");
  EXPECT_GT(b.file, a.file);
  EXPECT_EQ(log_->SealedFiles(), std::vector<uint64_t>{a.file});
}

// One commit may carry a file past its sealing size, and so past what a reader mapped
// ahead: those records read back too.
TEST_P(ValueLogTest, RecordsPastTheSealingSizeReadBack) {
  Open(ValueCodecKind::kNone, 64 << 10);
  std::vector<ValuePointer> pointers;
  for (int i = 0; i < 40; ++i) {
    Result<ValuePointer> pointer = log_->Append("key" + std::to_string(i), Random(4000, i));
    ASSERT_TRUE(pointer.ok());
    pointers.push_back(*pointer);
  }
  ASSERT_TRUE(log_->Commit().ok());
  ASSERT_EQ(pointers.front().file, pointers.back().file) << "one commit, one file";
  ASSERT_GT(pointers.back().offset, 64u << 10);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(Read(pointers[i], "key" + std::to_string(i)), Random(4000, i));
}

// Bytes changed on disk after the write (media damage, another process) are caught by
// the checksum, whichever way the record is read.
TEST_P(ValueLogTest, DamageOnDiskIsAnError) {
  Open();
  const ValuePointer pointer = Add("key", Random(3000, 1));
  const ValuePointer other = Add("other", Random(3000, 2));
  const std::string path = ValueLog::FileName(dir_.string(), pointer.file);
  FILE* file = std::fopen(path.c_str(), "r+b");
  ASSERT_NE(file, nullptr);
  const long at = static_cast<long>(pointer.offset + pointer.size - 10);
  ASSERT_EQ(std::fseek(file, at, SEEK_SET), 0);
  const int byte = std::fgetc(file);
  ASSERT_EQ(std::fseek(file, at, SEEK_SET), 0);
  std::fputc(byte ^ 0xff, file);
  std::fclose(file);
  EXPECT_EQ(Read(pointer, "key"), Failed(StatusCode::kIoError));
  EXPECT_EQ(Read(other, "other"), Random(3000, 2));
}

// With mmap_reads the files are mapped (and unmapped when the log closes); without, never.
TEST_P(ValueLogTest, FilesAreMappedOnlyWithMmapReads) {
  Open();
  const ValuePointer pointer = Add("key", "value");
  const std::string path = ValueLog::FileName(dir_.string(), pointer.file);
  EXPECT_EQ(IsMapped(path), GetParam());
  Open();  // reopened: the existing file is mapped at its size
  EXPECT_EQ(IsMapped(path), GetParam());
  EXPECT_EQ(Read(pointer, "key"), "value");
  log_.reset();
  EXPECT_FALSE(IsMapped(path)) << "unmapped at close";
}

// A file dropped (by collection, on another thread) while a read holds it: the read
// finishes from the file as it was, and the file's map goes when the read ends.
TEST_P(ValueLogTest, AFileDroppedDuringAReadStaysReadableUntilTheReadEnds) {
  Open();
  const std::string value = Random(3000, 5);
  const ValuePointer pointer = Add("key", value);
  log_->Seal();
  const std::string path = ValueLog::FileName(dir_.string(), pointer.file);
  struct Stage {
    ValueLog* log;
    uint64_t file;
    bool dropped = false;
  } stage{log_.get(), pointer.file};
  ValueLog::SetHookForTesting(
      ValueLog::TestPoint::kFileFound,
      [](void* context) {
        auto* stage = static_cast<Stage*>(context);
        stage->dropped = stage->log->DropFile(stage->file).ok();
      },
      &stage);
  const std::string read = Read(pointer, "key");
  ValueLog::SetHookForTesting(ValueLog::TestPoint::kFileFound, nullptr, nullptr);
  EXPECT_TRUE(stage.dropped);
  EXPECT_EQ(read, value);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(IsMapped(path)) << "the last reader unmaps it";
  EXPECT_EQ(Read(pointer, "key"), Failed(StatusCode::kNotFound));
}

INSTANTIATE_TEST_SUITE_P(Reads, ValueLogTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Mmap" : "Pread"; });

}  // namespace
}  // namespace ratmemcache::disk
