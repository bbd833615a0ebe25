#include "protocol/base64.h"

#include <array>
#include <cstdint>

namespace ratmemcache::protocol {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kSkip = 0x80;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kSkip;
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = i;
  table['='] = 0;
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

size_t Base64Decode(std::string_view text, char* out, size_t out_size) {
  size_t symbols = 0;
  for (char c : text) symbols += kDecode[static_cast<uint8_t>(c)] != kSkip;
  if (symbols == 0 || symbols % 4 != 0 || symbols / 4 * 3 > out_size) return 0;
  size_t written = 0;
  uint8_t group[4];
  size_t filled = 0;
  int padding = 0;
  for (char c : text) {
    const uint8_t value = kDecode[static_cast<uint8_t>(c)];
    if (value == kSkip) continue;
    padding += c == '=';
    group[filled++] = value;
    if (filled < 4) continue;
    out[written++] = static_cast<char>((group[0] << 2) | (group[1] >> 4));
    out[written++] = static_cast<char>((group[1] << 4) | (group[2] >> 2));
    out[written++] = static_cast<char>((group[2] << 6) | group[3]);
    filled = 0;
    if (padding == 0) continue;
    if (padding > 2) return 0;
    written -= static_cast<size_t>(padding);
    break;
  }
  return written;
}

size_t Base64Encode(std::string_view data, char* out) {
  const auto* in = reinterpret_cast<const uint8_t*>(data.data());
  size_t left = data.size();
  char* p = out;
  for (; left >= 3; left -= 3, in += 3) {
    *p++ = kAlphabet[in[0] >> 2];
    *p++ = kAlphabet[((in[0] & 0x03) << 4) | (in[1] >> 4)];
    *p++ = kAlphabet[((in[1] & 0x0f) << 2) | (in[2] >> 6)];
    *p++ = kAlphabet[in[2] & 0x3f];
  }
  if (left != 0) {
    *p++ = kAlphabet[in[0] >> 2];
    if (left == 1) {
      *p++ = kAlphabet[(in[0] & 0x03) << 4];
      *p++ = '=';
    } else {
      *p++ = kAlphabet[((in[0] & 0x03) << 4) | (in[1] >> 4)];
      *p++ = kAlphabet[(in[1] & 0x0f) << 2];
    }
    *p++ = '=';
  }
  return static_cast<size_t>(p - out);
}

}  // namespace ratmemcache::protocol
