#include "disk/record_codec.h"

#include <cstring>

#include "common/little_endian.h"

namespace ratmemcache::disk {
namespace {

constexpr uint8_t kInlineVersion = 1;
constexpr uint8_t kPointerVersion = 2;

}  // namespace

std::string DataKey(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 1);
  out.push_back(kDataPrefix);
  out.append(key);
  return out;
}

std::string MetaKey(std::string_view name) {
  std::string out(1, kMetaPrefix);
  out.append(name);
  return out;
}

static void EncodeHeader(uint8_t version, const RecordMeta& meta, char* out) {
  *out++ = static_cast<char>(version);
  out = StoreLittleEndian<uint32_t>(out, meta.flags);
  out = StoreLittleEndian<int64_t>(out, meta.expires_at);
  out = StoreLittleEndian<int64_t>(out, meta.stored_at);
  StoreLittleEndian<uint64_t>(out, meta.cas);
}

void EncodeRecordHeader(const RecordMeta& meta, char* out) { EncodeHeader(kInlineVersion, meta, out); }

void EncodePointerRecord(const RecordMeta& meta, const ValuePointer& pointer, char* out) {
  EncodeHeader(kPointerVersion, meta, out);
  out += kRecordHeaderSize;
  out = StoreLittleEndian<uint64_t>(out, pointer.file);
  out = StoreLittleEndian<uint64_t>(out, pointer.offset);
  StoreLittleEndian<uint32_t>(out, pointer.size);
}

void EncodeRecord(const RecordMeta& meta, std::string_view value, std::string* out) {
  char header[kRecordHeaderSize];
  EncodeRecordHeader(meta, header);
  out->clear();
  out->reserve(kRecordHeaderSize + value.size());
  out->append(header, kRecordHeaderSize);
  out->append(value);
}

std::optional<DecodedRecord> DecodeRecord(std::string_view encoded) {
  if (encoded.size() < kRecordHeaderSize) return std::nullopt;
  const uint8_t version = static_cast<uint8_t>(encoded[0]);
  if (version != kInlineVersion && version != kPointerVersion) return std::nullopt;
  if (version == kPointerVersion && encoded.size() != kRecordHeaderSize + kPointerSize) return std::nullopt;
  const char* p = encoded.data() + 1;
  DecodedRecord record;
  record.meta.flags = LoadLittleEndian<uint32_t>(p);
  record.meta.expires_at = LoadLittleEndian<int64_t>(p + 4);
  record.meta.stored_at = LoadLittleEndian<int64_t>(p + 12);
  record.meta.cas = LoadLittleEndian<uint64_t>(p + 20);
  if (version == kPointerVersion) {
    const char* at = encoded.data() + kRecordHeaderSize;
    record.pointer = ValuePointer{LoadLittleEndian<uint64_t>(at), LoadLittleEndian<uint64_t>(at + 8), LoadLittleEndian<uint32_t>(at + 16)};
  } else {
    record.value = encoded.substr(kRecordHeaderSize);
  }
  return record;
}

bool IsGone(const RecordMeta& meta, int64_t now, const Visibility& visibility) {
  if (meta.expires_at != 0 && meta.expires_at <= now) return true;
  if (visibility.flush_deadline != 0 && visibility.flush_deadline <= now &&
      meta.stored_at <= visibility.flush_deadline) {
    return true;
  }
  return meta.cas < visibility.eviction_watermark || meta.cas < visibility.flush_cas;
}

}  // namespace ratmemcache::disk
