// The seed's streaming extension to the text protocol (docs/protocol.md): streaming_get
// sends a value in numbered chunks, written as the client reads them, from the item's own
// memory; set_begin / set_data / set_end upload a value in chunks straight into the item
// that set_end publishes, so nothing is visible before and the value is held once.

#include <algorithm>
#include <cstring>
#include <string>

#include "common/decimal.h"
#include "protocol/text_parser.h"
#include "protocol/text_replies.h"
#include "server/text_session.h"

namespace ratmemcache::server {

using protocol::TextRequest;
namespace reply = protocol::reply;

namespace {

constexpr std::string_view kTooManyUploads =
    "SERVER_ERROR too many uploads in progress on this connection\r\n";
constexpr std::string_view kUploadBudgetExceeded =
    "SERVER_ERROR out of memory for uploads in progress\r\n";

char* Put(char* p, std::string_view text) {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

char* PutNumber(char* p, uint64_t value) { return p + FormatDecimal(value, p); }

// Longest "STREAM_BEGIN <key> <total_size> <chunk_count>\r\n" or
// "STREAM_DATA <key> <chunk_no> <len>\r\n".
constexpr size_t kMaxChunkHeader = 13 + protocol::kMaxKey + 1 + 20 + 1 + 20 + 2;

}  // namespace

TextSession::~TextSession() = default;

void TextSession::StreamGet(const TextRequest& request, OutputBuffer& out) {
  outgoing_.key.assign(request.key);
  outgoing_.chunk_size = request.stream.chunk_size;
  RunOnKey(
      request.key, [](Cache& cache, std::string_view key) { return cache.Get(key); },
      [this](Result<ItemHandle> item, OutputBuffer& o) { BeginOutgoingStream(std::move(item), o); },
      out);
}

void TextSession::BeginOutgoingStream(Result<ItemHandle> item, OutputBuffer& out) {
  context_->prefix_stats().RecordGet(outgoing_.key, item.ok());
  CountRetrieval(false, item.ok());
  if (!item.ok()) {
    std::string line = "STREAM_ERROR ";
    line += outgoing_.key;
    line += item.code() == StatusCode::kNotFound ? " not found\r\n" : " could not be read\r\n";
    out.Append(line);
    return;
  }
  outgoing_.item = std::move(item).value();
  const uint64_t total = outgoing_.item.value().size();
  outgoing_.chunk_count = (total + outgoing_.chunk_size - 1) / outgoing_.chunk_size;
  outgoing_.next_chunk = 0;
  outgoing_.active = true;
  char* const start = out.Reserve(kMaxChunkHeader);
  char* p = Put(start, "STREAM_BEGIN ");
  p = Put(p, outgoing_.key);
  *p++ = ' ';
  p = PutNumber(p, total);
  *p++ = ' ';
  p = PutNumber(p, outgoing_.chunk_count);
  p = Put(p, "\r\n");
  out.Commit(static_cast<size_t>(p - start));
  ContinueOutput(out);
}

void TextSession::ContinueOutput(OutputBuffer& out) {
  if (!outgoing_.active) return;
  const std::string_view value = outgoing_.item.value();
  // Chunks are referenced in the item's memory (or copied, when small); the last
  // reference carries the item's pin, which keeps it alive until that chunk is sent
  // (the ones before it are sent earlier).
  const bool by_reference = outgoing_.chunk_size > kInlineValueLimit;
  while (outgoing_.next_chunk < outgoing_.chunk_count && out.pending_bytes() < kOutputHighWater) {
    const uint64_t offset = outgoing_.next_chunk * outgoing_.chunk_size;
    const std::string_view chunk = value.substr(offset, outgoing_.chunk_size);
    const bool last = outgoing_.next_chunk + 1 == outgoing_.chunk_count;
    char* const start = out.Reserve(kMaxChunkHeader + (by_reference ? 0 : chunk.size() + 2));
    char* p = Put(start, "STREAM_DATA ");
    p = Put(p, outgoing_.key);
    *p++ = ' ';
    p = PutNumber(p, outgoing_.next_chunk);
    *p++ = ' ';
    p = PutNumber(p, chunk.size());
    p = Put(p, "\r\n");
    if (!by_reference) {
      p = Put(Put(p, chunk), "\r\n");
      out.Commit(static_cast<size_t>(p - start));
    } else {
      out.Commit(static_cast<size_t>(p - start));
      out.AppendReference(chunk.data(), chunk.size(), last ? PinItem(outgoing_.item) : Pin{});
      out.Append("\r\n");
    }
    ++outgoing_.next_chunk;
  }
  if (outgoing_.next_chunk < outgoing_.chunk_count) return;  // more once this is sent
  std::string end = "STREAM_END ";
  end += outgoing_.key;
  end += "\r\n";
  out.Append(end);
  outgoing_.item = ItemHandle();  // released now unless the last chunk pinned it
  outgoing_.active = false;
}

std::vector<std::unique_ptr<ChunkedUpload>>::iterator TextSession::FindUpload(std::string_view key) {
  return std::find_if(uploads_.begin(), uploads_.end(),
                      [key](const std::unique_ptr<ChunkedUpload>& upload) { return upload->key() == key; });
}

void TextSession::SetBegin(const TextRequest& request, OutputBuffer& out) {
  // A new upload of the same key replaces the one in progress.
  if (auto old = FindUpload(request.key); old != uploads_.end()) uploads_.erase(old);
  if (uploads_.size() >= kMaxUploadsPerConnection) {
    out.Append(kTooManyUploads);
    return;
  }
  if (request.stream.total_size > cache_.options().max_item_size) {
    stats_->store_too_large.Add();
    out.Append(reply::kTooLarge);
    return;
  }
  const uint64_t total = request.stream.total_size;
  if (!context_->TryReserveUpload(total)) {
    out.Append(kUploadBudgetExceeded);
    return;
  }
  Result<WritableItem> item =
      cache_.Allocate(request.key, total, WriteOptions{request.flags, request.exptime});
  if (!item.ok()) {
    context_->ReleaseUpload(total);
    if (item.code() == StatusCode::kTooLarge) {
      stats_->store_too_large.Add();
      out.Append(reply::kTooLarge);
    } else {
      stats_->store_no_memory.Add();
      out.Append(reply::kNoMemoryStoring);
    }
    return;
  }
  uploads_.push_back(std::make_unique<ChunkedUpload>(context_, std::string(request.key),
                                                     std::move(item).value(), request.stream.chunk_count));
  out.Append(reply::kOk);
}

void TextSession::SetData(const TextRequest& request, OutputBuffer& out) {
  const size_t block = size_t{request.value_length} + 2;
  auto skip_with = [&](std::string_view error) {
    out.Append(error);
    state_ = State::kSwallow;
    swallow_remaining_ = block;
  };
  if (!request.error.empty()) {
    skip_with(request.error);
    return;
  }
  auto upload = FindUpload(request.key);
  if (upload == uploads_.end()) {
    skip_with("CLIENT_ERROR no upload in progress for this key (set_begin first)\r\n");
    return;
  }
  ChunkedUpload& u = **upload;
  std::string error;
  if (request.stream.chunk_no != u.next_chunk()) {
    error = "CLIENT_ERROR chunk " + std::to_string(request.stream.chunk_no) + " out of order (expected " +
            std::to_string(u.next_chunk()) + "); upload abandoned\r\n";
  } else if (u.next_chunk() >= u.chunk_count()) {
    error = "CLIENT_ERROR more chunks than announced; upload abandoned\r\n";
  } else if (request.value_length > u.total() - u.filled()) {
    error = "CLIENT_ERROR chunk exceeds the announced total_size; upload abandoned\r\n";
  }
  if (!error.empty()) {
    uploads_.erase(upload);
    skip_with(error);
    return;
  }
  chunk_upload_ = &u;
  chunk_remaining_ = request.value_length;
  terminator_seen_ = 0;
  state_ = State::kChunk;
}

size_t TextSession::ConsumeChunk(std::string_view input, OutputBuffer& out) {
  const size_t n = std::min(input.size(), chunk_remaining_);
  if (n != 0) {
    std::memcpy(chunk_upload_->room().data(), input.data(), n);
    chunk_upload_->Filled(n);
    chunk_remaining_ -= n;
  }
  size_t pos = n;
  while (chunk_remaining_ == 0 && terminator_seen_ < 2 && pos < input.size()) {
    terminator_[terminator_seen_++] = input[pos++];
  }
  if (terminator_seen_ < 2) return pos;
  state_ = State::kCommand;
  if (terminator_[0] != '\r' || terminator_[1] != '\n') {
    uploads_.erase(FindUpload(chunk_upload_->key()));
    out.Append("CLIENT_ERROR bad data chunk; upload abandoned\r\n");
  } else {
    chunk_upload_->ChunkDone();
    out.Append(reply::kOk);
  }
  chunk_upload_ = nullptr;
  return pos;
}

void TextSession::SetEnd(const TextRequest& request, OutputBuffer& out) {
  auto upload = FindUpload(request.key);
  if (upload == uploads_.end()) {
    out.Append("CLIENT_ERROR no upload in progress for this key\r\n");
    return;
  }
  std::unique_ptr<ChunkedUpload> finished = std::move(*upload);
  uploads_.erase(upload);
  if (!finished->Complete()) {
    out.Append("CLIENT_ERROR incomplete upload: " + std::to_string(finished->filled()) + " of " +
               std::to_string(finished->total()) + " bytes in " + std::to_string(finished->next_chunk()) +
               " of " + std::to_string(finished->chunk_count()) + " chunks; upload abandoned\r\n");
    return;
  }
  stats_->cmd_set.Add();
  context_->prefix_stats().RecordSet(request.key);
  noreply_ = false;
  ReplyStore(cache_.Store(StoreMode::kSet, finished->TakeItem()), false, out);
}

}  // namespace ratmemcache::server
