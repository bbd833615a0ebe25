#pragma once

// What an allocation really costs, so that memory limits count real bytes.
// Thread-safe: pure functions.

#include <cstddef>

namespace ratmemcache {

// Bytes the system allocator sets aside for a request of `requested` bytes: the request
// rounded up to the allocator's granule plus its bookkeeping. Modelled on glibc malloc
// (8 bytes of header, 16-byte granules, 32-byte minimum); other allocators are close.
constexpr size_t AllocationFootprint(size_t requested) {
  size_t chunk = (requested + 8 + 15) & ~static_cast<size_t>(15);
  return chunk < 32 ? 32 : chunk;
}

}  // namespace ratmemcache
