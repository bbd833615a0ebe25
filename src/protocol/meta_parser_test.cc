#include "protocol/meta_parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "protocol/base64.h"

namespace ratmemcache::protocol {
namespace {

// The request's views point into `input`, kept alive here.
struct Parsed {
  std::unique_ptr<std::string> input;
  ParseResult result;
  TextRequest request;
};

Parsed Parse(const std::string& input) {
  Parsed parsed;
  parsed.input = std::make_unique<std::string>(input);
  parsed.result = ParseTextCommand(*parsed.input, &parsed.request);
  return parsed;
}

std::string ReplyOf(const std::string& line) {
  Parsed parsed = Parse(line);
  EXPECT_EQ(parsed.result.status, ParseStatus::kReply) << line;
  return std::string(parsed.result.reply);
}

TEST(MetaParser, GetWithFlags) {
  Parsed parsed = Parse("mg key v k O123 T30 q\r\n");
  ASSERT_EQ(parsed.result.status, ParseStatus::kRequest);
  EXPECT_EQ(parsed.result.consumed, 23u);
  const TextRequest& r = parsed.request;
  EXPECT_EQ(r.command, TextCommand::kMetaGet);
  EXPECT_EQ(r.key, "key");
  EXPECT_TRUE(r.meta.value);
  EXPECT_TRUE(r.meta.no_reply);
  EXPECT_TRUE(r.noreply);
  EXPECT_TRUE(r.meta.has_ttl);
  EXPECT_EQ(r.meta.ttl, 30);
  ASSERT_EQ(r.meta.count, 5u);
  EXPECT_EQ(r.meta.token[2], "O123");
}

TEST(MetaParser, SetTakesTheLengthThenFlags) {
  Parsed parsed = Parse("ms key 5 F7 C99 MA T-1\r\n");
  ASSERT_EQ(parsed.result.status, ParseStatus::kRequest);
  const TextRequest& r = parsed.request;
  EXPECT_EQ(r.command, TextCommand::kMetaSet);
  EXPECT_EQ(r.value_length, 5u);
  EXPECT_EQ(r.meta.client_flags, 7u);
  EXPECT_TRUE(r.meta.has_cas);
  EXPECT_EQ(r.meta.compare_cas, 99u);
  EXPECT_EQ(r.meta.mode, 'A');
  EXPECT_EQ(r.meta.ttl, -1);
  EXPECT_TRUE(r.error.empty());
}

TEST(MetaParser, ArithmeticDefaults) {
  Parsed parsed = Parse("ma n N0 J10\r\n");
  ASSERT_EQ(parsed.result.status, ParseStatus::kRequest);
  EXPECT_EQ(parsed.request.meta.delta, 1u);
  EXPECT_EQ(parsed.request.meta.initial, 10u);
  EXPECT_TRUE(parsed.request.meta.vivify);
}

TEST(MetaParser, ErrorsAreMemcachedsLines) {
  EXPECT_EQ(ReplyOf("mn\r\n"), "MN\r\n");
  EXPECT_EQ(ReplyOf("mg\r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyOf("mx key\r\n"), "ERROR\r\n");
  EXPECT_EQ(ReplyOf("mg " + std::string(251, 'k') + "\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(ReplyOf("mg k v v\r\n"), "CLIENT_ERROR duplicate flag\r\n");
  EXPECT_EQ(ReplyOf("mg k z\r\n"), "CLIENT_ERROR invalid flag\r\n");
  EXPECT_EQ(ReplyOf("mg k Tx\r\n"), "CLIENT_ERROR bad token in command line format\r\n");
  EXPECT_EQ(ReplyOf("mg k Mxy\r\n"), "CLIENT_ERROR incorrect length for M token\r\n");
  EXPECT_EQ(ReplyOf("mg k Jx\r\n"), "CLIENT_ERROR invalid numeric initial value\r\n");
  EXPECT_EQ(ReplyOf("mg k Dx\r\n"), "CLIENT_ERROR invalid numeric delta value\r\n");
  EXPECT_EQ(ReplyOf("mg k Fx\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(ReplyOf("mg k@ b\r\n"), "CLIENT_ERROR error decoding key\r\n");
  EXPECT_EQ(ReplyOf("mg k O" + std::string(32, '1') + "\r\n"), "CLIENT_ERROR opaque token too long\r\n");
  EXPECT_EQ(ReplyOf("md k z\r\n"), "CLIENT_ERROR invalid or duplicate flag\r\n");
  EXPECT_EQ(ReplyOf("ma k Tx\r\n"), "CLIENT_ERROR invalid or duplicate flag\r\n");
  EXPECT_EQ(ReplyOf("ma k Mx\r\n"), "CLIENT_ERROR invalid mode for ma M token\r\n");
  EXPECT_EQ(ReplyOf("mg k a b c d e f g h i j k l m n o p q r\r\n"),
            "CLIENT_ERROR options flags are too long\r\n");
  EXPECT_EQ(ReplyOf("md k a b c d e f g h i j k l m n o p q r\r\n"),
            "CLIENT_ERROR options flags too long\r\n");
  EXPECT_EQ(ReplyOf("ms k\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(ReplyOf("ms k -1\r\n"), "CLIENT_ERROR bad command line format\r\n");
}

TEST(MetaParser, SetErrorsAfterTheLengthSwallowTheData) {
  for (const auto& [line, error] : {
           std::pair{"ms k 3 MZ\r\n", "CLIENT_ERROR invalid mode for ms M token\r\n"},
           std::pair{"ms k 3 z\r\n", "CLIENT_ERROR invalid flag\r\n"},
           std::pair{"ms k 3 q q\r\n", "CLIENT_ERROR duplicate flag\r\n"},
       }) {
    Parsed parsed = Parse(line);
    ASSERT_EQ(parsed.result.status, ParseStatus::kRequest) << line;
    EXPECT_EQ(parsed.request.command, TextCommand::kMetaSet);
    EXPECT_EQ(parsed.request.value_length, 3u);
    EXPECT_EQ(parsed.request.error, error);
  }
}

TEST(MetaParser, IncompleteLineNeedsMoreAtEveryByte) {
  const std::string line = "ms key 3 T10 F1 c k O55\r\n";
  for (size_t cut = 0; cut < line.size(); ++cut) {
    TextRequest request;
    EXPECT_EQ(ParseTextCommand(line.substr(0, cut), &request).status, ParseStatus::kNeedMore) << cut;
  }
  EXPECT_EQ(Parse(line).result.status, ParseStatus::kRequest);
}

TEST(Base64, RoundTripAndMemcachedsRules) {
  char out[64];
  const std::string data("\x00\xff" "binary key", 12);
  char encoded[64];
  const size_t n = Base64Encode(data, encoded);
  EXPECT_EQ(n, Base64EncodedSize(data.size()));
  ASSERT_EQ(Base64Decode(std::string_view(encoded, n), out, sizeof(out)), data.size());
  EXPECT_EQ(std::string(out, data.size()), data);
  EXPECT_EQ(Base64Decode("Zm9v", out, sizeof(out)), 3u);
  EXPECT_EQ(Base64Decode("Zm8=", out, sizeof(out)), 2u);
  EXPECT_EQ(Base64Decode("Zg==", out, sizeof(out)), 1u);
  EXPECT_EQ(Base64Decode("Zm9", out, sizeof(out)), 0u) << "a partial group";
  EXPECT_EQ(Base64Decode("", out, sizeof(out)), 0u);
  EXPECT_EQ(Base64Decode("Z===", out, sizeof(out)), 0u) << "three pads";
  EXPECT_EQ(Base64Decode("Zm!9v", out, sizeof(out)), 3u) << "bytes outside the alphabet are skipped";
  EXPECT_EQ(Base64Decode("Zm9vYmFy", out, 5), 0u) << "does not fit";
}

}  // namespace
}  // namespace ratmemcache::protocol
