#pragma once

// CacheSession: what the text and binary sessions share: the context and cache they
// serve, their counters, and the machinery that keeps a read from the persistent tier
// off the worker's event loop (RunOnKey: the cache call runs on a blocking-read thread
// while the session is Busy(), and its reply is written on Resume()).
//
// Not thread-safe: owned by one connection on one worker thread.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/output_buffer.h"
#include "common/session.h"
#include "ratmemcache/cache.h"
#include "server/server_context.h"

namespace ratmemcache::server {

// A Pin that keeps `item`'s memory alive until a reply referencing it has been sent;
// takes over the handle's reference.
Pin PinItem(ItemHandle& item);

class CacheSession : public Session {
 public:
  // `id` names the session in log lines.
  CacheSession(ServerContext* context, ThreadStats* stats, uint64_t id)
      : context_(context), cache_(context->cache()), stats_(stats), id_(id) {}

  void SetWaker(std::function<void()> wake) override { wake_ = std::move(wake); }
  bool Busy() const override { return static_cast<bool>(on_resume_); }
  void Resume(OutputBuffer& out) override;

 protected:
  // True when a command on `key` may have to read an L2 file: L2 is on and the key is
  // not in RAM.
  bool MayNeedDisk(std::string_view key);
  // Runs `work(cache, key)` here, or (MayNeedDisk) on a blocking-read thread, and then
  // `finish(result, out)` here, at once or on Resume().
  template <typename Work, typename Finish>
  void RunOnKey(std::string_view key, Work work, Finish finish, OutputBuffer& out);
  // Counts one retrieval (get or, with `touch`, gat) as a hit or a miss.
  void CountRetrieval(bool touch, bool hit);

  ServerContext* context_;
  Cache& cache_;
  ThreadStats* stats_;
  uint64_t id_;
  std::function<void()> wake_;
  std::function<void(OutputBuffer&)> on_resume_;  // set while Busy(): writes the reply
};

template <typename Work, typename Finish>
inline void CacheSession::RunOnKey(std::string_view key, Work work, Finish finish, OutputBuffer& out) {
  if (!MayNeedDisk(key)) {
    finish(work(cache_, key), out);
    return;
  }
  if (!context_->OffloadL2Reads()) {  // L2 reads are fast lately: stay on the loop
    const auto start = std::chrono::steady_clock::now();
    auto outcome = work(cache_, key);
    context_->RecordL2Read(std::chrono::steady_clock::now() - start);
    finish(std::move(outcome), out);
    return;
  }
  using Outcome = decltype(work(cache_, key));
  auto outcome = std::make_shared<std::optional<Outcome>>();
  on_resume_ = [outcome, finish](OutputBuffer& o) { finish(std::move(**outcome), o); };
  context_->blocking_reads()->Submit([outcome, work = std::move(work), cache = &cache_,
                                      context = context_, key = std::string(key), wake = wake_] {
    const auto start = std::chrono::steady_clock::now();
    outcome->emplace(work(*cache, key));
    context->RecordL2Read(std::chrono::steady_clock::now() - start);
    wake();
  });
}

}  // namespace ratmemcache::server
