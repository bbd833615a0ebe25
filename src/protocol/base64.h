#pragma once

// Base64 for the meta protocol's binary keys (the 'b' flag), with the acceptance rules
// of memcached 1.6's base64_decode(): bytes outside the alphabet are skipped, the
// remaining characters (padding included) must come in groups of four, and decoding
// stops after the first group that carries padding. Pure functions; no allocation.

#include <cstddef>
#include <string_view>

namespace ratmemcache::protocol {

// Decodes `text` into `out` (room for `out_size` bytes) and returns the decoded length;
// 0 when the text does not decode (no characters, a partial group, bad padding) or does
// not fit.
size_t Base64Decode(std::string_view text, char* out, size_t out_size);

// Bytes Base64Encode writes for `size` input bytes.
constexpr size_t Base64EncodedSize(size_t size) { return (size + 2) / 3 * 4; }

// Encodes `data` into `out` (at least Base64EncodedSize(data.size()) bytes), with '='
// padding; returns the bytes written.
size_t Base64Encode(std::string_view data, char* out);

}  // namespace ratmemcache::protocol
