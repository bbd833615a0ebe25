#include "protocol/binary_parser.h"

#include <algorithm>
#include <cstring>

namespace ratmemcache::protocol::binary {
namespace {

// memcached keeps at most this many bytes of extras (BIN_MAX_EXTLEN).
constexpr size_t kMaxExtras = 20;

uint16_t Load16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(u[0] << 8 | u[1]);
}

uint32_t Load32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} << 24 | uint32_t{u[1]} << 16 | uint32_t{u[2]} << 8 | uint32_t{u[3]};
}

uint64_t Load64(const char* p) { return uint64_t{Load32(p)} << 32 | Load32(p + 4); }

// The loud opcode of a quiet one, or 0xff.
uint8_t LoudOf(uint8_t opcode) {
  switch (opcode) {
    case kSetQ: return kSet;
    case kAddQ: return kAdd;
    case kReplaceQ: return kReplace;
    case kDeleteQ: return kDelete;
    case kIncrementQ: return kIncrement;
    case kDecrementQ: return kDecrement;
    case kQuitQ: return kQuit;
    case kFlushQ: return kFlush;
    case kAppendQ: return kAppend;
    case kPrependQ: return kPrepend;
    case kGetQ: return kGet;
    case kGetKQ: return kGetK;
    case kGatQ: return kGat;
    case kGatKQ: return kGatK;
    default: return 0xff;
  }
}

}  // namespace

std::string_view ErrorText(ResponseStatus status) {
  switch (status) {
    case kOutOfMemory: return "Out of memory";
    case kUnknownCommand: return "Unknown command";
    case kKeyNotFound: return "Not found";
    case kInvalidArguments: return "Invalid arguments";
    case kKeyExists: return "Data exists for key.";
    case kTooLarge: return "Too large.";
    case kDeltaBadValue: return "Non-numeric server-side value for incr or decr";
    case kNotStored: return "Not stored.";
    case kAuthError: return "Auth failure.";
    default: return "";
  }
}

FrameStatus ParseBinaryRequest(std::string_view input, BinaryRequest* request) {
  if (input.size() < kHeaderSize) return FrameStatus::kNeedMore;
  const char* p = input.data();
  if (static_cast<uint8_t>(p[0]) != kRequestMagic) return FrameStatus::kBadMagic;
  BinaryRequest& r = *request;
  r.opcode = static_cast<uint8_t>(p[1]);
  r.key_length = Load16(p + 2);
  r.extras_length = static_cast<uint8_t>(p[4]);
  r.body_length = Load32(p + 8);
  std::memcpy(&r.opaque, p + 12, 4);
  r.cas = Load64(p + 16);
  if (input.size() < r.frame_size()) return FrameStatus::kNeedMore;
  const uint8_t loud = LoudOf(r.opcode);
  r.quiet = loud != 0xff;
  r.command = r.quiet ? loud : r.opcode;
  r.extras = input.substr(kHeaderSize, std::min<size_t>(r.extras_length, kMaxExtras));
  r.key = input.substr(kHeaderSize + r.extras_length, r.key_length);
  return FrameStatus::kRequest;
}

bool CheckFrame(const BinaryRequest& r) {
  return r.key_length <= r.body_length && size_t{r.key_length} + r.extras_length <= r.body_length;
}

Shape CheckShape(const BinaryRequest& r) {
  if (r.key_length > kMaxKey) return Shape::kInvalid;
  const uint32_t ext = r.extras_length;
  const uint32_t key = r.key_length;
  const uint32_t body = r.body_length;
  bool ok = false;
  switch (r.command) {
    case kVersion:
    case kNoop:
    case kQuit:
    case kSaslListMechs:
      ok = ext == 0 && key == 0 && body == 0;
      break;
    case kFlush:
      ok = key == 0 && body == ext && (ext == 0 || ext == 4);
      break;
    case kSet:
    case kAdd:
    case kReplace:
      ok = ext == 8 && key != 0 && body >= key + 8;
      break;
    case kGet:
    case kGetK:
      ok = ext == 0 && body == key && key > 0;
      break;
    case kDelete:
      ok = key > 0 && ext == 0 && body == key;
      break;
    case kIncrement:
    case kDecrement:
      ok = key > 0 && ext == 20 && body == key + ext;
      break;
    case kAppend:
    case kPrepend:
      ok = key > 0 && ext == 0;
      break;
    case kStat:
      ok = ext == 0;
      break;
    case kSaslAuth:
    case kSaslStep:
      ok = ext == 0 && key != 0;
      break;
    case kTouch:
    case kGat:
    case kGatK:
      ok = ext == 4 && key != 0;
      break;
    default:
      return Shape::kUnknownCommand;
  }
  return ok ? Shape::kOk : Shape::kInvalid;
}

uint32_t ValueLength(const BinaryRequest& r) {
  switch (r.command) {
    case kSet:
    case kAdd:
    case kReplace:
    case kAppend:
    case kPrepend:
      return r.body_length - r.key_length - r.extras_length;
    case kSaslAuth:
    case kSaslStep:
      return r.body_length - r.key_length;
    default:
      return 0;
  }
}

uint32_t ExtrasWord(const BinaryRequest& r, size_t offset) {
  char bytes[4] = {0, 0, 0, 0};
  if (offset < r.extras.size()) {
    std::memcpy(bytes, r.extras.data() + offset, std::min<size_t>(4, r.extras.size() - offset));
  }
  return Load32(bytes);
}

uint64_t ExtrasDoubleWord(const BinaryRequest& r, size_t offset) {
  return uint64_t{ExtrasWord(r, offset)} << 32 | ExtrasWord(r, offset + 4);
}

bool ParsePlainCredentials(std::string_view message, PlainCredentials* out) {
  const size_t first = message.find('\0');
  if (first == std::string_view::npos) return false;
  const size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos) return false;
  out->authzid = message.substr(0, first);
  out->user = message.substr(first + 1, second - first - 1);
  out->password = message.substr(second + 1);
  return true;
}

void PutBigEndian32(char* out, uint32_t value) {
  out[0] = static_cast<char>(value >> 24);
  out[1] = static_cast<char>(value >> 16);
  out[2] = static_cast<char>(value >> 8);
  out[3] = static_cast<char>(value);
}

void PutBigEndian64(char* out, uint64_t value) {
  PutBigEndian32(out, static_cast<uint32_t>(value >> 32));
  PutBigEndian32(out + 4, static_cast<uint32_t>(value));
}

void PutResponseHeader(char* out, uint8_t opcode, ResponseStatus status, uint8_t extras_length,
                       uint16_t key_length, uint32_t body_length, uint32_t opaque, uint64_t cas) {
  out[0] = static_cast<char>(kResponseMagic);
  out[1] = static_cast<char>(opcode);
  out[2] = static_cast<char>(key_length >> 8);
  out[3] = static_cast<char>(key_length);
  out[4] = static_cast<char>(extras_length);
  out[5] = 0;  // data type: raw bytes
  out[6] = static_cast<char>(status >> 8);
  out[7] = static_cast<char>(status);
  PutBigEndian32(out + 8, body_length);
  std::memcpy(out + 12, &opaque, 4);
  PutBigEndian64(out + 16, cas);
}

}  // namespace ratmemcache::protocol::binary
