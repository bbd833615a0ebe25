#pragma once

// TextSession: serves one connection speaking memcached's text protocol. Parses command
// lines with the protocol layer, runs them against the Cache, and writes the replies;
// the value of a storage command is copied from the input straight into the item being
// stored, and values of hits are sent from the cache's memory without a copy (large ones)
// or copied next to their header (small ones, cheaper than another iovec).
//
// Not thread-safe: owned by one connection on one worker thread.

#include <string_view>

#include "common/output_buffer.h"
#include "common/session.h"
#include "protocol/text_request.h"
#include "ratmemcache/cache.h"
#include "server/server_context.h"

namespace ratmemcache::server {

class TextSession final : public Session {
 public:
  // Output beyond this many pending bytes pauses parsing until the client reads.
  static constexpr size_t kOutputHighWater = 1 << 20;
  // Values up to this size are copied into the reply; larger ones are referenced.
  static constexpr size_t kInlineValueLimit = 2048;

  // `id` names the session in log lines.
  TextSession(ServerContext* context, ThreadStats* stats, uint64_t id = 0);

  size_t OnInput(std::string_view input, OutputBuffer& out) override;
  bool WantsClose() const override { return close_; }

 private:
  enum class State : uint8_t { kCommand, kValue, kSwallow };

  void Execute(const protocol::TextRequest& request, OutputBuffer& out);
  void Retrieve(const protocol::TextRequest& request, OutputBuffer& out);
  void BeginStore(const protocol::TextRequest& request, OutputBuffer& out);
  size_t ConsumeValue(std::string_view input, OutputBuffer& out);
  void FinishStore(OutputBuffer& out);
  void Arithmetic(const protocol::TextRequest& request, OutputBuffer& out);
  void Stats(const protocol::TextRequest& request, OutputBuffer& out);
  void CacheMemlimit(const protocol::TextRequest& request, OutputBuffer& out);
  void Shutdown(const protocol::TextRequest& request, OutputBuffer& out);
  // memcached -vv style: "<id command line" at debug level.
  void LogCommand(std::string_view line) const;
  // Appends `text` unless the current command said noreply.
  void Reply(OutputBuffer& out, std::string_view text) {
    if (!noreply_) out.Append(text);
  }

  ServerContext* context_;
  Cache& cache_;
  ThreadStats* stats_;
  uint64_t id_;
  State state_ = State::kCommand;
  bool close_ = false;
  bool noreply_ = false;  // of the command being served
  // Bytes at the start of the unconsumed input known to hold no newline (an incomplete
  // command line is offered again, longer, with each read).
  size_t scanned_ = 0;

  // The storage command whose data block is being read (kValue).
  WritableItem item_;
  protocol::TextCommand store_command_ = protocol::TextCommand::kSet;
  uint64_t store_cas_ = 0;
  size_t value_filled_ = 0;
  char terminator_[2] = {0, 0};
  size_t terminator_seen_ = 0;

  // Bytes of a rejected data block still to skip (kSwallow).
  size_t swallow_remaining_ = 0;
};

}  // namespace ratmemcache::server
