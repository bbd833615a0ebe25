#pragma once

// Decimal number parsing with exactly the acceptance rules of memcached's safe_strto*()
// helpers (util.c), which wrap the C library's strto*: leading white space and one sign
// are allowed, at least one digit is required, overflow is rejected, and the first byte
// after the digits must be white space or the end of the text. Where memcached's helpers
// narrow a 64-bit result to 32 bits, these do too, so that out-of-range numbers behave the
// same byte for byte. No locale, no allocation. Thread-safe: pure functions.

#include <cstdint>
#include <string_view>

namespace ratmemcache {

// memcached safe_strtoull: unsigned 64-bit. A '-' is accepted only when the negated
// result still looks non-negative as a signed number ("-0", "-9223372036854775809").
bool SafeStrtoull(std::string_view text, uint64_t* out);
// memcached safe_strtoll: signed 64-bit.
bool SafeStrtoll(std::string_view text, int64_t* out);
// memcached safe_strtoul on an LP64 platform: parsed as unsigned 64-bit, then truncated
// to 32 bits (so "4294967296" gives 0).
bool SafeStrtoul(std::string_view text, uint32_t* out);
// memcached safe_strtol on an LP64 platform: parsed as signed 64-bit, then truncated to
// 32 bits.
bool SafeStrtol(std::string_view text, int32_t* out);

// Writes `value` in decimal to `out` (at least 20 bytes) and returns the digit count.
size_t FormatDecimal(uint64_t value, char* out);

}  // namespace ratmemcache
