#pragma once

// ServerSessionFactory: makes the session for each new connection of the server.
// Thread-safe (called from every worker thread).

#include <atomic>
#include <memory>

#include "common/session.h"
#include "server/server_context.h"

namespace ratmemcache::server {

class ServerSessionFactory final : public SessionFactory {
 public:
  // `context` must outlive the factory and every session it makes.
  explicit ServerSessionFactory(ServerContext* context) : context_(context) {}
  std::unique_ptr<Session> NewSession(unsigned worker_index) override;

 private:
  ServerContext* context_;
  std::atomic<uint64_t> next_id_{1};
};

}  // namespace ratmemcache::server
