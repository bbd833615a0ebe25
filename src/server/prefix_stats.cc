#include "server/prefix_stats.h"

#include <cstring>

#include "common/decimal.h"

namespace ratmemcache::server {
namespace {

uint32_t Rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

}  // namespace

uint32_t Murmur3Hash32(std::string_view data) {
  constexpr uint32_t kC1 = 0xcc9e2d51;
  constexpr uint32_t kC2 = 0x1b873593;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  const size_t blocks = data.size() / 4;
  uint32_t h = 0;
  for (size_t i = 0; i < blocks; ++i) {
    uint32_t k;
    std::memcpy(&k, bytes + i * 4, 4);  // little-endian hosts, as memcached reads it
    k *= kC1;
    k = Rotl32(k, 15);
    k *= kC2;
    h ^= k;
    h = Rotl32(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const uint8_t* tail = bytes + blocks * 4;
  uint32_t k = 0;
  switch (data.size() & 3) {
    case 3:
      k ^= uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      k ^= uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      k ^= tail[0];
      k *= kC1;
      k = Rotl32(k, 15);
      k *= kC2;
      h ^= k;
      break;
    default:
      break;
  }
  h ^= static_cast<uint32_t>(data.size());
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

PrefixStats::Entry* PrefixStats::Find(std::string_view key) {
  // memcached reads the key as a C string: a NUL ends it.
  const size_t end = key.find_first_of(std::string_view(":\0", 2));
  if (end == std::string_view::npos || key[end] != ':') return nullptr;
  const std::string_view prefix = key.substr(0, end);
  std::vector<Entry>& bucket = buckets_[Murmur3Hash32(prefix) % kBuckets];
  for (Entry& entry : bucket) {
    if (entry.prefix == prefix) return &entry;
  }
  if (count_ >= kMaxPrefixes) return nullptr;
  ++count_;
  bucket.push_back(Entry{std::string(prefix)});
  return &bucket.back();
}

void PrefixStats::RecordGet(std::string_view key, bool hit) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  if (Entry* entry = Find(key)) {
    ++entry->gets;
    if (hit) ++entry->hits;
  }
}

void PrefixStats::RecordSet(std::string_view key) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  if (Entry* entry = Find(key)) ++entry->sets;
}

void PrefixStats::RecordDelete(std::string_view key) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  if (Entry* entry = Find(key)) ++entry->deletes;
}

std::string PrefixStats::Dump() {
  std::string out;
  std::lock_guard lock(mu_);
  for (const std::vector<Entry>& bucket : buckets_) {
    for (auto it = bucket.rbegin(); it != bucket.rend(); ++it) {
      std::string line = "PREFIX ";
      line += it->prefix;
      char number[24];
      for (auto [name, value] : {std::pair{" get ", it->gets}, std::pair{" hit ", it->hits},
                                 std::pair{" set ", it->sets}, std::pair{" del ", it->deletes}}) {
        line += name;
        line.append(number, FormatDecimal(value, number));
      }
      line += "\r\n";
      out += line;
    }
  }
  out += "END\r\n";
  return out;
}

void PrefixStats::Clear() {
  std::lock_guard lock(mu_);
  for (std::vector<Entry>& bucket : buckets_) bucket.clear();
  count_ = 0;
}

}  // namespace ratmemcache::server
