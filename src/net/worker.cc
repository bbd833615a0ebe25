#include "net/worker.h"

#include <vector>

#include "net/connection.h"

namespace ratmemcache::net {

Worker::Worker(unsigned index, SessionFactory* factory, std::atomic<uint64_t>* open_connections,
               ConnectionRegistry* registry)
    : index_(index),
      factory_(factory),
      open_connections_(open_connections),
      registry_(registry),
      work_(asio::make_work_guard(context_)),
      scratch_(new char[kScratchSize]) {}

Worker::~Worker() { Join(); }

void Worker::Start() {
  thread_ = std::thread([this] { context_.run(); });
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
  auto connection =
      std::make_shared<Connection>(this, std::move(socket), factory_->NewSession(index_));
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
