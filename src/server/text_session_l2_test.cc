// With the persistent tier on, a get that needs L2 is finished off the event loop: the
// session goes Busy(), consumes nothing after that get, and answers on Resume().

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <string>

#include "common/scoped_temp_dir.h"
#include "ratmemcache/cache.h"
#include "server/text_session.h"

namespace ratmemcache::server {
namespace {

std::string Drain(OutputBuffer& out) {
  std::string text;
  while (!out.empty()) {
    OutputSegment segments[64];
    const size_t count = out.Front(segments, 64);
    size_t taken = 0;
    for (size_t i = 0; i < count; ++i) {
      text.append(segments[i].data, segments[i].size);
      taken += segments[i].size;
    }
    out.Consume(taken);
  }
  return text;
}

class TextSessionL2Test : public ::testing::Test {
 protected:
  std::unique_ptr<Cache> Open() {
    CacheOptions options;
    options.ttl.cleanup_interval = 0;
    options.l2.enable_l2_cache = true;
    options.l2.data_dir = dir_.string();
    // No block cache: whatever is not in a memtable needs a file read.
    options.l2.block_cache_size = 0;
    auto built = CacheBuilder().options(options).Build();
    EXPECT_TRUE(built.ok()) << built.status().ToString();
    return std::move(built).value();
  }

  ScopedTempDir dir_{"session_l2"};
};

TEST_F(TextSessionL2Test, GetNeedingL2IsFinishedOffTheLoop) {
  {
    auto first = Open();
    ASSERT_TRUE(first->Set("disk", "from L2", WriteOptions{3, 0}).ok());
    ASSERT_TRUE(first->Shutdown().ok());
  }
  auto cache = Open();  // "disk" is now in L2 only
  ASSERT_TRUE(cache->Set("ram", "in RAM").ok());
  ServerSettings settings;
  settings.threads = 1;
  settings.l2_read_mode = "offload";
  ServerContext context(cache.get(), settings);
  ASSERT_NE(context.blocking_reads(), nullptr);
  TextSession session(&context, &context.thread_stats(0));
  std::promise<void> woken;
  session.SetWaker([&woken] { woken.set_value(); });
  BlockPool pool;
  OutputBuffer out(&pool);

  // Every key in RAM: answered at once.
  const std::string_view ram_only = "get ram\r\n";
  EXPECT_EQ(session.OnInput(ram_only, out), ram_only.size());
  EXPECT_FALSE(session.Busy());
  EXPECT_EQ(Drain(out), "VALUE ram 0 6\r\nin RAM\r\nEND\r\n");

  // A key only in L2: handed off; the next command waits.
  const std::string_view input = "gets ram disk nowhere\r\nget ram\r\n";
  const size_t used = session.OnInput(input, out);
  EXPECT_EQ(used, input.find("get ram"));
  EXPECT_TRUE(session.Busy());
  EXPECT_EQ(Drain(out), "");
  ASSERT_EQ(woken.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  session.Resume(out);
  EXPECT_FALSE(session.Busy());
  const std::string reply = Drain(out);
  EXPECT_TRUE(reply.starts_with("VALUE ram 0 6 ")) << reply;
  EXPECT_NE(reply.find("\r\nin RAM\r\nVALUE disk 3 7 "), std::string::npos) << reply;
  EXPECT_TRUE(reply.ends_with("\r\nfrom L2\r\nEND\r\n")) << reply;
  EXPECT_EQ(session.OnInput(input.substr(used), out), input.size() - used);
  EXPECT_EQ(Drain(out), "VALUE ram 0 6\r\nin RAM\r\nEND\r\n");
  context.StopBlockingReads();
  const CommandStats stats = context.Stats();
  EXPECT_EQ(stats.get_hits, 4u);
  EXPECT_EQ(stats.get_misses, 1u);
}

// Commands other than get that may read L2 (their key is not in RAM) run off the loop too;
// their replies are byte for byte what the synchronous path gives.
TEST_F(TextSessionL2Test, OtherCommandsOnKeysOutsideRamAreFinishedOffTheLoop) {
  {
    auto first = Open();
    for (const char* key : {"t", "n", "d", "a", "r", "c", "g"}) {
      ASSERT_TRUE(first->Set(key, std::string(key) == "n" ? "41" : "v").ok());
    }
    ASSERT_TRUE(first->Shutdown().ok());
  }
  auto cache = Open();  // everything is in L2 only
  ServerSettings settings;
  settings.threads = 1;
  settings.l2_read_mode = "offload";
  ServerContext context(cache.get(), settings);
  TextSession session(&context, &context.thread_stats(0));
  std::atomic<int> wakes{0};
  session.SetWaker([&wakes] { wakes.fetch_add(1); });
  BlockPool pool;
  OutputBuffer out(&pool);
  // Each command goes Busy (nothing parsed after it) and answers on Resume().
  const auto run = [&](std::string_view command) {
    const int before = wakes.load();
    const size_t used = session.OnInput(command, out);
    EXPECT_EQ(used, command.size()) << command;
    EXPECT_TRUE(session.Busy()) << command;
    EXPECT_EQ(Drain(out), "") << command;
    while (wakes.load() == before) std::this_thread::yield();
    session.Resume(out);
    EXPECT_FALSE(session.Busy());
    return Drain(out);
  };
  EXPECT_EQ(run("touch t 100\r\n"), "TOUCHED\r\n");
  EXPECT_EQ(run("incr n 1\r\n"), "42\r\n");
  EXPECT_EQ(run("delete d\r\n"), "DELETED\r\n");
  EXPECT_EQ(run("delete nowhere\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(run("add a 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(run("append r 0 0 2\r\n+r\r\n"), "STORED\r\n");
  EXPECT_EQ(run("cas c 0 0 1 1\r\nx\r\n"), "EXISTS\r\n");
  const std::string gat = run("gat 100 g nowhere\r\n");
  EXPECT_EQ(gat, "VALUE g 0 1\r\nv\r\nEND\r\n");
  // In RAM now (promoted): answered at once.
  const std::string_view again = "get r\r\n";
  EXPECT_EQ(session.OnInput(again, out), again.size());
  EXPECT_FALSE(session.Busy());
  EXPECT_EQ(Drain(out), "VALUE r 0 3\r\nv+r\r\nEND\r\n");
  context.StopBlockingReads();
}

// "adaptive" (the default): reads that need a file stay on the loop while such reads are
// fast, and leave it once they have been slow.
TEST_F(TextSessionL2Test, AdaptiveModeOffloadsOnlyWhileL2ReadsAreSlow) {
  {
    auto first = Open();
    ASSERT_TRUE(first->Set("a", "1").ok());
    ASSERT_TRUE(first->Set("b", "2").ok());
    ASSERT_TRUE(first->Shutdown().ok());
  }
  auto cache = Open();
  ServerSettings settings;
  settings.threads = 1;
  ServerContext context(cache.get(), settings);
  ASSERT_EQ(settings.l2_read_mode, "adaptive");
  TextSession session(&context, &context.thread_stats(0));
  std::promise<void> woken;
  session.SetWaker([&woken] { woken.set_value(); });
  BlockPool pool;
  OutputBuffer out(&pool);
  EXPECT_FALSE(context.OffloadL2Reads());  // nothing measured yet: reads look fast
  const std::string_view get_a = "get a\r\n";
  EXPECT_EQ(session.OnInput(get_a, out), get_a.size());
  EXPECT_FALSE(session.Busy());
  EXPECT_EQ(Drain(out), "VALUE a 0 1\r\n1\r\nEND\r\n");
  // A run of slow reads (as from a busy disk) sends the next ones off the loop.
  for (int i = 0; i < 32; ++i) context.RecordL2Read(std::chrono::milliseconds(5));
  EXPECT_TRUE(context.OffloadL2Reads());
  const std::string_view get_b = "get b\r\n";
  EXPECT_EQ(session.OnInput(get_b, out), get_b.size());
  EXPECT_TRUE(session.Busy());
  ASSERT_EQ(woken.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  session.Resume(out);
  EXPECT_EQ(Drain(out), "VALUE b 0 1\r\n2\r\nEND\r\n");
  // Fast reads bring it back.
  for (int i = 0; i < 64; ++i) context.RecordL2Read(std::chrono::microseconds(5));
  EXPECT_FALSE(context.OffloadL2Reads());
  context.StopBlockingReads();
}

}  // namespace
}  // namespace ratmemcache::server
