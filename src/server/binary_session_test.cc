#include "server/binary_session.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "protocol/binary_parser.h"
#include "ratmemcache/cache.h"
#include "server/session_test_util.h"

namespace ratmemcache::server {
namespace {

namespace bin = protocol::binary;

std::string Request(uint8_t opcode, std::string_view key, std::string_view extras = {},
                    std::string_view value = {}, uint64_t cas = 0, uint32_t opaque = 0) {
  std::string out(bin::kHeaderSize, '\0');
  out[0] = static_cast<char>(bin::kRequestMagic);
  out[1] = static_cast<char>(opcode);
  out[2] = static_cast<char>(key.size() >> 8);
  out[3] = static_cast<char>(key.size());
  out[4] = static_cast<char>(extras.size());
  bin::PutBigEndian32(out.data() + 8, static_cast<uint32_t>(extras.size() + key.size() + value.size()));
  std::memcpy(out.data() + 12, &opaque, 4);
  bin::PutBigEndian64(out.data() + 16, cas);
  return out + std::string(extras) + std::string(key) + std::string(value);
}

std::string SetExtras(uint32_t flags, uint32_t exptime) {
  std::string out(8, '\0');
  bin::PutBigEndian32(out.data(), flags);
  bin::PutBigEndian32(out.data() + 4, exptime);
  return out;
}

struct Response {
  uint8_t opcode;
  uint16_t status;
  uint64_t cas;
  std::string extras, key, value;
};

std::vector<Response> Responses(std::string_view data) {
  std::vector<Response> out;
  while (data.size() >= bin::kHeaderSize) {
    const auto* u = reinterpret_cast<const unsigned char*>(data.data());
    EXPECT_EQ(u[0], bin::kResponseMagic);
    const size_t key = size_t{u[2]} << 8 | u[3];
    const size_t extras = u[4];
    const size_t body = size_t{u[8]} << 24 | size_t{u[9]} << 16 | size_t{u[10]} << 8 | u[11];
    uint64_t cas = 0;
    for (int i = 16; i < 24; ++i) cas = cas << 8 | u[i];
    if (data.size() < bin::kHeaderSize + body) break;
    const std::string_view b = data.substr(bin::kHeaderSize, body);
    out.push_back(Response{u[1], static_cast<uint16_t>(u[6] << 8 | u[7]), cas,
                           std::string(b.substr(0, extras)), std::string(b.substr(extras, key)),
                           std::string(b.substr(extras + key))});
    data.remove_prefix(bin::kHeaderSize + body);
  }
  EXPECT_TRUE(data.empty());
  return out;
}

using BinarySessionTest = SessionTest<BinarySession>;

TEST_F(BinarySessionTest, SameResponsesHoweverTheInputIsSplit) {
  const std::string input =
      Request(bin::kSet, "k", SetExtras(5, 0), "hello", 0, 1) + Request(bin::kGetK, "k", {}, {}, 0, 2) +
      Request(bin::kAppendQ, "k", {}, "!") + Request(bin::kGetQ, "nope") + Request(bin::kGet, "k") +
      Request(bin::kDelete, "k") + Request(bin::kGet, "k") + Request(bin::kNoop, {});
  const std::string whole = Converse(input, input.size());
  const std::vector<Response> r = Responses(whole);
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0].status, bin::kSuccess);
  EXPECT_NE(r[0].cas, 0u);
  EXPECT_EQ(r[1].key, "k");
  EXPECT_EQ(r[1].value, "hello");
  EXPECT_EQ(r[1].extras, std::string("\0\0\0\5", 4));
  EXPECT_EQ(r[1].cas, r[0].cas);
  EXPECT_EQ(r[2].value, "hello!");  // the appendq and getq miss said nothing
  EXPECT_EQ(r[3].status, bin::kSuccess);
  EXPECT_EQ(r[4].status, bin::kKeyNotFound);
  EXPECT_EQ(r[4].value, "Not found");
  EXPECT_EQ(r[5].opcode, bin::kNoop);
  for (size_t chunk : {1, 2, 3, 5, 7, 23, 24, 25, 64}) {
    Fresh();
    EXPECT_EQ(Converse(input, chunk), whole) << "chunk " << chunk;
  }
}

TEST_F(BinarySessionTest, IncrementCreatesWithTheInitialValueUnlessTheExpiryForbidsIt) {
  std::string extras(20, '\0');
  bin::PutBigEndian64(extras.data(), 3);
  bin::PutBigEndian64(extras.data() + 8, 40);
  std::string no_create = extras;
  bin::PutBigEndian32(no_create.data() + 16, 0xffffffffu);
  const std::vector<Response> r = Responses(Converse(
      Request(bin::kIncrement, "n", no_create) + Request(bin::kIncrement, "n", extras) +
          Request(bin::kIncrement, "n", extras) + Request(bin::kDecrement, "n", extras),
      1 << 20));
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].status, bin::kKeyNotFound);
  auto number = [](const std::string& v) {
    uint64_t n = 0;
    for (unsigned char c : v) n = n << 8 | c;
    return n;
  };
  EXPECT_EQ(number(r[1].value), 40u);
  EXPECT_EQ(number(r[2].value), 43u);
  EXPECT_EQ(number(r[3].value), 40u);
  EXPECT_NE(r[2].cas, r[1].cas);
}

TEST_F(BinarySessionTest, BadMagicClosesWithoutAReply) {
  bool closed = false;
  EXPECT_EQ(Converse(std::string(24, 'x'), 1, &closed), "");
  EXPECT_TRUE(closed);
}

TEST_F(BinarySessionTest, ShapeErrorAnswersInvalidArgumentsAndCloses) {
  bool closed = false;
  const std::vector<Response> r =
      Responses(Converse(Request(bin::kGet, "k", "x") + Request(bin::kNoop, {}), 1 << 20, &closed));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, bin::kInvalidArguments);
  EXPECT_EQ(r[0].value, "Invalid arguments");
  EXPECT_TRUE(closed);
}

TEST_F(BinarySessionTest, TooLargeValueIsSkippedAndTheStreamStaysInStep) {
  const std::string big(2 << 20, 'v');
  ASSERT_TRUE(cache_->Set("k", "old").ok());
  const std::vector<Response> r = Responses(
      Converse(Request(bin::kSet, "k", SetExtras(0, 0), big) + Request(bin::kGet, "k"), 4096));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].status, bin::kTooLarge);
  EXPECT_EQ(r[1].status, bin::kKeyNotFound);  // a failed set drops the old value
}

}  // namespace
}  // namespace ratmemcache::server
