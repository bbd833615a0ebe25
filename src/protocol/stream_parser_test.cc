#include "protocol/stream_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/text_replies.h"

namespace ratmemcache::protocol {
namespace {

struct Parsed {
  ParseResult result;
  TextRequest request;
};

Parsed Parse(const std::string& line) {
  static std::string kept;  // the request's views point into it until the next call
  kept = line;
  Parsed parsed;
  parsed.result = ParseTextCommand(kept, &parsed.request);
  return parsed;
}

TEST(StreamParser, StreamingGetAndItsAlias) {
  Parsed p = Parse("streaming_get big 4096\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kRequest);
  EXPECT_EQ(p.request.command, TextCommand::kStreamGet);
  EXPECT_EQ(p.request.key, "big");
  EXPECT_EQ(p.request.stream.chunk_size, 4096u);
  p = Parse("sget big\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kRequest);
  EXPECT_EQ(p.request.stream.chunk_size, kDefaultStreamChunk);
  p = Parse("sget big 67108864\r\n");
  EXPECT_EQ(p.result.status, ParseStatus::kRequest);
}

TEST(StreamParser, StreamingGetErrors) {
  EXPECT_EQ(Parse("sget big 0\r\n").result.reply, kBadChunkSize);
  EXPECT_EQ(Parse("sget big 67108865\r\n").result.reply, kBadChunkSize);
  EXPECT_EQ(Parse("sget big 99999999999999999999999\r\n").result.reply, reply::kBadFormat);
  EXPECT_EQ(Parse("sget big -5\r\n").result.reply, reply::kBadFormat);
  EXPECT_EQ(Parse("sget big 5 6\r\n").result.reply, reply::kError);
  EXPECT_EQ(Parse("sget\r\n").result.reply, reply::kError);
  EXPECT_EQ(Parse("sget " + std::string(251, 'k') + "\r\n").result.reply, reply::kBadFormat);
}

TEST(StreamParser, SetBegin) {
  Parsed p = Parse("set_begin up 100 3 7 60\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kRequest);
  EXPECT_EQ(p.request.command, TextCommand::kSetBegin);
  EXPECT_EQ(p.request.key, "up");
  EXPECT_EQ(p.request.stream.total_size, 100u);
  EXPECT_EQ(p.request.stream.chunk_count, 3u);
  EXPECT_EQ(p.request.flags, 7u);
  EXPECT_EQ(p.request.exptime, 60);
  EXPECT_EQ(Parse("set_begin up 0 1 0\r\n").result.status, ParseStatus::kRequest);
  EXPECT_EQ(Parse("set_begin up 0 0 0\r\n").result.reply, kBadChunkCount);
  EXPECT_EQ(Parse("set_begin up 0 2 0\r\n").result.reply, kBadChunkCount);
  EXPECT_EQ(Parse("set_begin up 5 6 0\r\n").result.reply, kBadChunkCount);
  EXPECT_EQ(Parse("set_begin up x 1 0\r\n").result.reply, reply::kBadFormat);
  EXPECT_EQ(Parse("set_begin up 5 1 0 x\r\n").result.reply, reply::kBadFormat);
  EXPECT_EQ(Parse("set_begin up 5 1\r\n").result.reply, reply::kError);
}

TEST(StreamParser, SetDataErrorsKeepTheLengthToSkip) {
  Parsed p = Parse("set_data up 2 10\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kRequest);
  EXPECT_EQ(p.request.command, TextCommand::kSetData);
  EXPECT_EQ(p.request.stream.chunk_no, 2u);
  EXPECT_EQ(p.request.value_length, 10u);
  EXPECT_TRUE(p.request.error.empty());
  p = Parse("set_data up x 10\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kRequest);
  EXPECT_EQ(p.request.error, reply::kBadFormat);
  EXPECT_EQ(p.request.value_length, 10u);
  EXPECT_EQ(Parse("set_data up 1 -1\r\n").result.reply, reply::kBadFormat);
  EXPECT_EQ(Parse("set_data up 1\r\n").result.reply, reply::kError);
  EXPECT_EQ(Parse("set_end\r\n").result.reply, reply::kError);
  EXPECT_EQ(Parse("set_end up\r\n").request.command, TextCommand::kSetEnd);
}

}  // namespace
}  // namespace ratmemcache::protocol
