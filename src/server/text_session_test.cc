#include "server/text_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "ratmemcache/cache.h"
#include "server/session_test_util.h"

namespace ratmemcache::server {
namespace {

class TextSessionTest : public SessionTest<TextSession> {
 protected:
  // The same conversation must give the same bytes however the input is split.
  std::string ConverseEverySplit(std::string_view input) {
    Fresh();
    const std::string whole = Converse(input, input.size());
    for (size_t chunk : {1, 2, 3, 5, 7, 64}) {
      Fresh();
      EXPECT_EQ(Converse(input, chunk), whole) << "chunk " << chunk;
    }
    return whole;
  }
};

TEST_F(TextSessionTest, StorageAndRetrievalAtEveryByteBoundary) {
  EXPECT_EQ(ConverseEverySplit("set k 5 0 3\r\nabc\r\nget k\r\nappend k 0 0 2\r\nde\r\n"
                               "prepend k 0 0 1\r\nz\r\nget k nope\r\nadd k 0 0 1\r\nx\r\n"
                               "replace nope 0 0 1\r\nx\r\ndelete k\r\ndelete k\r\nget k\r\n"),
            "STORED\r\nVALUE k 5 3\r\nabc\r\nEND\r\nSTORED\r\nSTORED\r\n"
            "VALUE k 5 6\r\nzabcde\r\nEND\r\nNOT_STORED\r\nNOT_STORED\r\nDELETED\r\n"
            "NOT_FOUND\r\nEND\r\n");
}

// Every two-piece split of a conversation (first piece of i bytes, then the rest) gives
// the same replies as the whole.
TEST_F(TextSessionTest, EveryTwoPieceSplit) {
  const std::string input =
      "set k 1 0 5\r\nhe\r\nl\r\nget k\r\nincr n 1\r\nset n 0 0 2\r\n10\r\ndecr n 3\r\n"
      "gets k n\r\nset x 0 0 1\r\nabc\r\ndelete k\r\nflush_all noreply\r\nget n\r\n";
  Fresh();
  const std::string whole = Converse(input, input.size());
  ASSERT_NE(whole.find("CLIENT_ERROR bad data chunk"), std::string::npos);
  for (size_t i = 1; i < input.size(); ++i) {
    Fresh();
    TextSession session(context_.get(), &context_->thread_stats(0));
    BlockPool pool;
    OutputBuffer out(&pool);
    std::string pending(input.substr(0, i));
    std::string output;
    for (const std::string& piece : {std::string(), input.substr(i)}) {
      pending += piece;
      pending.erase(0, session.OnInput(pending, out));
      OutputSegment segments[64];
      while (!out.empty()) {
        const size_t count = out.Front(segments, 64);
        size_t taken = 0;
        for (size_t j = 0; j < count; ++j) {
          output.append(segments[j].data, segments[j].size);
          taken += segments[j].size;
        }
        out.Consume(taken);
      }
    }
    EXPECT_EQ(output, whole) << "split at " << i;
  }
}

TEST_F(TextSessionTest, BinarySafeValuesAndNewlinesInData) {
  const std::string value("a\r\nb\0c\nd", 8);
  EXPECT_EQ(ConverseEverySplit("set k 0 0 8\r\n" + value + "\r\nget k\r\n"),
            "STORED\r\nVALUE k 0 8\r\n" + value + "\r\nEND\r\n");
}

TEST_F(TextSessionTest, CasFlow) {
  EXPECT_EQ(ConverseEverySplit("set k 0 0 1\r\na\r\ngets k\r\ncas k 0 0 1 999\r\nb\r\n"
                               "cas k 0 0 1 1\r\nc\r\ncas nope 0 0 1 1\r\nd\r\ngets k\r\n"),
            "STORED\r\nVALUE k 0 1 1\r\na\r\nEND\r\nEXISTS\r\nSTORED\r\nNOT_FOUND\r\n"
            "VALUE k 0 1 2\r\nc\r\nEND\r\n");
}

TEST_F(TextSessionTest, IncrDecrTouchNoreply) {
  EXPECT_EQ(ConverseEverySplit("set n 0 0 3\r\n100\r\ndecr n 1\r\nget n\r\nincr n 18446744073709551615\r\n"
                               "incr x 1\r\nset s 0 0 1\r\na\r\nincr s 1\r\ntouch n 100\r\ntouch x 1\r\n"
                               "set q 0 0 1 noreply\r\nq\r\nincr n 5 noreply\r\nget n q\r\n"),
            "STORED\r\n99\r\nVALUE n 0 3\r\n99 \r\nEND\r\n98\r\nNOT_FOUND\r\nSTORED\r\n"
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\nTOUCHED\r\n"
            "NOT_FOUND\r\nVALUE n 0 3\r\n103\r\nVALUE q 0 1\r\nq\r\nEND\r\n");
}

TEST_F(TextSessionTest, BadDataChunkDoesNotResync) {
  EXPECT_EQ(ConverseEverySplit("set k 0 0 1\r\nabc\r\nget k\r\n"),
            "CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n");
  EXPECT_EQ(ConverseEverySplit("set k 0 0 3\r\nabcdefgh\r\nversion\r\n"),
            "CLIENT_ERROR bad data chunk\r\nERROR\r\nVERSION 1.6.18\r\n");
}

TEST_F(TextSessionTest, TooLargeSwallowsTheBlockAndDropsTheOldValue) {
  const std::string big(2 << 20, 'x');
  EXPECT_EQ(Converse("set k 0 0 1\r\na\r\nset k 0 0 " + std::to_string(big.size()) + "\r\n" + big +
                         "\r\nget k\r\n",
                     4096),
            "STORED\r\nSERVER_ERROR object too large for cache\r\nEND\r\n");
  // The largest value that fits, by memcached's own measure of an item.
  const std::string fits(1048516, 'y');
  EXPECT_EQ(Converse("set k 0 0 1048516\r\n" + fits + "\r\n", 1 << 16), "STORED\r\n");
  EXPECT_EQ(Converse("set k 0 0 1048517\r\n" + fits + "y\r\n", 1 << 16),
            "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(Converse("set k 1 0 1048513\r\n" + std::string(1048513, 'z') + "\r\n", 1 << 16),
            "SERVER_ERROR object too large for cache\r\n");
}

TEST_F(TextSessionTest, FlushAllForms) {
  EXPECT_EQ(ConverseEverySplit("set k 0 0 1\r\na\r\nflush_all\r\nget k\r\nflush_all noreply\r\n"
                               "flush_all noreply 10\r\nflush_all 10 xyz\r\nflush_all 0\r\n"),
            "STORED\r\nOK\r\nEND\r\nCLIENT_ERROR invalid exptime argument\r\nOK\r\nOK\r\n");
}

TEST_F(TextSessionTest, QuitClosesAfterEarlierReplies) {
  bool closed = false;
  EXPECT_EQ(Converse("version\r\nquit\r\nversion\r\n", 100, &closed), "VERSION 1.6.18\r\n");
  EXPECT_TRUE(closed);
  EXPECT_EQ(Converse("GET / HTTP/1.1\r\nversion\r\n", 100, &closed), "");
  EXPECT_TRUE(closed);
}

TEST_F(TextSessionTest, ShutdownNeedsTheFlag) {
  EXPECT_EQ(Converse("shutdown\r\n", 100), "ERROR: shutdown not enabled\r\n");
}

TEST_F(TextSessionTest, VerbosityAndStats) {
  EXPECT_EQ(ConverseEverySplit("verbosity 5\r\nverbosity 1 noreply\r\nstats nope\r\nstats reset\r\n"),
            "OK\r\nERROR\r\nRESET\r\n");
  const std::string stats = Converse("stats\r\n", 100);
  EXPECT_NE(stats.find("STAT curr_items "), std::string::npos);
  EXPECT_TRUE(stats.ends_with("END\r\n"));
}

TEST_F(TextSessionTest, StatsCountKeysAndOutcomes) {
  Converse("set a 0 0 1\r\n1\r\nget a b a\r\ngat 10 a b\r\ndelete b\r\n", 1000);
  CommandStats s = context_->Stats();
  EXPECT_EQ(s.cmd_get, 3u);
  EXPECT_EQ(s.get_hits, 2u);
  EXPECT_EQ(s.get_misses, 1u);
  EXPECT_EQ(s.cmd_touch, 2u);
  EXPECT_EQ(s.touch_hits, 1u);
  EXPECT_EQ(s.cmd_set, 1u);
  EXPECT_EQ(s.delete_misses, 1u);
  context_->ResetStats();
  EXPECT_EQ(context_->Stats().cmd_get, 0u);
}

TEST_F(TextSessionTest, LongGetLineArrivingInPieces) {
  std::string line = "get";
  for (int i = 0; i < 3000; ++i) line += " key" + std::to_string(i);
  EXPECT_EQ(Converse("set key2999 0 0 1\r\nz\r\n" + line + "\r\n", 100),
            "STORED\r\nVALUE key2999 0 1\r\nz\r\nEND\r\n");
}

TEST_F(TextSessionTest, LargeValuesAreSentFromCacheMemory) {
  const std::string value(100000, 'v');
  EXPECT_EQ(Converse("set k 0 0 100000\r\n" + value + "\r\nget k k\r\n", 10000),
            "STORED\r\nVALUE k 0 100000\r\n" + value + "\r\nVALUE k 0 100000\r\n" + value +
                "\r\nEND\r\n");
}

TEST_F(TextSessionTest, StreamingAtEveryByteBoundary) {
  EXPECT_EQ(ConverseEverySplit("set k 3 0 10\r\n0123456789\r\nsget k 4\r\nsget nope\r\n"
                               "set_begin u 6 2 9\r\nset_data u 0 3\r\nabc\r\nget u\r\n"
                               "set_data u 1 3\r\ndef\r\nset_end u\r\nget u\r\nsget u 6000\r\n"),
            "STORED\r\nSTREAM_BEGIN k 10 3\r\nSTREAM_DATA k 0 4\r\n0123\r\n"
            "STREAM_DATA k 1 4\r\n4567\r\nSTREAM_DATA k 2 2\r\n89\r\nSTREAM_END k\r\n"
            "STREAM_ERROR nope not found\r\nOK\r\nOK\r\nEND\r\nOK\r\nSTORED\r\n"
            "VALUE u 9 6\r\nabcdef\r\nEND\r\nSTREAM_BEGIN u 6 1\r\nSTREAM_DATA u 0 6\r\n"
            "abcdef\r\nSTREAM_END u\r\n");
}

TEST_F(TextSessionTest, StreamedValueIsWrittenInPartsAndPipelinedCommandsWait) {
  Fresh(16 << 20);
  std::string value(5000000, 'v');
  value.back() = 'z';
  ASSERT_TRUE(cache_->Set("big", value).ok());
  // More than the session queues at once (chunks referenced, and chunks copied): written
  // in parts, and the get after it waits.
  for (size_t chunk : {3000, 1000}) {
    const std::string output =
        Converse("sget big " + std::to_string(chunk) + "\r\nget nope\r\n", 1 << 20);
    const size_t count = (value.size() + chunk - 1) / chunk;
    std::string expected = "STREAM_BEGIN big 5000000 " + std::to_string(count) + "\r\n";
    for (size_t i = 0; i < count; ++i) {
      const size_t length = std::min(chunk, value.size() - i * chunk);
      expected += "STREAM_DATA big " + std::to_string(i) + " " + std::to_string(length) + "\r\n";
      expected += value.substr(i * chunk, length) + "\r\n";
    }
    expected += "STREAM_END big\r\nEND\r\n";
    EXPECT_EQ(output, expected) << chunk;
  }
}

TEST_F(TextSessionTest, UploadErrorsAbandonTheUploadAndSkipTheBlock) {
  EXPECT_EQ(ConverseEverySplit("set_data none 0 3\r\nabc\r\nset_begin u 4 2 0\r\n"
                               "set_data u 1 2\r\nab\r\nset_end u\r\nset_begin u 4 2 0\r\n"
                               "set_data u 0 5\r\nabcde\r\nset_begin u 4 1 0\r\n"
                               "set_data u 0 4\r\nabcdX\r\nget u\r\n"),
            "CLIENT_ERROR no upload in progress for this key (set_begin first)\r\nOK\r\n"
            "CLIENT_ERROR chunk 1 out of order (expected 0); upload abandoned\r\n"
            "CLIENT_ERROR no upload in progress for this key\r\nOK\r\n"
            "CLIENT_ERROR chunk exceeds the announced total_size; upload abandoned\r\nOK\r\n"
            // As after any data block with a wrong end, the bytes past it are commands.
            "CLIENT_ERROR bad data chunk; upload abandoned\r\nERROR\r\nEND\r\n");
  EXPECT_EQ(context_->upload_bytes(), 0u);
}

TEST_F(TextSessionTest, UploadsAreBoundedAndGiveTheirBudgetBackWhenAbandoned) {
  {
    TextSession session(context_.get(), &context_->thread_stats(0));
    const std::string output = FeedInPieces(
        session, "set_begin a 1000 1 0\r\nset_begin b 1000 1 0\r\nset_begin c 1000 1 0\r\n"
                 "set_begin d 1000 1 0\r\nset_begin e 1000 1 0\r\nset_begin a 10 1 0\r\n"
                 "set_begin f 2000000 1 0\r\n", 1 << 20);
    EXPECT_EQ(output, "OK\r\nOK\r\nOK\r\nOK\r\n"
                      "SERVER_ERROR too many uploads in progress on this connection\r\nOK\r\n"
                      "SERVER_ERROR too many uploads in progress on this connection\r\n");
    EXPECT_EQ(context_->upload_bytes(), 3010u);
  }
  EXPECT_EQ(context_->upload_bytes(), 0u);  // the connection went away mid-upload
  EXPECT_EQ(Converse("set_begin big 2000000 1 0\r\n", 100), "SERVER_ERROR object too large for cache\r\n");
}

}  // namespace
}  // namespace ratmemcache::server

