#include "disk/record_codec.h"

#include <gtest/gtest.h>

namespace ratmemcache::disk {
namespace {

TEST(RecordCodec, RoundTrip) {
  RecordMeta meta{0xdeadbeef, 1795555555, 1795550000, 0x0123456789abcdefull};
  const std::string value("binary\0value\r\n", 14);
  std::string encoded;
  EncodeRecord(meta, value, &encoded);
  EXPECT_EQ(encoded.size(), kRecordHeaderSize + value.size());
  auto decoded = DecodeRecord(encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->meta.flags, meta.flags);
  EXPECT_EQ(decoded->meta.expires_at, meta.expires_at);
  EXPECT_EQ(decoded->meta.stored_at, meta.stored_at);
  EXPECT_EQ(decoded->meta.cas, meta.cas);
  EXPECT_EQ(decoded->value, value);
  EncodeRecord(RecordMeta{}, "", &encoded);
  EXPECT_TRUE(DecodeRecord(encoded).has_value());
}

TEST(RecordCodec, RejectsForeignBytes) {
  EXPECT_FALSE(DecodeRecord("").has_value());
  EXPECT_FALSE(DecodeRecord("short").has_value());
  std::string encoded;
  EncodeRecord(RecordMeta{}, "v", &encoded);
  encoded[0] = 9;  // unknown format version
  EXPECT_FALSE(DecodeRecord(encoded).has_value());
}

TEST(RecordCodec, KeysArePrefixed) {
  EXPECT_EQ(DataKey("k"), "dk");
  EXPECT_EQ(MetaKey("cas"), "mcas");
}

TEST(RecordCodec, GoneRules) {
  const Visibility none;
  EXPECT_FALSE(IsGone(RecordMeta{0, 0, 100, 5}, 1000, none));
  EXPECT_TRUE(IsGone(RecordMeta{0, 999, 100, 5}, 1000, none));
  EXPECT_TRUE(IsGone(RecordMeta{0, 1000, 100, 5}, 1000, none));
  EXPECT_FALSE(IsGone(RecordMeta{0, 1001, 100, 5}, 1000, none));
  const Visibility flushed{500, 0};
  EXPECT_TRUE(IsGone(RecordMeta{0, 0, 500, 5}, 1000, flushed));
  EXPECT_FALSE(IsGone(RecordMeta{0, 0, 501, 5}, 1000, flushed));
  EXPECT_FALSE(IsGone(RecordMeta{0, 0, 100, 5}, 400, flushed)) << "deadline not reached";
  const Visibility evicted{0, 10};
  EXPECT_TRUE(IsGone(RecordMeta{0, 0, 100, 9}, 1000, evicted));
  EXPECT_FALSE(IsGone(RecordMeta{0, 0, 100, 10}, 1000, evicted));
}

}  // namespace
}  // namespace ratmemcache::disk
