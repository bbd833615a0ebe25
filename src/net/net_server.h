#pragma once

// NetServer: RatMemCache's network layer. Listens on TCP endpoints, spreads accepted
// connections over worker threads (one Asio io_context each; a connection stays on its
// worker for life) and moves bytes between sockets and Sessions. It never interprets
// bytes: the SessionFactory decides what they mean.
//
// Per connection: requests are read into a per-worker scratch buffer (an idle connection
// holds no buffer), every complete request in a read is handed to the session, and all the
// replies produced are sent with one gathered write. While replies wait for a slow reader,
// the connection reads nothing more (back-pressure), so a client that does not read
// cannot grow server memory beyond the session's output high-water mark.
//
// Thread-safety: Start and Stop are for the owning thread (never a worker thread: Stop
// joins them); Stats and Connections may be called from any thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/network_stats.h"
#include "common/session.h"
#include "ratmemcache/status.h"

namespace ratmemcache::net {

class TlsContext;

struct ListenAddress {
  std::string host;  // name or address; "" = every interface
  uint16_t port = 11211;
};

struct NetOptions {
  std::vector<ListenAddress> listen;
  uint32_t threads = 4;
  // Client connections served at once; the next one is told
  // "ERROR Too many open connections" and closed, as memcached does.
  uint32_t max_connections = 1024;
  int backlog = 1024;
  // Close client connections idle for longer than this many seconds (memcached's
  // -o idle_timeout); 0 = never.
  uint32_t idle_timeout_s = 0;
  // TLS on every listener (memcached's -Z); null = plain TCP.
  std::shared_ptr<TlsContext> tls;
};

class NetServer {
 public:
  // `factory` must outlive the server.
  NetServer(const NetOptions& options, SessionFactory* factory);
  ~NetServer();
  NetServer(const NetServer&) = delete;
  NetServer& operator=(const NetServer&) = delete;

  // Binds every listen address and starts the worker threads. Returns: IoError naming
  // the address that could not be bound.
  Status Start();
  // The ports actually bound, in listen order (useful with port 0).
  std::vector<uint16_t> bound_ports() const;
  // Stops accepting, lets every connection send what it already owes (at most
  // `drain_ms` milliseconds), closes them and joins the workers. Idempotent.
  void Stop(int drain_ms = 2000);

  NetworkStats Stats() const;
  // Every listening socket and client connection, for "stats conns".
  std::vector<ConnectionInfo> Connections() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ratmemcache::net
