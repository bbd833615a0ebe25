#pragma once

// Key hashing shared by every layer that places keys (lock stripes, hash slots).
// Thread-safe: pure functions.

#include <cstdint>
#include <string_view>

namespace ratmemcache {

// A 64-bit XXH3 hash of `key`. Stable within a process; not guaranteed across versions.
uint64_t HashKey(std::string_view key);

}  // namespace ratmemcache
