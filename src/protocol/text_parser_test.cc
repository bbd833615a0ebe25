#include "protocol/text_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/text_replies.h"

namespace ratmemcache::protocol {
namespace {

ParseResult Parse(std::string_view input, TextRequest* request) {
  return ParseTextCommand(input, request);
}

// The reply memcached gives to a whole line (that parses to a fixed reply).
std::string ReplyTo(std::string_view line) {
  TextRequest request;
  ParseResult result = Parse(line, &request);
  EXPECT_EQ(result.status, ParseStatus::kReply) << line;
  EXPECT_EQ(result.consumed, line.size()) << line;
  return std::string(result.reply);
}

TextRequest Ok(std::string_view line) {
  TextRequest request;
  ParseResult result = Parse(line, &request);
  EXPECT_EQ(result.status, ParseStatus::kRequest) << line;
  EXPECT_EQ(result.consumed, line.size()) << line;
  return request;
}

std::vector<std::string> Keys(TextRequest request) {
  std::vector<std::string> keys;
  std::string_view key;
  while (request.keys.Next(&key)) keys.emplace_back(key);
  return keys;
}

TEST(TextParser, FramingAndTokenising) {
  EXPECT_EQ(Keys(Ok("get a b  c\r\n")), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Keys(Ok("get k\n")), (std::vector<std::string>{"k"}));
  EXPECT_EQ(Keys(Ok("  get   k   \r\n")), (std::vector<std::string>{"k"}));
  // Only one \r is stripped, and only ' ' separates.
  EXPECT_EQ(Keys(Ok("get k\r\r\n")), (std::vector<std::string>{"k\r"}));
  EXPECT_EQ(ReplyTo("get\tk\r\n"), "ERROR\r\n");
  // A NUL ends the line as in C.
  EXPECT_EQ(Keys(Ok(std::string_view("get k\0zzz\r\n", 11))), (std::vector<std::string>{"k"}));
  EXPECT_EQ(ReplyTo("\r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyTo("\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyTo("   \r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyTo("a\r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyTo("GET k\r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyTo("sets k\r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyTo("mz k\r\n"), "ERROR\r\n");  // not a meta command
  // memcached's allocator, crawler, logger and extstore commands: refused by name.
  EXPECT_EQ(ReplyTo("slabs automove 1\r\n"), std::string(reply::kSlabsNotSupported));
  // memcached's argument checks come first (its t/strtol-testing.t).
  EXPECT_EQ(ReplyTo("slabs automove invalid\r\n"), std::string(reply::kBadFormat));
  EXPECT_EQ(ReplyTo("slabs automove 3\r\n"), std::string(reply::kError));
  EXPECT_EQ(ReplyTo("slabs automove 3 noreply\r\n"), "");
  EXPECT_EQ(ReplyTo("slabs automove ratio x\r\n"), std::string(reply::kError));
  EXPECT_EQ(ReplyTo("slabs automove ratio 0.5\r\n"), std::string(reply::kSlabsNotSupported));
  EXPECT_EQ(ReplyTo("slabs reassign 1 x\r\n"), std::string(reply::kBadFormat));
  EXPECT_EQ(ReplyTo("slabs reassign 1 2\r\n"), std::string(reply::kSlabsNotSupported));
  EXPECT_EQ(ReplyTo("slabs\r\n"), std::string(reply::kError));
  EXPECT_EQ(ReplyTo("slabs foo bar\r\n"), std::string(reply::kError));
  EXPECT_EQ(ReplyTo("lru_crawler metadump all\r\n"), std::string(reply::kLruCrawlerNotSupported));
  EXPECT_EQ(ReplyTo("lru mode flat\r\n"), std::string(reply::kLruNotSupported));
  EXPECT_EQ(ReplyTo("watch fetchers\r\n"), std::string(reply::kWatchNotSupported));
  EXPECT_EQ(ReplyTo("extstore free_memchunks 0 0\r\n"), std::string(reply::kExtstoreNotSupported));
}

TEST(TextParser, IncompleteAndOverlongLines) {
  TextRequest request;
  EXPECT_EQ(Parse("get k", &request).status, ParseStatus::kNeedMore);
  EXPECT_EQ(Parse(std::string(2048, 'x'), &request).status, ParseStatus::kNeedMore);
  ParseResult junk = Parse(std::string(2049, 'x'), &request);
  EXPECT_EQ(junk.status, ParseStatus::kClose);
  EXPECT_TRUE(junk.reply.empty());
  std::string long_get = "get " + std::string(5000, 'k');
  EXPECT_EQ(Parse(long_get, &request).status, ParseStatus::kNeedMore);
  EXPECT_EQ(Parse(std::string(50, ' ') + long_get, &request).status, ParseStatus::kNeedMore);
  EXPECT_EQ(Parse(std::string(101, ' ') + long_get, &request).status, ParseStatus::kClose);
  EXPECT_EQ(Parse("gat 0 " + std::string(5000, 'k'), &request).status, ParseStatus::kClose);
  // A long line that is complete is answered.
  EXPECT_EQ(ReplyTo(std::string(3000, 'x') + "\r\n"), "ERROR\r\n");
}

TEST(TextParser, SearchFromSkipsWhatWasScanned) {
  TextRequest request;
  std::string line = "get";
  for (int i = 0; i < 1000; ++i) line += " key" + std::to_string(i);
  line += "\r\n";
  EXPECT_EQ(ParseTextCommand(std::string_view(line).substr(0, 3000), &request).status,
            ParseStatus::kNeedMore);
  ParseResult result = ParseTextCommand(line, &request, 3000);
  EXPECT_EQ(result.status, ParseStatus::kRequest);
  EXPECT_EQ(result.consumed, line.size());
}

TEST(TextParser, HttpRequestsCloseSilently) {
  TextRequest request;
  EXPECT_EQ(Parse("GET / HTTP/1.0\r\n", &request).status, ParseStatus::kClose);
  EXPECT_EQ(Parse("foo bar HTTP/1.1\r\n", &request).status, ParseStatus::kClose);
  EXPECT_EQ(ReplyTo("foo HTTP/1.1 bar\r\n"), "ERROR\r\n");
  EXPECT_EQ(Keys(Ok("get / HTTP/1.0\r\n")), (std::vector<std::string>{"/", "HTTP/1.0"}));
}

TEST(TextParser, Retrieval) {
  EXPECT_EQ(ReplyTo("get\r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyTo("gets\r\n"), "ERROR\r\n");
  TextRequest gat = Ok("gat 100 a b\r\n");
  EXPECT_EQ(gat.command, TextCommand::kGat);
  EXPECT_EQ(gat.exptime, 100);
  EXPECT_EQ(Keys(gat), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(Keys(Ok("gat 10\r\n")).empty());
  EXPECT_EQ(ReplyTo("gat abc k\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
  EXPECT_EQ(ReplyTo("gat t\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
  EXPECT_EQ(Ok("bget k\r\n").command, TextCommand::kGet);
  EXPECT_EQ(ReplyTo("get a " + std::string(251, 'k') + " b\r\n"),
            "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(Keys(Ok("get " + std::string(250, 'k') + "\r\n")).size(), 1u);
  // Far more keys than memcached's 24 tokens per pass.
  std::string many = "get";
  for (int i = 0; i < 10000; ++i) many += " key" + std::to_string(i);
  EXPECT_EQ(Keys(Ok(many + "\r\n")).size(), 10000u);
}

TEST(TextParser, Storage) {
  TextRequest set = Ok("set k 5 100 3\r\n");
  EXPECT_EQ(set.command, TextCommand::kSet);
  EXPECT_EQ(set.key, "k");
  EXPECT_EQ(set.flags, 5u);
  EXPECT_EQ(set.exptime, 100);
  EXPECT_EQ(set.value_length, 3u);
  EXPECT_FALSE(set.noreply);
  EXPECT_TRUE(Ok("set k 0 0 1 noreply\r\n").noreply);
  EXPECT_FALSE(Ok("set k 0 0 1 foo\r\n").noreply);
  TextRequest cas = Ok("cas k 0 0 1 42 noreply\r\n");
  EXPECT_EQ(cas.cas, 42u);
  EXPECT_TRUE(cas.noreply);
  EXPECT_EQ(ReplyTo("set k 0 0\r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyTo("set k 0 0 1 noreply x\r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyTo("cas k 0 0 1\r\n"), "ERROR\r\n");
  for (const char* bad : {"set k abc 0 1\r\n", "set k 0 abc 1\r\n", "set k 0 0 abc\r\n",
                          "set k 0 0 -1\r\n", "set k -1 0 1\r\n", "set k 0 0 2147483647\r\n",
                          "cas k 0 0 1 abc\r\n", "cas k 0 0 1 -1\r\n"}) {
    EXPECT_EQ(ReplyTo(bad), "CLIENT_ERROR bad command line format\r\n") << bad;
  }
  EXPECT_EQ(ReplyTo("set " + std::string(251, 'k') + " 0 0 1\r\n"),
            "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(ReplyTo("set " + std::string(251, 'k') + " 0 0 1 noreply\r\n"), "");
  // memcached's 32-bit truncations.
  EXPECT_EQ(Ok("set k 4294967296 0 1\r\n").flags, 0u);
  EXPECT_EQ(Ok("set k 0 4294967296 1\r\n").exptime, 0);
  EXPECT_LT(Ok("set k 0 2147483648 1\r\n").exptime, 0);
  EXPECT_EQ(Ok("set k 0 0 4294967298\r\n").value_length, 2u);
  EXPECT_EQ(Ok("set k +5 0 1\r\n").flags, 5u);
  EXPECT_EQ(Ok("set k 0 -1 1\r\n").exptime, -1);
}

TEST(TextParser, DeleteForms) {
  EXPECT_EQ(Ok("delete k\r\n").key, "k");
  EXPECT_EQ(Ok("delete k 0\r\n").key, "k");
  EXPECT_TRUE(Ok("delete k noreply\r\n").noreply);
  EXPECT_TRUE(Ok("delete k 0 noreply\r\n").noreply);
  const std::string usage = "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
  EXPECT_EQ(ReplyTo("delete k 5\r\n"), usage);
  EXPECT_EQ(ReplyTo("delete k 00\r\n"), usage);
  EXPECT_EQ(ReplyTo("delete k 0 0\r\n"), usage);
  EXPECT_EQ(ReplyTo("delete k noreply 0\r\n"), usage);
  EXPECT_EQ(ReplyTo("delete k 5 noreply\r\n"), "");
  EXPECT_EQ(ReplyTo("delete\r\n"), "ERROR\r\n");
  // Regression: "noreply" right after "delete" is the key, as in memcached.
  TextRequest key_named_noreply = Ok("delete noreply\r\n");
  EXPECT_EQ(key_named_noreply.key, "noreply");
  EXPECT_FALSE(key_named_noreply.noreply);
  EXPECT_EQ(ReplyTo("delete a b c d e\r\n"), "ERROR\r\n");
}

TEST(TextParser, ArithmeticTouchFlushVerbosity) {
  TextRequest incr = Ok("incr n 18446744073709551615\r\n");
  EXPECT_EQ(incr.delta, UINT64_MAX);
  EXPECT_EQ(ReplyTo("incr n -1\r\n"), "CLIENT_ERROR invalid numeric delta argument\r\n");
  EXPECT_EQ(ReplyTo("decr n abc\r\n"), "CLIENT_ERROR invalid numeric delta argument\r\n");
  EXPECT_EQ(ReplyTo("decr n abc noreply\r\n"), "");
  EXPECT_EQ(ReplyTo("incr n\r\n"), "ERROR\r\n");
  EXPECT_EQ(Ok("touch k 10\r\n").exptime, 10);
  EXPECT_EQ(ReplyTo("touch k x\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
  EXPECT_EQ(Ok("flush_all\r\n").exptime, 0);
  EXPECT_EQ(Ok("flush_all 10\r\n").exptime, 10);
  EXPECT_TRUE(Ok("flush_all noreply\r\n").noreply);
  EXPECT_EQ(Ok("flush_all 10 xyz\r\n").exptime, 10);
  EXPECT_TRUE(Ok("flush_all noreply 10\r\n").invalid_argument);
  EXPECT_EQ(ReplyTo("flush_all 1 2 3\r\n"), "ERROR\r\n");
  EXPECT_EQ(Ok("verbosity 1\r\n").number, 1u);
  EXPECT_EQ(Ok("verbosity 1 2\r\n").number, 1u);
  EXPECT_EQ(ReplyTo("verbosity\r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyTo("verbosity foo bar my\r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyTo("verbosity abc\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(ReplyTo("verbosity noreply\r\n"), "");
  EXPECT_EQ(Ok("version foo bar\r\n").command, TextCommand::kVersion);
  EXPECT_EQ(Ok("quit now\r\n").command, TextCommand::kQuit);
  EXPECT_TRUE(Ok("shutdown graceful\r\n").graceful);
  EXPECT_TRUE(Ok("shutdown foo\r\n").invalid_argument);
  EXPECT_EQ(Keys(Ok("stats settings  extra\r\n")), (std::vector<std::string>{"settings", "extra"}));
  EXPECT_TRUE(Keys(Ok("stats\r\n")).empty());
}

// Parsing never reads past the input and never crashes, whatever the bytes.
TEST(TextParser, ArbitraryBytesAreSafe) {
  uint32_t state = 12345;
  for (int round = 0; round < 20000; ++round) {
    std::string input;
    const int length = static_cast<int>(state % 64);
    for (int i = 0; i < length; ++i) {
      state = state * 1103515245 + 12345;
      static const char kAlphabet[] = "gets a0123456789 \r\n\t-+xnoreplycasdelincrtouchflush_all";
      input.push_back((state >> 16) % 5 == 0 ? static_cast<char>(state >> 8)
                                             : kAlphabet[(state >> 16) % (sizeof(kAlphabet) - 1)]);
    }
    TextRequest request;
    ParseResult result = ParseTextCommand(input, &request);
    EXPECT_LE(result.consumed, input.size());
    state = state * 1103515245 + 12345;
  }
}

}  // namespace
}  // namespace ratmemcache::protocol
