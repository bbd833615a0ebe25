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

namespace ratmemcache::server {

// Feeds `input` to `session` in pieces of `chunk` bytes (unconsumed bytes are offered
// again with the next piece, as the network layer does; a reply written in parts is
// continued each time the output is drained) and returns everything it wrote.
// Stops when the session wants the connection closed.
inline std::string FeedInPieces(Session& session, std::string_view input, size_t chunk) {
  BlockPool pool;
  OutputBuffer out(&pool);
  std::string pending;
  std::string output;
  for (size_t at = 0; at < input.size() && !session.WantsClose(); at += chunk) {
    pending.append(input.substr(at, chunk));
    for (;;) {
      const size_t used = session.OnInput(pending, out);
      pending.erase(0, used);
      const bool drained_something = !out.empty();
      while (!out.empty()) {
        size_t taken = 0;
        OutputSegment segments[64];
        const size_t count = out.Front(segments, 64);
        for (size_t i = 0; i < count; ++i) {
          output.append(segments[i].data, segments[i].size);
          taken += segments[i].size;
        }
        out.Consume(taken);
        if (out.empty() && session.HasMoreOutput()) session.ContinueOutput(out);
      }
      if (session.WantsClose() || used == 0 || (!drained_something && pending.empty())) break;
    }
  }
  return output;
}

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
