#pragma once

// ValueCodec: LZ4 compression of values held in RAM ([compression]). A compressed item
// carries kItemCompressed and a value of: the original length (4 bytes, little-endian),
// then one LZ4 block. Everything that hands bytes out of RAM (reads, the write-behind
// queue, append/prepend) goes through Original() or Readable(), so clients and L2 only
// ever see the original bytes.
//
// Thread-safety: a ValueCodec is immutable after construction; its methods may be called
// from any thread at once.

#include <cstdint>
#include <string>
#include <string_view>

#include "ram/item.h"
#include "ratmemcache/item.h"
#include "ratmemcache/options.h"
#include "ratmemcache/status.h"

namespace ratmemcache::tiered {

class ValueCodec {
 public:
  explicit ValueCodec(const CompressionOptions& options) : options_(options) {}

  bool enabled() const { return options_.enable_lz4; }

  // `item` (unpublished, uncompressed) as it should be stored: a compressed copy when
  // compression is on, the value is longer than the threshold and compressing saves
  // space (then `saved` receives the bytes saved); otherwise `item` itself. Never fails:
  // when the copy cannot be made, the original is kept.
  WritableItem MaybeCompress(WritableItem item, uint64_t* saved) const;

  // The original value of `item`: its bytes, or decompressed into `scratch`.
  // Returns: Internal (damaged compressed bytes: a bug).
  static Result<std::string_view> Original(const ram::Item* item, std::string* scratch);

  // Length of the original value of `item` (read from the header of compressed bytes).
  static uint32_t OriginalSize(const ram::Item* item);

  // A handle that serves the original bytes: `item` itself, or an unlinked decompressed
  // copy with the same key, flags, expiry and CAS unique.
  // Returns: OutOfMemory, Internal (damaged compressed bytes).
  static Result<ItemHandle> Readable(ItemHandle item);

 private:
  const CompressionOptions options_;
};

}  // namespace ratmemcache::tiered
