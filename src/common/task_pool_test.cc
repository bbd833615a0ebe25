#include "common/task_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace ratmemcache {
namespace {

TEST(TaskPool, RunsEverySubmittedTaskOnItsThreads) {
  std::atomic<int> ran{0};
  std::atomic<bool> on_caller{false};
  const std::thread::id caller = std::this_thread::get_id();
  {
    TaskPool pool(3, "test");
    for (int i = 0; i < 1000; ++i) {
      pool.Submit([&] {
        if (std::this_thread::get_id() == caller) on_caller = true;
        ran.fetch_add(1);
      });
    }
    pool.Stop();  // runs what is queued first
    EXPECT_EQ(ran.load(), 1000);
    EXPECT_FALSE(on_caller.load());
    // After Stop(), a task still runs, on the caller's thread.
    pool.Submit([&] { ran.fetch_add(1); });
    EXPECT_EQ(ran.load(), 1001);
    pool.Stop();  // idempotent
  }
}

TEST(TaskPool, ABlockedTaskDoesNotHoldUpTheOthers) {
  TaskPool pool(2, "test");
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  pool.Submit([&] {
    while (!release.load()) std::this_thread::yield();
  });
  for (int i = 0; i < 100; ++i) pool.Submit([&] { ran.fetch_add(1); });
  while (ran.load() < 100) std::this_thread::yield();  // the second thread ran them all
  release = true;
  pool.Stop();
  EXPECT_EQ(ran.load(), 100);
}

}  // namespace
}  // namespace ratmemcache
