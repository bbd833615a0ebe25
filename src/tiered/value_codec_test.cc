#include "tiered/value_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace ratmemcache::tiered {
namespace {

WritableItem MakeItem(std::string_view key, std::string_view value, uint32_t flags = 0) {
  ram::Item* item = ram::AllocateItem(key, static_cast<uint32_t>(value.size()), flags, 0);
  if (!value.empty()) std::memcpy(item->value_data(), value.data(), value.size());
  return WritableItem(item);
}

std::string Compressible(size_t size) {
  std::string value;
  while (value.size() < size) value += "the quick brown fox jumps over the lazy dog ";
  value.resize(size);
  return value;
}

std::string Random(size_t size) {
  std::mt19937 rng(7);
  std::string value(size, '\0');
  for (char& c : value) c = static_cast<char>(rng());
  return value;
}

TEST(ValueCodec, CompressesAboveTheThresholdWhenItPays) {
  CompressionOptions options;
  options.enable_lz4 = true;
  options.compression_threshold = 100;
  const ValueCodec codec(options);
  uint64_t saved = 0;
  WritableItem small = codec.MaybeCompress(MakeItem("k", Compressible(100)), &saved);
  EXPECT_FALSE(ram::HasState(small.get(), ram::kItemCompressed));
  EXPECT_EQ(saved, 0u);
  WritableItem noise = codec.MaybeCompress(MakeItem("k", Random(5000)), &saved);
  EXPECT_FALSE(ram::HasState(noise.get(), ram::kItemCompressed));  // would not save space
  EXPECT_EQ(noise.get()->value(), Random(5000));

  const std::string text = Compressible(5000);
  WritableItem packed = codec.MaybeCompress(MakeItem("key", text, 42), &saved);
  ASSERT_TRUE(ram::HasState(packed.get(), ram::kItemCompressed));
  EXPECT_LT(packed.get()->value_len, 1000u);
  EXPECT_EQ(saved, 5000u - packed.get()->value_len);
  EXPECT_EQ(packed.get()->key(), "key");
  EXPECT_EQ(packed.get()->flags, 42u);

  std::string scratch;
  Result<std::string_view> original = ValueCodec::Original(packed.get(), &scratch);
  ASSERT_TRUE(original.ok());
  EXPECT_EQ(*original, text);

  packed.get()->cas = 99;
  ram::Item* raw = packed.Release();
  Result<ItemHandle> readable = ValueCodec::Readable(ItemHandle(raw));
  ASSERT_TRUE(readable.ok());
  EXPECT_EQ(readable->value(), text);
  EXPECT_EQ(readable->cas(), 99u);
  EXPECT_EQ(readable->flags(), 42u);
  EXPECT_EQ(readable->key(), "key");
}

TEST(ValueCodec, HighCompressionLevelsRoundTrip) {
  CompressionOptions options;
  options.enable_lz4 = true;
  options.compression_level = 9;
  const ValueCodec codec(options);
  const std::string text = Compressible(64 << 10);
  WritableItem packed = codec.MaybeCompress(MakeItem("k", text), nullptr);
  ASSERT_TRUE(ram::HasState(packed.get(), ram::kItemCompressed));
  std::string scratch;
  EXPECT_EQ(*ValueCodec::Original(packed.get(), &scratch), text);
}

TEST(ValueCodec, OffMeansUntouched) {
  const ValueCodec codec(CompressionOptions{});
  WritableItem item = codec.MaybeCompress(MakeItem("k", Compressible(5000)), nullptr);
  EXPECT_FALSE(ram::HasState(item.get(), ram::kItemCompressed));
  EXPECT_EQ(item.get()->value_len, 5000u);
}

TEST(ValueCodec, DamagedBytesAreAnErrorNotACrash) {
  CompressionOptions options;
  options.enable_lz4 = true;
  const ValueCodec codec(options);
  WritableItem packed = codec.MaybeCompress(MakeItem("k", Compressible(4000)), nullptr);
  ASSERT_TRUE(ram::HasState(packed.get(), ram::kItemCompressed));
  std::memset(packed.get()->value_data() + 4, 0xff, packed.get()->value_len - 4);
  std::string scratch;
  EXPECT_EQ(ValueCodec::Original(packed.get(), &scratch).code(), StatusCode::kInternal);
  EXPECT_EQ(ValueCodec::Readable(ItemHandle(packed.Release())).code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace ratmemcache::tiered
