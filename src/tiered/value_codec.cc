#include "tiered/value_codec.h"

#if RMC_HAVE_LZ4
#include <lz4.h>
#include <lz4hc.h>
#endif

#include <cstring>
#include <memory>

namespace ratmemcache::tiered {
namespace {

constexpr size_t kLengthBytes = 4;

void PutLength(char* out, uint32_t length) {
  for (size_t i = 0; i < kLengthBytes; ++i) out[i] = static_cast<char>(length >> (8 * i));
}

uint32_t GetLength(const char* in) {
  uint32_t length = 0;
  for (size_t i = 0; i < kLengthBytes; ++i) {
    length |= uint32_t{static_cast<unsigned char>(in[i])} << (8 * i);
  }
  return length;
}

#if RMC_HAVE_LZ4
constexpr uint32_t kMaxInput = LZ4_MAX_INPUT_SIZE;
// LZ4 (level 0) or LZ4HC (1-12): bytes written, 0 when it does not fit in `limit`.
int Compress(const char* in, char* out, int in_len, int limit, int level) {
  return level == 0 ? LZ4_compress_default(in, out, in_len, limit)
                    : LZ4_compress_HC(in, out, in_len, limit, level);
}
// Bytes written, or negative for damaged input.
int Decompress(const char* in, char* out, int in_len, int out_len) {
  return LZ4_decompress_safe(in, out, in_len, out_len);
}
#else
// Built without LZ4 (RMC_WITH_LZ4=OFF): options asking for it are refused by
// ValidateOptions, so nothing is ever compressed and nothing needs decompressing.
constexpr uint32_t kMaxInput = 0;
int Compress(const char*, char*, int, int, int) { return 0; }
int Decompress(const char*, char*, int, int) { return -1; }
#endif

// Per-thread room for one compressed block, reused from store to store.
std::string& Scratch() {
  thread_local std::string scratch;
  return scratch;
}

}  // namespace

WritableItem ValueCodec::MaybeCompress(WritableItem item, uint64_t* saved) const {
  const ram::Item* raw = item.get();
  if (!options_.enable_lz4 || raw->value_len <= options_.compression_threshold ||
      raw->value_len > kMaxInput) {
    return item;
  }
  const int input = static_cast<int>(raw->value_len);
  std::string large_input;  // values above 1 MiB do not leave a big per-thread buffer
  std::string& scratch = input <= (1 << 20) ? Scratch() : large_input;
  // Worth keeping only if it saves something: bound the output below the input.
  const int limit = input - static_cast<int>(kLengthBytes) - 1;
  if (scratch.size() < static_cast<size_t>(input)) scratch.resize(input);
  const int written = Compress(raw->value_data(), scratch.data(), input, limit, options_.compression_level);
  if (written <= 0) return item;  // incompressible: it would not fit below the limit
  const uint32_t stored = static_cast<uint32_t>(written) + kLengthBytes;
  ram::Item* compressed = ram::AllocateItem(raw->key(), stored, raw->flags,
                                            raw->expires_at.load(std::memory_order_relaxed));
  if (compressed == nullptr) return item;
  PutLength(compressed->value_data(), raw->value_len);
  std::memcpy(compressed->value_data() + kLengthBytes, scratch.data(), static_cast<size_t>(written));
  ram::SetState(compressed, ram::kItemCompressed);
  if (saved != nullptr) *saved = raw->value_len - stored;
  return WritableItem(compressed);
}

Result<std::string_view> ValueCodec::Original(const ram::Item* item, std::string* scratch) {
  if (!ram::HasState(item, ram::kItemCompressed)) return item->value();
  if (item->value_len < kLengthBytes) return Status(StatusCode::kInternal, "damaged compressed value");
  const uint32_t length = GetLength(item->value_data());
  scratch->resize(length);
  const int read = Decompress(item->value_data() + kLengthBytes, scratch->data(),
                              static_cast<int>(item->value_len - kLengthBytes), static_cast<int>(length));
  if (read < 0 || static_cast<uint32_t>(read) != length) {
    return Status(StatusCode::kInternal, "damaged compressed value");
  }
  return std::string_view(*scratch);
}

uint32_t ValueCodec::OriginalSize(const ram::Item* item) {
  if (!ram::HasState(item, ram::kItemCompressed) || item->value_len < kLengthBytes) {
    return item->value_len;
  }
  return GetLength(item->value_data());
}

Result<ItemHandle> ValueCodec::Readable(ItemHandle item) {
  const ram::Item* stored = item.get();
  if (!ram::HasState(stored, ram::kItemCompressed)) return item;
  if (stored->value_len < kLengthBytes) return Status(StatusCode::kInternal, "damaged compressed value");
  const uint32_t length = GetLength(stored->value_data());
  ram::Item* copy = ram::AllocateItem(stored->key(), length, stored->flags,
                                      stored->expires_at.load(std::memory_order_relaxed));
  if (copy == nullptr) return Status::OutOfMemory();
  ItemHandle readable(copy);
  copy->cas = stored->cas;
  copy->last_access.store(stored->last_access.load(std::memory_order_relaxed),
                          std::memory_order_relaxed);
  const int read = Decompress(stored->value_data() + kLengthBytes, copy->value_data(),
                              static_cast<int>(stored->value_len - kLengthBytes), static_cast<int>(length));
  if (read < 0 || static_cast<uint32_t>(read) != length) {
    return Status(StatusCode::kInternal, "damaged compressed value");
  }
  return readable;
}

}  // namespace ratmemcache::tiered
