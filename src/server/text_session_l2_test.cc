// With the persistent tier on, a get that needs L2 is finished off the event loop: the
// session goes Busy(), consumes nothing after that get, and answers on Resume().

#include <gtest/gtest.h>

#include <future>
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

}  // namespace
}  // namespace ratmemcache::server
