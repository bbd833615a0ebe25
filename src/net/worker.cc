#include "net/worker.h"

#include <vector>

#include "net/connection.h"

namespace ratmemcache::net {

Worker::Worker(unsigned index, SessionFactory* factory, std::atomic<uint64_t>* open_connections)
    : index_(index),
      factory_(factory),
      open_connections_(open_connections),
      work_(asio::make_work_guard(context_)),
      scratch_(new char[kScratchSize]) {}

Worker::~Worker() { Join(); }

void Worker::Start() {
  thread_ = std::thread([this] { context_.run(); });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Adopt(asio::ip::tcp::socket socket) {
  if (draining_) {
    asio::error_code ec;
    socket.close(ec);
    open_connections_->fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  auto connection =
      std::make_shared<Connection>(this, std::move(socket), factory_->NewSession(index_));
  connections_.emplace(connection.get(), connection);
  connection->Start();
}

void Worker::Forget(Connection* connection) {
  // Keep the object alive until the caller's stack frame has unwound.
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  std::shared_ptr<Connection> keep = std::move(it->second);
  connections_.erase(it);
  open_connections_->fetch_sub(1, std::memory_order_relaxed);
  asio::post(context_, [keep = std::move(keep)] {});
  if (draining_ && connections_.empty()) {
    if (drain_timer_) drain_timer_->cancel();
    work_.reset();
  }
}

void Worker::Drain(int drain_ms) {
  draining_ = true;
  if (connections_.empty()) {
    work_.reset();
    return;
  }
  std::vector<std::shared_ptr<Connection>> all;
  for (auto& [raw, connection] : connections_) all.push_back(connection);
  for (auto& connection : all) connection->BeginDrain();
  drain_timer_ = std::make_unique<asio::steady_timer>(context_, std::chrono::milliseconds(drain_ms));
  drain_timer_->async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    std::vector<std::shared_ptr<Connection>> left;
    for (auto& [raw, connection] : connections_) left.push_back(connection);
    for (auto& connection : left) connection->Close();
    work_.reset();
  });
}

}  // namespace ratmemcache::net
