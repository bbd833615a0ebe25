#include "protocol/binary_parser.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace ratmemcache::protocol::binary {
namespace {

// A request as a client sends it.
std::string Request(uint8_t opcode, std::string_view key, std::string_view extras = {},
                    std::string_view value = {}, uint64_t cas = 0, uint32_t opaque = 0x01020304,
                    int64_t body_override = -1) {
  std::string out(kHeaderSize, '\0');
  out[0] = static_cast<char>(kRequestMagic);
  out[1] = static_cast<char>(opcode);
  out[2] = static_cast<char>(key.size() >> 8);
  out[3] = static_cast<char>(key.size());
  out[4] = static_cast<char>(extras.size());
  const uint32_t body = body_override >= 0 ? static_cast<uint32_t>(body_override)
                                           : static_cast<uint32_t>(extras.size() + key.size() + value.size());
  PutBigEndian32(out.data() + 8, body);
  PutBigEndian32(out.data() + 12, opaque);
  PutBigEndian64(out.data() + 16, cas);
  out += extras;
  out += key;
  out += value;
  return out;
}

std::string Extras32(std::initializer_list<uint32_t> words) {
  std::string out;
  for (uint32_t w : words) {
    char b[4];
    PutBigEndian32(b, w);
    out.append(b, 4);
  }
  return out;
}

TEST(BinaryParser, NeedsTheWholeHeaderExtrasAndKeyAtEverySplit) {
  const std::string set = Request(kSetQ, "key", Extras32({7, 30}), "value", 99);
  BinaryRequest r;
  const size_t frame = kHeaderSize + 8 + 3;
  for (size_t n = 0; n < frame; ++n) {
    EXPECT_EQ(ParseBinaryRequest(std::string_view(set).substr(0, n), &r), FrameStatus::kNeedMore) << n;
  }
  for (size_t n = frame; n <= set.size(); ++n) {
    ASSERT_EQ(ParseBinaryRequest(std::string_view(set).substr(0, n), &r), FrameStatus::kRequest) << n;
    EXPECT_EQ(r.frame_size(), frame);
  }
  EXPECT_EQ(r.opcode, kSetQ);
  EXPECT_EQ(r.command, kSet);
  EXPECT_TRUE(r.quiet);
  EXPECT_EQ(r.key, "key");
  EXPECT_EQ(r.cas, 99u);
  EXPECT_EQ(ExtrasWord(r, 0), 7u);
  EXPECT_EQ(ExtrasWord(r, 4), 30u);
  EXPECT_TRUE(CheckFrame(r));
  EXPECT_EQ(CheckShape(r), Shape::kOk);
  EXPECT_EQ(ValueLength(r), 5u);
  char opaque[4];
  std::memcpy(opaque, &r.opaque, 4);
  EXPECT_EQ(std::string(opaque, 4), std::string("\x01\x02\x03\x04", 4));
}

TEST(BinaryParser, BadMagicIsReportedOnceTheHeaderIsHere) {
  BinaryRequest r;
  std::string text = "get foo\r\nget bar baz qux\r\n";
  EXPECT_EQ(ParseBinaryRequest(text.substr(0, 23), &r), FrameStatus::kNeedMore);
  EXPECT_EQ(ParseBinaryRequest(text, &r), FrameStatus::kBadMagic);
  std::string response = Request(kGet, "k");
  response[0] = static_cast<char>(kResponseMagic);
  EXPECT_EQ(ParseBinaryRequest(response, &r), FrameStatus::kBadMagic);
}

TEST(BinaryParser, FrameWithKeyOrExtrasBeyondTheBodyIsRejected) {
  BinaryRequest r;
  ASSERT_EQ(ParseBinaryRequest(Request(kGet, "abc", {}, {}, 0, 0, 2), &r), FrameStatus::kRequest);
  EXPECT_FALSE(CheckFrame(r));
  ASSERT_EQ(ParseBinaryRequest(Request(kSet, "abc", Extras32({0, 0}), {}, 0, 0, 10), &r),
            FrameStatus::kRequest);
  EXPECT_FALSE(CheckFrame(r));
  ASSERT_EQ(ParseBinaryRequest(Request(kSet, "abc", Extras32({0, 0}), {}, 0, 0, 11), &r),
            FrameStatus::kRequest);
  EXPECT_TRUE(CheckFrame(r));
}

TEST(BinaryParser, ShapesAsMemcachedChecksThem) {
  struct Case {
    std::string request;
    Shape shape;
  };
  const std::string incr_extras(20, '\0');
  const Case cases[] = {
      {Request(kGet, "k"), Shape::kOk},
      {Request(kGet, ""), Shape::kInvalid},
      {Request(kGetK, "k", "x"), Shape::kInvalid},
      {Request(kGetKQ, "k", {}, "v"), Shape::kInvalid},  // body != key
      {Request(kNoop, ""), Shape::kOk},
      {Request(kNoop, "k"), Shape::kInvalid},
      {Request(kVersion, "", {}, "x"), Shape::kInvalid},
      {Request(kQuitQ, ""), Shape::kOk},
      {Request(kFlush, ""), Shape::kOk},
      {Request(kFlushQ, "", Extras32({10})), Shape::kOk},
      {Request(kFlush, "", "ab"), Shape::kInvalid},
      {Request(kSet, "k", Extras32({0})), Shape::kInvalid},
      {Request(kSet, "", Extras32({0, 0})), Shape::kInvalid},
      {Request(kAddQ, "k", Extras32({0, 0}), ""), Shape::kOk},
      {Request(kDelete, "k", Extras32({0})), Shape::kInvalid},
      {Request(kDeleteQ, "k"), Shape::kOk},
      {Request(kIncrement, "k", incr_extras), Shape::kOk},
      {Request(kDecrementQ, "k", incr_extras, "x"), Shape::kInvalid},
      {Request(kAppend, "k", {}, "tail"), Shape::kOk},
      {Request(kPrependQ, "k", "e", "tail"), Shape::kInvalid},
      {Request(kStat, ""), Shape::kOk},
      {Request(kStat, "items", {}, "junk"), Shape::kOk},  // memcached checks extras only
      {Request(kStat, "items", "e"), Shape::kInvalid},
      {Request(kTouch, "k", Extras32({1})), Shape::kOk},
      {Request(kGatKQ, "k", Extras32({1})), Shape::kOk},
      {Request(kGat, "k"), Shape::kInvalid},
      {Request(kSaslListMechs, ""), Shape::kOk},
      {Request(kSaslAuth, "PLAIN", {}, std::string("\0u\0p", 4)), Shape::kOk},
      {Request(kSaslStep, ""), Shape::kInvalid},
      {Request(0x1b, ""), Shape::kUnknownCommand},  // verbosity: memcached 1.6 lacks it
      {Request(0x40, "k", {}, "body"), Shape::kUnknownCommand},
      {Request(0x40, std::string(251, 'k')), Shape::kInvalid},  // key length first
      {Request(kGet, std::string(250, 'k')), Shape::kOk},
      {Request(kGet, std::string(251, 'k')), Shape::kInvalid},
  };
  for (const Case& c : cases) {
    BinaryRequest r;
    ASSERT_EQ(ParseBinaryRequest(c.request, &r), FrameStatus::kRequest);
    ASSERT_TRUE(CheckFrame(r));
    EXPECT_EQ(CheckShape(r), c.shape) << "opcode " << int{r.opcode} << " key " << r.key.size();
  }
}

TEST(BinaryParser, ExtrasOfArithmeticAreDecoded) {
  std::string extras(20, '\0');
  PutBigEndian64(extras.data(), 0x0102030405060708ull);
  PutBigEndian64(extras.data() + 8, 42);
  PutBigEndian32(extras.data() + 16, 0xffffffffu);
  BinaryRequest r;
  const std::string frame = Request(kIncrementQ, "n", extras);  // r views into it
  ASSERT_EQ(ParseBinaryRequest(frame, &r), FrameStatus::kRequest);
  EXPECT_EQ(r.command, kIncrement);
  EXPECT_EQ(ExtrasDoubleWord(r, 0), 0x0102030405060708ull);
  EXPECT_EQ(ExtrasDoubleWord(r, 8), 42u);
  EXPECT_EQ(ExtrasWord(r, 16), 0xffffffffu);
  EXPECT_EQ(ExtrasWord(r, 20), 0u);  // beyond the extras: zero
}

TEST(BinaryParser, LongExtrasAreKeptToTwentyBytes) {
  BinaryRequest r;
  const std::string frame = Request(0x50, "k", std::string(200, 'e'));  // r views into it
  ASSERT_EQ(ParseBinaryRequest(frame, &r), FrameStatus::kRequest);
  EXPECT_EQ(r.extras.size(), 20u);
  EXPECT_EQ(r.key, "k");
  EXPECT_EQ(r.frame_size(), kHeaderSize + 201);
}

TEST(BinaryParser, ValueLengthPerCommand) {
  BinaryRequest r;
  ASSERT_EQ(ParseBinaryRequest(Request(kAppendQ, "key", {}, "12345"), &r), FrameStatus::kRequest);
  EXPECT_EQ(ValueLength(r), 5u);
  ASSERT_EQ(ParseBinaryRequest(Request(kSaslAuth, "PLAIN", {}, "abc"), &r), FrameStatus::kRequest);
  EXPECT_EQ(ValueLength(r), 3u);
  ASSERT_EQ(ParseBinaryRequest(Request(kStat, "items", {}, "junk"), &r), FrameStatus::kRequest);
  EXPECT_EQ(ValueLength(r), 0u);
}

TEST(BinaryParser, PlainCredentials) {
  PlainCredentials c;  // views into the messages below
  const std::string message("\0alice\0s3cret\0x", 15);
  const std::string with_authzid("bob\0alice\0", 10);
  ASSERT_TRUE(ParsePlainCredentials(message, &c));
  EXPECT_EQ(c.authzid, "");
  EXPECT_EQ(c.user, "alice");
  EXPECT_EQ(c.password, std::string("s3cret\0x", 8));  // the password runs to the end
  ASSERT_TRUE(ParsePlainCredentials(with_authzid, &c));
  EXPECT_EQ(c.authzid, "bob");
  EXPECT_EQ(c.password, "");
  EXPECT_FALSE(ParsePlainCredentials("alice", &c));
  EXPECT_FALSE(ParsePlainCredentials(std::string("\0alice", 6), &c));
}

TEST(BinaryParser, ResponseHeaderLayout) {
  char header[kHeaderSize];
  uint32_t opaque;
  std::memcpy(&opaque, "\xde\xad\xbe\xef", 4);
  PutResponseHeader(header, kGetK, kKeyNotFound, 4, 3, 0x01020304, opaque, 0x1122334455667788ull);
  const std::string expected(
      "\x81\x0c\x00\x03\x04\x00\x00\x01\x01\x02\x03\x04\xde\xad\xbe\xef"
      "\x11\x22\x33\x44\x55\x66\x77\x88",
      kHeaderSize);
  EXPECT_EQ(std::string(header, kHeaderSize), expected);
  EXPECT_EQ(ErrorText(kKeyNotFound), "Not found");
  EXPECT_EQ(ErrorText(kDeltaBadValue), "Non-numeric server-side value for incr or decr");
}

}  // namespace
}  // namespace ratmemcache::protocol::binary
