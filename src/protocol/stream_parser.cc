#include "protocol/stream_parser.h"

#include "common/decimal.h"
#include "protocol/text_replies.h"

namespace ratmemcache::protocol {
namespace {

ParseResult Reply(size_t consumed, std::string_view text) {
  return ParseResult{ParseStatus::kReply, consumed, text};
}

ParseResult Request(size_t consumed) { return ParseResult{ParseStatus::kRequest, consumed, {}}; }

ParseResult ParseStreamGet(std::span<const std::string_view> words, size_t consumed,
                           TextRequest* request) {
  if (words.size() != 2 && words.size() != 3) return Reply(consumed, reply::kError);
  request->command = TextCommand::kStreamGet;
  request->key = words[1];
  if (request->key.size() > kMaxKey) return Reply(consumed, reply::kBadFormat);
  request->stream.chunk_size = kDefaultStreamChunk;
  if (words.size() == 3) {
    uint64_t size = 0;
    if (!SafeStrtoull(words[2], &size)) return Reply(consumed, reply::kBadFormat);
    if (size == 0 || size > kMaxStreamChunk) return Reply(consumed, kBadChunkSize);
    request->stream.chunk_size = static_cast<uint32_t>(size);
  }
  return Request(consumed);
}

ParseResult ParseSetBegin(std::span<const std::string_view> words, size_t consumed,
                          TextRequest* request) {
  if (words.size() != 5 && words.size() != 6) return Reply(consumed, reply::kError);
  request->command = TextCommand::kSetBegin;
  request->key = words[1];
  StreamArgs& args = request->stream;
  if (request->key.size() > kMaxKey || !SafeStrtoull(words[2], &args.total_size) ||
      !SafeStrtoul(words[3], &args.chunk_count) || !SafeStrtoul(words[4], &request->flags) ||
      (words.size() == 6 && !SafeStrtol(words[5], &request->exptime))) {
    return Reply(consumed, reply::kBadFormat);
  }
  const uint64_t most_chunks = args.total_size == 0 ? 1 : args.total_size;
  if (args.chunk_count == 0 || args.chunk_count > most_chunks) return Reply(consumed, kBadChunkCount);
  return Request(consumed);
}

ParseResult ParseSetData(std::span<const std::string_view> words, size_t consumed,
                         TextRequest* request) {
  if (words.size() != 4) return Reply(consumed, reply::kError);
  request->command = TextCommand::kSetData;
  request->key = words[1];
  int32_t length = 0;
  // Without a readable length the data block cannot be skipped: it is read as commands,
  // as memcached does after a storage command line it cannot parse.
  if (!SafeStrtol(words[3], &length) || length < 0 || length > INT32_MAX - 2) {
    return Reply(consumed, reply::kBadFormat);
  }
  request->value_length = static_cast<uint32_t>(length);
  if (request->key.size() > kMaxKey || !SafeStrtoul(words[2], &request->stream.chunk_no)) {
    request->error = reply::kBadFormat;
  }
  return Request(consumed);
}

}  // namespace

bool IsStreamCommand(std::string_view name) {
  return name == "streaming_get" || name == "sget" || name == "set_begin" || name == "set_data" ||
         name == "set_end";
}

ParseResult ParseStreamCommand(std::span<const std::string_view> words, size_t consumed,
                               TextRequest* request) {
  const std::string_view name = words[0];
  if (name == "streaming_get" || name == "sget") return ParseStreamGet(words, consumed, request);
  if (name == "set_begin") return ParseSetBegin(words, consumed, request);
  if (name == "set_data") return ParseSetData(words, consumed, request);
  if (name == "set_end") {
    if (words.size() != 2) return Reply(consumed, reply::kError);
    request->command = TextCommand::kSetEnd;
    request->key = words[1];
    if (request->key.size() > kMaxKey) return Reply(consumed, reply::kBadFormat);
    return Request(consumed);
  }
  return Reply(consumed, reply::kError);
}

}  // namespace ratmemcache::protocol
