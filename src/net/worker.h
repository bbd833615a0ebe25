#pragma once

// Worker: one thread running one Asio io_context, serving the connections handed to it.
// Everything a worker owns (connections, scratch buffer, block pool) is touched only by
// its own thread; other threads reach it by posting to context().

#include <asio.hpp>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "common/output_buffer.h"
#include "common/session.h"
#include "net/connection_registry.h"
#include "net/socket.h"

namespace ratmemcache::net {

class Connection;
class TlsContext;

// Counters with one writing thread (the worker) and any readers.
struct alignas(64) WorkerCounters {
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> idle_kicks{0};  // connections closed by the idle timeout
  static void Add(std::atomic<uint64_t>& counter, uint64_t n) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

class Worker {
 public:
  static constexpr size_t kScratchSize = 64 * 1024;

  // `open_connections` is decremented when a connection of this worker closes; its
  // connections register in `registry` (both outlive the worker). `tls` (null: plain
  // TCP) wraps every connection in TLS and must outlive the worker. With
  // `idle_timeout_s` > 0, a connection idle for longer is closed (checked every second).
  Worker(unsigned index, SessionFactory* factory, std::atomic<uint64_t>* open_connections,
         ConnectionRegistry* registry, TlsContext* tls = nullptr, uint32_t idle_timeout_s = 0);
  ~Worker();

  asio::io_context& context() { return context_; }
  void Start();
  // Takes over an accepted socket. Runs on the worker thread (post it there).
  void Adopt(Socket socket);
  // Lets every connection send what it owes, closes it, and ends the thread once all are
  // gone or `drain_ms` has passed. Runs on the worker thread (post it there).
  void Drain(int drain_ms);
  void Join();

  const WorkerCounters& counters() const { return counters_; }

  // For connections (worker thread only).
  WorkerCounters& mutable_counters() { return counters_; }
  BlockPool& block_pool() { return block_pool_; }
  ConnectionRegistry& registry() { return *registry_; }
  char* scratch() { return scratch_.get(); }
  bool draining() const { return draining_; }
  void Forget(Connection* connection);

 private:
  unsigned index_;
  SessionFactory* factory_;
  std::atomic<uint64_t>* open_connections_;
  ConnectionRegistry* registry_;
  // Declared before the io_context so that it outlives any handler the context still
  // holds at destruction (a connection gives its blocks back when destroyed).
  BlockPool block_pool_;
  asio::io_context context_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::unique_ptr<char[]> scratch_;
  Connection* connections_ = nullptr;  // intrusive list of open connections
  size_t connection_count_ = 0;
  WorkerCounters counters_;
  bool draining_ = false;
  std::unique_ptr<asio::steady_timer> drain_timer_;

  // Every open connection, for draining and closing them all.
  std::vector<std::shared_ptr<Connection>> OpenConnections() const;
  // Closes the connections idle for longer than idle_timeout_s_, then re-arms itself.
  void CheckIdle();

  TlsContext* tls_;
  uint32_t idle_timeout_s_;
  std::unique_ptr<asio::steady_timer> idle_timer_;
};

}  // namespace ratmemcache::net
