#include "server/session_factory.h"

#include "server/text_session.h"

namespace ratmemcache::server {

std::unique_ptr<Session> ServerSessionFactory::NewSession(unsigned worker_index) {
  return std::make_unique<TextSession>(context_, &context_->thread_stats(worker_index),
                                       next_id_.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace ratmemcache::server
