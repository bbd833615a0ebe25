#pragma once

// TextSession: serves one connection speaking memcached's text protocol. Parses command
// lines with the protocol layer, runs them against the Cache, and writes the replies;
// the value of a storage command is copied from the input straight into the item being
// stored, and values of hits are sent from the cache's memory without a copy (large ones)
// or copied next to their header (small ones, cheaper than another iovec).
//
// With the persistent tier on, a command that may have to read an L2 file runs its cache
// calls on the context's blocking-read threads (the session is Busy() meanwhile, and
// its reply is written on Resume()), so a read from RocksDB never holds up the worker's
// event loop: a get when some key needs a file read (RAM, the write-behind queue and
// RocksDB's memory answer the rest at once); gat, touch, incr/decr, delete and the
// storage commands other than set when their key is not in RAM.
//
// Not thread-safe: owned by one connection on one worker thread.

#include <chrono>
#include <optional>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/output_buffer.h"
#include "common/session.h"
#include "protocol/text_request.h"
#include "ratmemcache/cache.h"
#include "server/cache_session.h"
#include "server/chunked_upload.h"
#include "server/server_context.h"

namespace ratmemcache::server {

class TextSession final : public CacheSession {
 public:
  // Output beyond this many pending bytes pauses parsing until the client reads.
  static constexpr size_t kOutputHighWater = 1 << 20;
  // Values up to this size are copied into the reply; larger ones are referenced.
  static constexpr size_t kInlineValueLimit = 2048;

  // `id` names the session in log lines.
  TextSession(ServerContext* context, ThreadStats* stats, uint64_t id = 0);

  ~TextSession() override;

  size_t OnInput(std::string_view input, OutputBuffer& out) override;
  bool WantsClose() const override { return close_; }
  InputState input_state() const override {
    if (state_ == State::kValue || state_ == State::kChunk) return InputState::kData;
    return state_ == State::kSwallow ? InputState::kSkipping : InputState::kCommand;
  }
  // streaming_get writes its chunks as the client reads them (streaming_commands.cc).
  bool HasMoreOutput() const override { return outgoing_.active; }
  void ContinueOutput(OutputBuffer& out) override;

  // Most chunked uploads one connection may have in progress at once.
  static constexpr size_t kMaxUploadsPerConnection = 4;

 private:
  enum class State : uint8_t { kCommand, kValue, kSwallow, kChunk };

  void Execute(const protocol::TextRequest& request, OutputBuffer& out);
  // A retrieval handed to the blocking-read threads: filled there, replied to here.
  struct PendingGet {
    bool with_cas = false;
    bool touch = false;     // gat/gats
    int64_t exptime = 0;    // of gat/gats
    std::vector<std::string> keys;
    std::vector<Result<ItemHandle>> items;  // per key; WouldBlock: still to look up
  };

  void Retrieve(const protocol::TextRequest& request, OutputBuffer& out);
  // get/gets with L2: answers at once when no key needs a disk read; otherwise hands the
  // lookups that do off and stays Busy() until they are done.
  void RetrieveWithoutBlocking(const protocol::TextRequest& request, OutputBuffer& out);
  // The VALUE line (and data) of one key of a get or gat, with its counters.
  void ReplyGetItem(std::string_view key, Result<ItemHandle> item, bool with_cas, bool touch,
                    OutputBuffer& out);
  // Replies to `pending` (every key looked up).
  void ReplyPendingGet(PendingGet& pending, OutputBuffer& out);
  // Looks `pending`'s keys marked WouldBlock up on a blocking-read thread; Busy() until done.
  void OffloadGet(std::shared_ptr<PendingGet> pending);
  void ReplyDelete(const Status& deleted, OutputBuffer& out);
  void ReplyTouch(const Status& touched, OutputBuffer& out);
  void ReplyArithmetic(bool increment, const Result<uint64_t>& result, OutputBuffer& out);
  void ReplyStore(const Result<uint64_t>& stored, bool is_cas, OutputBuffer& out);
  void BeginStore(const protocol::TextRequest& request, OutputBuffer& out);
  size_t ConsumeValue(std::string_view input, OutputBuffer& out);
  void FinishStore(OutputBuffer& out);
  void Arithmetic(const protocol::TextRequest& request, OutputBuffer& out);
  void Stats(const protocol::TextRequest& request, OutputBuffer& out);
  void CacheMemlimit(const protocol::TextRequest& request, OutputBuffer& out);
  // "stats cachedump <class> <limit>" (`args`: the words after "cachedump").
  void CacheDump(protocol::KeyList args, OutputBuffer& out);
  void Shutdown(const protocol::TextRequest& request, OutputBuffer& out);
  // Meta commands (meta_commands.cc). Each first copies its key (decoded, for 'b') and
  // its flag tokens into the session (meta_key_, meta_tokens_): an L2 read may finish
  // after the input buffer moved on.
  void PrepareMeta(const protocol::TextRequest& request);
  void MetaGet(const protocol::TextRequest& request, OutputBuffer& out);
  void ReplyMetaGet(Result<Cache::MetaGetResult> found, bool touch, OutputBuffer& out);
  void BeginMetaSet(const protocol::TextRequest& request, OutputBuffer& out);
  void ReplyMetaSet(const Result<uint64_t>& stored, OutputBuffer& out);
  void MetaDelete(const protocol::TextRequest& request, OutputBuffer& out);
  void MetaArithmetic(const protocol::TextRequest& request, OutputBuffer& out);
  struct MetaArithmeticOutcome {
    Result<Cache::ArithmeticResult> result;
    bool created;  // N made the item
  };
  void ReplyMetaArithmetic(const MetaArithmeticOutcome& outcome, OutputBuffer& out);
  void MetaDebug(const protocol::TextRequest& request, OutputBuffer& out);
  // Seconds to live a meta T or N token sets (memcached's exptime rules), -1 for never.
  int64_t SecondsToLiveFor(int64_t exptime) const;
  // Appends " k<key>" (base64 and " b" for a binary key) and " O..." in the order the
  // request gave them, and with `with_cas` " c<cas>" where the request has 'c'.
  char* PutMetaEcho(char* p, bool with_cas, uint64_t cas) const;
  // Appends a meta status line: `code`, the echo (PutMetaEcho) and "\r\n".
  void AppendMetaStatus(OutputBuffer& out, std::string_view code, bool with_cas, uint64_t cas) const;
  // One 'O' or 'k' token's echo.
  char* PutMetaEchoToken(char* p, std::string_view token) const;
  // The streaming extension (streaming_commands.cc, docs/protocol.md).
  void StreamGet(const protocol::TextRequest& request, OutputBuffer& out);
  // Starts sending `item` (a hit) in chunks, or answers the miss.
  void BeginOutgoingStream(Result<ItemHandle> item, OutputBuffer& out);
  void SetBegin(const protocol::TextRequest& request, OutputBuffer& out);
  void SetData(const protocol::TextRequest& request, OutputBuffer& out);
  // Reads the data block of a set_data into its upload (kChunk).
  size_t ConsumeChunk(std::string_view input, OutputBuffer& out);
  void SetEnd(const protocol::TextRequest& request, OutputBuffer& out);
  // The upload in progress for `key`, or uploads_.end().
  std::vector<std::unique_ptr<ChunkedUpload>>::iterator FindUpload(std::string_view key);
  // memcached's ASCII authentication (-Y, ascii_auth.cc): before anything else the client
  // must send "set <any> <any> <any> <n>\r\n<user> <password>\r\n". Returns the bytes of
  // `input` used and leaves its answer in auth_reply_; sets *need_more when it waits for
  // more input.
  size_t ConsumeAuth(std::string_view input, bool* need_more);
  // memcached -vv style: "<id command line" at debug level.
  void LogCommand(std::string_view line) const;
  // Appends `text` unless the current command said noreply.
  void Reply(OutputBuffer& out, std::string_view text) {
    if (!noreply_) out.Append(text);
  }

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

  // The meta command being served (see PrepareMeta).
  std::string meta_key_;
  std::string meta_tokens_;  // its flag tokens, each followed by one space
  bool meta_key_binary_ = false;
  bool meta_value_ = false;   // v
  bool meta_quiet_ = false;   // q
  bool meta_opaque_too_long_ = false;  // ma answers it after the change
  bool meta_increment_ = true;  // ma: M mode
  int64_t meta_ttl_ = 0;        // ma: T
  int64_t meta_vivify_ttl_ = 0; // ma: N
  bool meta_set_ = false;     // the data block being read belongs to an ms
  bool meta_set_stale_ok_ = false;  // ...with C and I (StoreMode::kCasOrStale)

  bool authenticated_ = true;  // false until ASCII auth succeeds (-Y)
  size_t auth_pending_ = 0;    // bytes of the credentials block still awaited (0: a line)
  std::string_view auth_reply_;  // the answer to send for this read (the last one wins)

  std::vector<Result<ItemHandle>> found_;    // lookups of the get being served (reused)

  // streaming_get in progress: the item whose chunks are being written.
  struct OutgoingStream {
    bool active = false;
    ItemHandle item;
    std::string key;
    uint32_t chunk_size = 0;
    uint64_t next_chunk = 0;
    uint64_t chunk_count = 0;
  };
  OutgoingStream outgoing_;
  // Chunked uploads in progress (at most kMaxUploadsPerConnection).
  std::vector<std::unique_ptr<ChunkedUpload>> uploads_;
  ChunkedUpload* chunk_upload_ = nullptr;  // the upload a set_data block is read into
  size_t chunk_remaining_ = 0;             // bytes of that block still to read
};

}  // namespace ratmemcache::server
