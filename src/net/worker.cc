#include "net/worker.h"

#include <vector>

#include "net/connection.h"

namespace ratmemcache::net {

Worker::Worker(unsigned index, SessionFactory* factory, std::atomic<uint64_t>* open_connections,
               ConnectionRegistry* registry, TlsContext* tls, uint32_t idle_timeout_s)
    : index_(index),
      factory_(factory),
      open_connections_(open_connections),
      registry_(registry),
      work_(asio::make_work_guard(context_)),
      scratch_(new char[kScratchSize]),
      tls_(tls),
      idle_timeout_s_(idle_timeout_s) {}

Worker::~Worker() { Join(); }

void Worker::Start() {
  if (idle_timeout_s_ > 0) {
    idle_timer_ = std::make_unique<asio::steady_timer>(context_);
    CheckIdle();
  }
  thread_ = std::thread([this] { context_.run(); });
}

void Worker::CheckIdle() {
  const int64_t now = ConnectionRegistry::Now();
  for (Connection* c = connections_; c != nullptr;) {
    Connection* next = c->worker_next_;  // Close() unlinks c only
    if (c->IdleSeconds(now) > static_cast<int64_t>(idle_timeout_s_)) {
      WorkerCounters::Add(counters_.idle_kicks, 1);
      c->Close();
    }
    c = next;
  }
  idle_timer_->expires_after(std::chrono::seconds(1));
  idle_timer_->async_wait([this](const asio::error_code& ec) {
    if (!ec && !draining_) CheckIdle();
  });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Adopt(Socket socket) {
  if (draining_) {
    asio::error_code ec;
    socket.close(ec);
    open_connections_->fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  TlsChannelPtr tls;
#if RMC_HAVE_TLS
  if (tls_ != nullptr) tls.reset(new TlsChannel(tls_));
#endif
  auto connection = std::make_shared<Connection>(this, std::move(socket),
                                                 factory_->NewSession(index_), std::move(tls));
  Connection* raw = connection.get();
  raw->self_ = connection;
  raw->worker_next_ = connections_;
  if (connections_ != nullptr) connections_->worker_prev_ = raw;
  connections_ = raw;
  ++connection_count_;
  raw->Start();
}

std::vector<std::shared_ptr<Connection>> Worker::OpenConnections() const {
  std::vector<std::shared_ptr<Connection>> all;
  all.reserve(connection_count_);
  for (Connection* c = connections_; c != nullptr; c = c->worker_next_) all.push_back(c->self_);
  return all;
}

void Worker::Forget(Connection* connection) {
  if (connection->self_ == nullptr) return;
  if (connection->worker_prev_ != nullptr) connection->worker_prev_->worker_next_ = connection->worker_next_;
  else connections_ = connection->worker_next_;
  if (connection->worker_next_ != nullptr) connection->worker_next_->worker_prev_ = connection->worker_prev_;
  connection->worker_prev_ = connection->worker_next_ = nullptr;
  --connection_count_;
  open_connections_->fetch_sub(1, std::memory_order_relaxed);
  // Keep the object alive until the caller's stack frame has unwound.
  asio::post(context_, [keep = std::move(connection->self_)] {});
  if (draining_ && connection_count_ == 0) {
    if (drain_timer_) drain_timer_->cancel();
    work_.reset();
  }
}

void Worker::Drain(int drain_ms) {
  draining_ = true;
  if (idle_timer_) idle_timer_->cancel();
  if (connection_count_ == 0) {
    work_.reset();
    return;
  }
  for (auto& connection : OpenConnections()) connection->BeginDrain();
  drain_timer_ = std::make_unique<asio::steady_timer>(context_, std::chrono::milliseconds(drain_ms));
  drain_timer_->async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    for (auto& connection : OpenConnections()) connection->Close();
    work_.reset();
  });
}

}  // namespace ratmemcache::net
