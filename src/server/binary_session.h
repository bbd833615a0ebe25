#pragma once

// BinarySession: serves one connection speaking memcached's binary protocol, as
// memcached 1.6.18 does (proto_bin.c): every opcode it handles, its status codes and
// error texts, CAS in the headers, the opaque echoed, quiet opcodes answering errors
// only (and get hits), SASL PLAIN when the server requires authentication (-S).
//
// Values are copied from the input straight into the item being stored; values of hits
// are sent from the cache's memory (large ones without a copy). Commands that may have
// to read an L2 file run on the blocking-read threads (CacheSession::RunOnKey).
//
// Not thread-safe: owned by one connection on one worker thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/output_buffer.h"
#include "protocol/binary_parser.h"
#include "ratmemcache/cache.h"
#include "server/cache_session.h"
#include "server/server_context.h"
#include "server/stats_report.h"

namespace ratmemcache::server {

class BinarySession final : public CacheSession {
 public:
  // Output beyond this many pending bytes pauses parsing until the client reads.
  static constexpr size_t kOutputHighWater = 1 << 20;
  // Values up to this size are copied into the reply; larger ones are referenced.
  static constexpr size_t kInlineValueLimit = 2048;
  // Longest SASL mechanism name (memcached's MAX_SASL_MECH_LEN).
  static constexpr size_t kMaxSaslMechanism = 32;
  // Largest SASL payload read (PLAIN needs a few hundred bytes at most).
  static constexpr size_t kMaxSaslData = 64 * 1024;

  BinarySession(ServerContext* context, ThreadStats* stats, uint64_t id = 0);

  size_t OnInput(std::string_view input, OutputBuffer& out) override;
  bool WantsClose() const override { return close_; }
  InputState input_state() const override {
    if (state_ == State::kValue || state_ == State::kSaslData) return InputState::kData;
    return state_ == State::kSwallow ? InputState::kSkipping : InputState::kCommand;
  }

 private:
  enum class State : uint8_t { kHeader, kValue, kSaslData, kSwallow };

  // Runs one request whose header, extras and key are in `request`.
  void Dispatch(const protocol::binary::BinaryRequest& request, OutputBuffer& out);
  // The response header for the request being served.
  void PutHeader(OutputBuffer& out, protocol::binary::ResponseStatus status, uint8_t extras_length,
                 uint16_t key_length, uint32_t body_length, uint64_t cas);
  // A success with `body` (not sent for a quiet request).
  void Success(OutputBuffer& out, std::string_view body = {}, uint64_t cas = 0);
  // An error, always sent; `text` defaults to memcached's text for `status`.
  void Error(OutputBuffer& out, protocol::binary::ResponseStatus status, std::string_view text = {});
  // Skips the next `bytes` bytes of input.
  void Swallow(uint64_t bytes);

  void Retrieve(const protocol::binary::BinaryRequest& request, OutputBuffer& out);
  void ReplyRetrieval(Result<ItemHandle> item, OutputBuffer& out);
  void BeginStore(const protocol::binary::BinaryRequest& request, OutputBuffer& out);
  size_t ConsumeValue(std::string_view input, OutputBuffer& out);
  void FinishStore(OutputBuffer& out);
  void ReplyStore(const Result<uint64_t>& stored, OutputBuffer& out);
  void Delete(OutputBuffer& out);
  void Arithmetic(const protocol::binary::BinaryRequest& request, OutputBuffer& out);
  void Flush(const protocol::binary::BinaryRequest& request, OutputBuffer& out);
  void Stats(OutputBuffer& out);
  void BeginSasl(const protocol::binary::BinaryRequest& request, OutputBuffer& out);
  void FinishSasl(OutputBuffer& out);
  // Checks a PLAIN payload ("authzid\0user\0password") against the password file.
  bool CheckPlain(std::string_view data) const;

  // What the rest of the request being served needs once its input may have moved on.
  uint8_t opcode_ = 0;
  uint8_t command_ = 0;
  bool quiet_ = false;
  uint32_t opaque_ = 0;
  uint64_t cas_ = 0;
  std::string key_;

  State state_ = State::kHeader;
  bool close_ = false;
  uint64_t swallow_remaining_ = 0;

  // The storage command whose value is being read (kValue).
  WritableItem item_;
  StoreMode store_mode_ = StoreMode::kSet;
  size_t value_filled_ = 0;

  // SASL (-S): the connection may run commands once authenticated.
  bool authenticated_ = true;
  bool sasl_started_ = false;  // an AUTH started (memcached's sasl_started)
  bool plain_pending_ = false; // PLAIN started without data: the next STEP carries it
  std::string sasl_data_;
  size_t sasl_data_length_ = 0;
};

// The binary form of a stats reply: one response packet per statistic (key: its name,
// value: its value) and an empty one at the end, each echoing `opaque`.
class BinaryStatsSink final : public StatsSink {
 public:
  BinaryStatsSink(OutputBuffer& out, uint32_t opaque) : out_(out), opaque_(opaque) {}
  void Stat(std::string_view name, std::string_view value) override;
  void End() override;

 private:
  OutputBuffer& out_;
  uint32_t opaque_;
};

}  // namespace ratmemcache::server
