#include "common/decimal.h"

#include <charconv>
#include <limits>

namespace ratmemcache {
namespace {

bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// What strto{u}ll leaves behind: the magnitude of the digits, whether a '-' preceded
// them, where parsing stopped, and whether the magnitude overflowed 64 bits.
struct Scan {
  uint64_t magnitude = 0;
  bool negative = false;
  bool any_digits = false;
  bool overflow = false;
  size_t end = 0;  // index just past the last digit
};

Scan ScanDecimal(std::string_view text) {
  Scan scan;
  size_t i = 0;
  while (i < text.size() && IsCSpace(text[i])) ++i;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    scan.negative = text[i] == '-';
    ++i;
  }
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    scan.any_digits = true;
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (scan.magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      scan.overflow = true;
    } else {
      scan.magnitude = scan.magnitude * 10 + digit;
    }
  }
  scan.end = i;
  return scan;
}

// The check memcached applies after the C conversion: the next byte is white space or
// the text's end ('\0' in C).
bool EndsCleanly(std::string_view text, size_t end) {
  return end == text.size() || IsCSpace(text[end]) || text[end] == '\0';
}

bool ScanUnsigned(std::string_view text, uint64_t* out) {
  const Scan scan = ScanDecimal(text);
  if (!scan.any_digits || scan.overflow) return false;
  if (!EndsCleanly(text, scan.end)) return false;
  const uint64_t value = scan.negative ? uint64_t{0} - scan.magnitude : scan.magnitude;
  if (static_cast<int64_t>(value) < 0 && text.find('-') != std::string_view::npos) return false;
  *out = value;
  return true;
}

bool ScanSigned(std::string_view text, int64_t* out) {
  const Scan scan = ScanDecimal(text);
  if (!scan.any_digits || scan.overflow) return false;
  const uint64_t limit = scan.negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (scan.magnitude > limit) return false;  // ERANGE
  if (!EndsCleanly(text, scan.end)) return false;
  *out = scan.negative ? static_cast<int64_t>(uint64_t{0} - scan.magnitude)
                       : static_cast<int64_t>(scan.magnitude);
  return true;
}

}  // namespace

bool SafeStrtoull(std::string_view text, uint64_t* out) {
  *out = 0;
  return ScanUnsigned(text, out);
}

bool SafeStrtoll(std::string_view text, int64_t* out) {
  *out = 0;
  return ScanSigned(text, out);
}

bool SafeStrtoul(std::string_view text, uint32_t* out) {
  *out = 0;
  uint64_t wide;
  if (!ScanUnsigned(text, &wide)) return false;
  *out = static_cast<uint32_t>(wide);
  return true;
}

bool SafeStrtol(std::string_view text, int32_t* out) {
  *out = 0;
  int64_t wide;
  if (!ScanSigned(text, &wide)) return false;
  *out = static_cast<int32_t>(wide);
  return true;
}

size_t FormatDecimal(uint64_t value, char* out) {
  return static_cast<size_t>(std::to_chars(out, out + 20, value).ptr - out);
}

}  // namespace ratmemcache
