#pragma once

// memcached 1.6's slab classes with its defaults (-n 48, -f 1.25, 1 MiB pages): the
// class an item of a given total size would live in. This server has no slab allocator;
// the classes let "stats items", "stats slabs" and "me" report items the way memcached
// groups them, so that tools reading those figures see the same class ids.
// Pure constexpr functions; thread-safe.

#include <array>
#include <cstddef>

namespace ratmemcache::ram {

// Class ids run from 1 to kMemcachedLastClass.
inline constexpr unsigned kMemcachedLastClass = 39;

// Chunk size of each class (index = class id; 0 unused): from 96 bytes, times 1.25,
// rounded up to 8 bytes, while below 512 KiB / 1.25; the last class holds 512 KiB chunks
// (larger items are chunked by memcached and counted there).
constexpr std::array<size_t, kMemcachedLastClass + 1> MemcachedChunkSizes() {
  std::array<size_t, kMemcachedLastClass + 1> sizes{};
  constexpr double kFactor = 1.25;
  constexpr size_t kChunkMax = 512 * 1024;
  double size = 96;
  unsigned id = 1;
  for (; size < kChunkMax / kFactor && id < kMemcachedLastClass; ++id) {
    auto aligned = static_cast<size_t>(size);
    if (aligned % 8 != 0) aligned += 8 - aligned % 8;
    sizes[id] = aligned;
    size = static_cast<double>(aligned) * kFactor;
  }
  sizes[id] = kChunkMax;
  return sizes;
}
inline constexpr std::array<size_t, kMemcachedLastClass + 1> kMemcachedChunkSizes = MemcachedChunkSizes();
static_assert(kMemcachedChunkSizes[1] == 96 && kMemcachedChunkSizes[2] == 120 &&
              kMemcachedChunkSizes[kMemcachedLastClass] == 512 * 1024 &&
              kMemcachedChunkSizes[kMemcachedLastClass - 1] != 0);

// The class of an item of `total` bytes (see MemcachedItemSize).
constexpr unsigned MemcachedSlabClass(size_t total) {
  unsigned low = 1;
  unsigned high = kMemcachedLastClass;
  while (low < high) {  // the first class whose chunks hold `total`
    const unsigned mid = (low + high) / 2;
    if (kMemcachedChunkSizes[mid] >= total) {
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return low;
}

}  // namespace ratmemcache::ram
