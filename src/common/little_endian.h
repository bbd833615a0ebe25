#pragma once

// Fixed-width integers as little-endian bytes, whatever the host's byte order: the layout
// of everything the persistent tier writes to disk. Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>

namespace ratmemcache {

// Writes `value` as sizeof(T) little-endian bytes at `out`; returns the byte after them.
template <typename T>
char* StoreLittleEndian(char* out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<char>((static_cast<uint64_t>(value) >> (8 * i)) & 0xff);
  return out + sizeof(T);
}

// Reads a T from sizeof(T) little-endian bytes at `data`.
template <typename T>
T LoadLittleEndian(const char* data) {
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<uint64_t>(static_cast<uint8_t>(data[i])) << (8 * i);
  return static_cast<T>(value);
}

}  // namespace ratmemcache
