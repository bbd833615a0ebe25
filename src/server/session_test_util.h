#pragma once

// Test helpers: drive a Session the way the network layer does, without sockets.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/output_buffer.h"
#include "common/session.h"
#include "ratmemcache/cache.h"
#include "server/server_context.h"
#include "server/session_feed.h"

namespace ratmemcache::server {

// A fixture: a fresh RAM-only cache and server context, and conversations with new
// sessions of type `SessionT` on them.
template <typename SessionT>
class SessionTest : public ::testing::Test {
 protected:
  SessionTest() { Fresh(); }

  // A new, empty cache and server context.
  void Fresh(uint64_t max_item_size = 1 << 20) {
    context_.reset();
    CacheOptions options;
    options.ttl.cleanup_interval = 0;
    options.max_item_size = max_item_size;
    cache_ = std::move(CacheBuilder().options(options).Build()).value();
    ServerSettings settings;
    settings.threads = 1;
    context_ = std::make_unique<ServerContext>(cache_.get(), settings);
  }

  // Feeds `input` to a new session in pieces of `chunk` bytes (FeedInPieces) and returns
  // all it wrote; *closed tells whether it wanted the connection closed.
  std::string Converse(std::string_view input, size_t chunk, bool* closed = nullptr) {
    SessionT session(context_.get(), &context_->thread_stats(0));
    std::string output = FeedInPieces(session, input, chunk);
    if (closed != nullptr) *closed = session.WantsClose();
    return output;
  }

  std::unique_ptr<Cache> cache_;
  std::unique_ptr<ServerContext> context_;
};

}  // namespace ratmemcache::server
