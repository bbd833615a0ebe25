// libFuzzer target: a whole server session (protocol negotiation, text, meta and binary
// commands, the chunked-upload and streaming state machines, stats) over a real RAM-only
// cache, fed in pieces as the network delivers them. The first byte picks the protocol
// setting (-B), the second the piece size.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "ratmemcache/cache.h"
#include "server/server_context.h"
#include "server/session_factory.h"
#include "server/session_feed.h"

using namespace ratmemcache;

namespace {

// One cache for every input (a cache per input would spend the time building caches);
// a flush_all in an input only empties it.
struct World {
  explicit World(server::Protocol protocol) {
    CacheOptions options;
    options.l1.max_memory = 4u << 20;  // small: eviction happens
    options.ttl.cleanup_interval = 0;
    options.max_item_size = 256u << 10;
    cache = std::move(CacheBuilder().options(options).Build()).value();
    server::ServerSettings settings;
    settings.threads = 1;
    settings.protocol = protocol;
    settings.enable_shutdown = true;  // "shutdown" only closes the session here
    context = std::make_unique<server::ServerContext>(cache.get(), settings);
    factory = std::make_unique<server::ServerSessionFactory>(context.get());
  }
  std::unique_ptr<Cache> cache;
  std::unique_ptr<server::ServerContext> context;
  std::unique_ptr<server::ServerSessionFactory> factory;
};

World& WorldFor(uint8_t selector) {
  static World negotiate(server::Protocol::kNegotiate);
  static World ascii(server::Protocol::kAscii);
  static World binary(server::Protocol::kBinary);
  switch (selector % 3) {
    case 1: return ascii;
    case 2: return binary;
    default: return negotiate;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  World& world = WorldFor(data[0]);
  const size_t piece = 1 + data[1] % 64;
  std::unique_ptr<Session> session = world.factory->NewSession(0);
  server::FeedInPieces(*session, std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2), piece);
  return 0;
}
