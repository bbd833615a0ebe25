#pragma once

// ChunkedUpload: one upload of the streaming extension in progress (set_begin, then
// set_data chunks, then set_end): the unpublished item being filled in place, what the
// client announced and what has arrived. It holds its value's share of the server's
// upload budget and gives it back when destroyed (stored, failed or abandoned with its
// connection). Nothing is visible to readers before the item is taken and stored.
//
// Not thread-safe: owned by one session.

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "ratmemcache/item.h"
#include "server/server_context.h"

namespace ratmemcache::server {

class ChunkedUpload {
 public:
  // REQUIRES: `context->TryReserveUpload(item.value_buffer().size())` succeeded; this
  // upload now owns that reservation.
  ChunkedUpload(ServerContext* context, std::string key, WritableItem item, uint32_t chunk_count)
      : context_(context),
        key_(std::move(key)),
        item_(std::move(item)),
        reserved_(item_.value_buffer().size()),
        chunk_count_(chunk_count) {}
  ~ChunkedUpload() { context_->ReleaseUpload(reserved_); }
  ChunkedUpload(const ChunkedUpload&) = delete;
  ChunkedUpload& operator=(const ChunkedUpload&) = delete;

  const std::string& key() const { return key_; }
  uint64_t total() const { return reserved_; }
  uint64_t filled() const { return filled_; }
  uint32_t chunk_count() const { return chunk_count_; }
  uint32_t next_chunk() const { return next_chunk_; }
  // The part of the value not yet filled.
  std::span<char> room() { return item_.value_buffer().subspan(filled_); }
  // `n` more bytes of the value were written at the start of room().
  void Filled(size_t n) { filled_ += n; }
  // A chunk has been read completely.
  void ChunkDone() { ++next_chunk_; }
  // Every announced chunk and byte has arrived.
  bool Complete() const { return next_chunk_ == chunk_count_ && filled_ == reserved_; }
  // The filled item, for storing; the upload is finished after this.
  WritableItem TakeItem() { return std::move(item_); }

 private:
  ServerContext* context_;
  std::string key_;
  WritableItem item_;
  uint64_t reserved_;
  uint32_t chunk_count_;
  uint32_t next_chunk_ = 0;
  uint64_t filled_ = 0;
};

}  // namespace ratmemcache::server
