#include "ram/stripe_lock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace ratmemcache::ram {
namespace {

using namespace std::chrono_literals;

// Waits up to 10 s for `flag`; true when it was set.
bool WaitFor(const std::atomic<bool>& flag) {
  for (int i = 0; i < 10000 && !flag.load(); ++i) std::this_thread::sleep_for(1ms);
  return flag.load();
}

TEST(StripeLockTest, WritersExcludeEachOtherAndReaders) {
  StripeLock lock;
  uint64_t a = 0;
  uint64_t b = 0;
  std::atomic<bool> torn{false};
  constexpr int kRounds = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        if (t % 2 == 0) {
          std::lock_guard guard(lock);
          ++a;
          ++b;
        } else {
          std::shared_lock guard(lock);
          if (a != b) torn = true;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(torn);
  EXPECT_EQ(a, 2u * kRounds);
  EXPECT_EQ(b, 2u * kRounds);
}

TEST(StripeLockTest, ReadersHoldItTogether) {
  StripeLock lock;
  std::atomic<bool> second_in{false};
  std::shared_lock first(lock);
  std::thread other([&] {
    std::shared_lock second(lock);
    second_in = true;
  });
  EXPECT_TRUE(WaitFor(second_in));
  first.unlock();
  other.join();
}

// Waiters that outlast the spinning go to sleep; unlocking must wake every one of them
// (a lost wake-up hangs this test).
TEST(StripeLockTest, SleepingReadersAndWritersAreWoken) {
  StripeLock lock;
  std::atomic<int> done{0};
  std::unique_lock writer(lock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      if (t % 2 == 0) {
        std::shared_lock guard(lock);
      } else {
        std::lock_guard guard(lock);
      }
      ++done;
    });
  }
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(done.load(), 0);
  writer.unlock();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(done.load(), 6);
}

// A writer waiting for readers to leave sleeps too; the last reader out wakes it, and
// readers arriving meanwhile wait behind it (writers are preferred).
TEST(StripeLockTest, AWaitingWriterGoesBeforeNewReaders) {
  StripeLock lock;
  std::shared_lock reader(lock);
  std::atomic<bool> writer_in{false};
  std::atomic<bool> late_reader_in{false};
  std::thread writer([&] {
    std::lock_guard guard(lock);
    writer_in = true;
    std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(late_reader_in.load());
  });
  std::this_thread::sleep_for(50ms);  // the writer holds its bit and waits for us
  std::thread late_reader([&] {
    std::shared_lock guard(lock);
    late_reader_in = true;
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(writer_in.load());
  EXPECT_FALSE(late_reader_in.load());
  reader.unlock();
  writer.join();
  late_reader.join();
  EXPECT_TRUE(writer_in.load());
  EXPECT_TRUE(late_reader_in.load());
}

}  // namespace
}  // namespace ratmemcache::ram
