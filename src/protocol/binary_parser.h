#pragma once

// memcached's binary protocol (protocol_binary.h of memcached 1.6.18): the request
// framing, the shape each opcode must have, and the response header. Pure functions: no
// I/O, no state between calls, no allocation. Values are not parsed here: the caller
// reads BinaryRequest::value_length bytes after the header, extras and key.
//
// The order of the checks is memcached's (dispatch_bin_command): CheckFrame() first,
// then authentication (the caller's), then CheckShape().

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ratmemcache::protocol::binary {

inline constexpr uint8_t kRequestMagic = 0x80;
inline constexpr uint8_t kResponseMagic = 0x81;
inline constexpr size_t kHeaderSize = 24;
// Longest key the binary protocol accepts (16-bit on the wire, memcached's limit inside).
inline constexpr size_t kMaxKey = 250;

enum Opcode : uint8_t {
  kGet = 0x00,
  kSet = 0x01,
  kAdd = 0x02,
  kReplace = 0x03,
  kDelete = 0x04,
  kIncrement = 0x05,
  kDecrement = 0x06,
  kQuit = 0x07,
  kFlush = 0x08,
  kGetQ = 0x09,
  kNoop = 0x0a,
  kVersion = 0x0b,
  kGetK = 0x0c,
  kGetKQ = 0x0d,
  kAppend = 0x0e,
  kPrepend = 0x0f,
  kStat = 0x10,
  kSetQ = 0x11,
  kAddQ = 0x12,
  kReplaceQ = 0x13,
  kDeleteQ = 0x14,
  kIncrementQ = 0x15,
  kDecrementQ = 0x16,
  kQuitQ = 0x17,
  kFlushQ = 0x18,
  kAppendQ = 0x19,
  kPrependQ = 0x1a,
  kTouch = 0x1c,
  kGat = 0x1d,
  kGatQ = 0x1e,
  kSaslListMechs = 0x20,
  kSaslAuth = 0x21,
  kSaslStep = 0x22,
  kGatK = 0x23,
  kGatKQ = 0x24,
};

enum ResponseStatus : uint16_t {
  kSuccess = 0x00,
  kKeyNotFound = 0x01,
  kKeyExists = 0x02,
  kTooLarge = 0x03,
  kInvalidArguments = 0x04,
  kNotStored = 0x05,
  kDeltaBadValue = 0x06,
  kAuthError = 0x20,
  kAuthContinue = 0x21,
  kUnknownCommand = 0x81,
  kOutOfMemory = 0x82,
};

// The text memcached sends as the body of an error response with `status`.
std::string_view ErrorText(ResponseStatus status);

// One request's header, extras and key (the value, if any, follows in the input).
struct BinaryRequest {
  uint8_t opcode = 0;     // as sent
  uint8_t command = 0;    // `opcode` with the quiet variants mapped to their loud one
  bool quiet = false;     // a ...Q opcode: success is not answered (get misses neither)
  uint8_t extras_length = 0;
  uint16_t key_length = 0;
  uint32_t body_length = 0;
  uint32_t opaque = 0;    // in network byte order: echoed as received
  uint64_t cas = 0;
  std::string_view extras;  // the first min(extras_length, 20) bytes of the extras
  std::string_view key;     // key_length bytes
  // Bytes of the header, extras and key (consumed by ParseBinaryRequest).
  size_t frame_size() const { return kHeaderSize + extras_length + key_length; }
};

enum class FrameStatus : uint8_t {
  kNeedMore,  // the header, extras or key are not all here yet
  kRequest,   // *request is filled; the request uses frame_size() bytes so far
  kBadMagic,  // not a request: memcached closes the connection without a reply
};

// Reads the request at the start of `input`. REQUIRES: nothing; any bytes are fine.
FrameStatus ParseBinaryRequest(std::string_view input, BinaryRequest* request);

// True when the lengths are consistent (key and extras fit in the body). When not,
// memcached answers kUnknownCommand and closes the connection.
bool CheckFrame(const BinaryRequest& request);

enum class Shape : uint8_t {
  kOk,              // the opcode is known and its lengths are right
  kInvalid,         // memcached answers kInvalidArguments and closes the connection
  kUnknownCommand,  // memcached answers kUnknownCommand and skips body_length bytes
};

// Whether `request` (which passed CheckFrame) has the extras, key and body its opcode
// needs, as memcached 1.6.18 checks them. A key longer than kMaxKey is kInvalid.
Shape CheckShape(const BinaryRequest& request);

// Bytes of the value after the frame: for storage commands body - key - extras, for
// SASL auth/step body - key; 0 for the rest.
uint32_t ValueLength(const BinaryRequest& request);

// Extras, decoded (network byte order on the wire). Missing bytes read as zero.
uint32_t ExtrasWord(const BinaryRequest& request, size_t offset);
uint64_t ExtrasDoubleWord(const BinaryRequest& request, size_t offset);

// Writes a 24-byte response header to `out`. `opaque` is in network byte order, as
// BinaryRequest::opaque.
void PutResponseHeader(char* out, uint8_t opcode, ResponseStatus status, uint8_t extras_length,
                       uint16_t key_length, uint32_t body_length, uint32_t opaque, uint64_t cas);

// The credentials of a SASL PLAIN message (RFC 4616): [authzid] NUL authcid NUL passwd.
struct PlainCredentials {
  std::string_view authzid;  // may be empty
  std::string_view user;     // authcid
  std::string_view password;
};
// Splits a PLAIN message; false when it lacks either NUL.
bool ParsePlainCredentials(std::string_view message, PlainCredentials* out);

// Big-endian stores.
void PutBigEndian32(char* out, uint32_t value);
void PutBigEndian64(char* out, uint64_t value);

}  // namespace ratmemcache::protocol::binary
