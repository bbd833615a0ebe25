#include "net/net_server.h"

#include <asio.hpp>
#include <atomic>
#include <mutex>
#include <thread>

#include "net/connection_registry.h"
#include "net/socket.h"
#include "net/worker.h"
#if RMC_HAVE_TLS
#include "net/tls.h"
#endif

namespace ratmemcache::net {
namespace {

constexpr std::string_view kTooManyConnections = "ERROR Too many open connections\r\n";

std::string Describe(const ListenAddress& address) {
  const std::string host = address.host.empty() ? "*" : address.host;
  return host + ":" + std::to_string(address.port);
}

}  // namespace

class NetServer::Impl {
  // A listening socket and the timer that retries its accepts after an error.
  struct Listener {
    Listener(asio::io_context& context, ConnectionRegistry* registry)
        : acceptor(context), retry(context), registry(registry) {}
    ~Listener() {
      if (registered) registry->Remove(&entry);
    }
    asio::ip::tcp::acceptor acceptor;
    asio::steady_timer retry;
    ConnectionRegistry* registry;
    ConnectionRegistry::Entry entry;  // for "stats conns"
    bool registered = false;
  };

 public:
  Impl(const NetOptions& options, SessionFactory* factory)
      : options_(options), factory_(factory) {}

  ~Impl() { Stop(0); }

  Status Start() {
    for (const ListenAddress& address : options_.listen) {
      Status bound = Bind(address);
      if (!bound.ok()) {
        listeners_.clear();
        return bound;
      }
    }
    for (uint32_t i = 0; i < options_.threads; ++i) {
      workers_.push_back(std::make_unique<Worker>(i, factory_, &open_connections_, &registry_,
                                                  options_.tls.get(), options_.idle_timeout_s));
    }
    for (auto& worker : workers_) worker->Start();
    for (auto& listener : listeners_) Accept(*listener);
    accept_thread_ = std::thread([this] { accept_context_.run(); });
    started_ = true;
    return Status::Ok();
  }

  std::vector<uint16_t> bound_ports() const {
    std::vector<uint16_t> ports;
    for (const auto& listener : listeners_) {
      asio::error_code ec;
      ports.push_back(listener->acceptor.local_endpoint(ec).port());
    }
    return ports;
  }

  void Stop(int drain_ms) {
    std::lock_guard lock(stop_mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
    asio::post(accept_context_, [this] {
      for (auto& listener : listeners_) {
        asio::error_code ec;
        listener->acceptor.close(ec);
        listener->retry.cancel();
      }
      accept_work_.reset();
    });
    if (accept_thread_.joinable()) accept_thread_.join();
    for (auto& worker : workers_) {
      Worker* w = worker.get();
      asio::post(w->context(), [w, drain_ms] { w->Drain(drain_ms); });
    }
    for (auto& worker : workers_) worker->Join();
  }

  NetworkStats Stats() const {
    NetworkStats stats;
    stats.curr_connections = open_connections_.load(std::memory_order_relaxed);
    stats.total_connections = total_connections_.load(std::memory_order_relaxed);
    stats.rejected_connections = rejected_connections_.load(std::memory_order_relaxed);
    stats.connection_structures = stats.curr_connections;
    stats.listeners = listeners_.size();
    for (const auto& worker : workers_) {
      stats.bytes_read += worker->counters().bytes_read.load(std::memory_order_relaxed);
      stats.bytes_written += worker->counters().bytes_written.load(std::memory_order_relaxed);
      stats.idle_kicks += worker->counters().idle_kicks.load(std::memory_order_relaxed);
    }
#if RMC_HAVE_TLS
    if (options_.tls) {
      const TlsStats tls = options_.tls->Stats();
      stats.tls_enabled = true;
      stats.ssl_handshake_errors = tls.handshake_errors;
      stats.ssl_new_sessions = tls.new_sessions;
      stats.time_since_server_cert_refresh = tls.seconds_since_refresh;
    }
#endif
    return stats;
  }

  std::vector<ConnectionInfo> Connections() const { return registry_.Snapshot(); }

 private:
  // Binds every address `address` resolves to (as memcached does with getaddrinfo).
  Status Bind(const ListenAddress& address) {
    asio::error_code ec;
    asio::ip::tcp::resolver resolver(accept_context_);
    auto results = resolver.resolve(
        address.host.empty() ? "0.0.0.0" : address.host, std::to_string(address.port),
        asio::ip::tcp::resolver::passive | asio::ip::tcp::resolver::address_configured, ec);
    if (ec) {
      return Status::IoError("failed to listen on " + Describe(address) + ": " + ec.message());
    }
    if (results.empty()) {
      return Status::IoError("failed to listen on " + Describe(address) + ": no address");
    }
    for (const auto& entry : results) {
      auto listener = std::make_unique<Listener>(accept_context_, &registry_);
      asio::ip::tcp::acceptor& acceptor = listener->acceptor;
      const asio::ip::tcp::endpoint endpoint = entry.endpoint();
      acceptor.open(endpoint.protocol(), ec);
      if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
      if (!ec) acceptor.bind(endpoint, ec);
      if (!ec) acceptor.listen(options_.backlog, ec);
      if (ec) {
        return Status::IoError("failed to listen on " + Describe(address) + " (" +
                               endpoint.address().to_string() + "): " + ec.message());
      }
      const asio::ip::tcp::endpoint bound = acceptor.local_endpoint(ec);
      listener->entry.fd = static_cast<int>(acceptor.native_handle());
      listener->entry.addr = AddressText(bound.address().to_string(), bound.address().is_v6(), bound.port());
      listener->entry.state.store(ConnectionRegistry::State::kListening, std::memory_order_relaxed);
      listener->entry.last_active.store(ConnectionRegistry::Now(), std::memory_order_relaxed);
      registry_.Add(&listener->entry);
      listener->registered = true;
      listeners_.push_back(std::move(listener));
    }
    return Status::Ok();
  }

  void Accept(Listener& listener) {
    Worker& worker = *workers_[next_worker_++ % workers_.size()];
    listener.acceptor.async_accept(worker.context(), [this, &listener, &worker](
                                                         const asio::error_code& ec, Socket socket) {
      if (ec == asio::error::operation_aborted || !listener.acceptor.is_open()) return;
      if (ec) {
        // Out of file descriptors or a transient error: try again shortly instead of
        // spinning. Each listener has its own timer, so one cannot cancel another's retry.
        listener.retry.expires_after(std::chrono::milliseconds(10));
        listener.retry.async_wait([this, &listener](const asio::error_code& timer_ec) {
          if (!timer_ec && listener.acceptor.is_open()) Accept(listener);
        });
        return;
      }
      if (open_connections_.load(std::memory_order_relaxed) >= options_.max_connections) {
        rejected_connections_.fetch_add(1, std::memory_order_relaxed);
        asio::error_code ignored;
        asio::write(socket, asio::buffer(kTooManyConnections), ignored);
        socket.close(ignored);
      } else {
        open_connections_.fetch_add(1, std::memory_order_relaxed);
        total_connections_.fetch_add(1, std::memory_order_relaxed);
        asio::post(worker.context(), [&worker, socket = std::move(socket)]() mutable {
          worker.Adopt(std::move(socket));
        });
      }
      Accept(listener);
    });
  }

  const NetOptions options_;
  SessionFactory* factory_;
  ConnectionRegistry registry_;  // outlives the listeners and workers registered in it
  asio::io_context accept_context_{1};
  asio::executor_work_guard<asio::io_context::executor_type> accept_work_{
      asio::make_work_guard(accept_context_)};
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::thread accept_thread_;
  size_t next_worker_ = 0;
  std::atomic<uint64_t> open_connections_{0};
  std::atomic<uint64_t> total_connections_{0};
  std::atomic<uint64_t> rejected_connections_{0};
  std::mutex stop_mu_;
  bool started_ = false;
  bool stopped_ = false;
};

NetServer::NetServer(const NetOptions& options, SessionFactory* factory)
    : impl_(std::make_unique<Impl>(options, factory)) {}
NetServer::~NetServer() = default;
Status NetServer::Start() { return impl_->Start(); }
std::vector<uint16_t> NetServer::bound_ports() const { return impl_->bound_ports(); }
void NetServer::Stop(int drain_ms) { impl_->Stop(drain_ms); }
NetworkStats NetServer::Stats() const { return impl_->Stats(); }
std::vector<ConnectionInfo> NetServer::Connections() const { return impl_->Connections(); }

}  // namespace ratmemcache::net
