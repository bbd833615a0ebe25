#pragma once

// Connection-level counters that the network layer keeps and the stats command reports,
// named as in memcached's "stats".

#include <cstdint>
#include <string>

namespace ratmemcache {

struct NetworkStats {
  uint64_t curr_connections = 0;       // open client connections
  uint64_t total_connections = 0;      // client connections ever accepted
  uint64_t rejected_connections = 0;   // refused for exceeding max_connections
  uint64_t connection_structures = 0;  // connection objects alive
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t listeners = 0;              // listening sockets
  uint64_t idle_kicks = 0;             // closed by the idle timeout
  bool tls_enabled = false;            // -Z: the figures below mean something
  uint64_t ssl_handshake_errors = 0;
  uint64_t ssl_new_sessions = 0;       // sessions added to the server-side cache
  int64_t time_since_server_cert_refresh = 0;  // seconds
};

// One socket as memcached's "stats conns" shows it.
struct ConnectionInfo {
  int fd = -1;
  std::string addr;         // "tcp:127.0.0.1:45258" (the peer; a listener's own address)
  std::string listen_addr;  // the address the client connected to; "" for a listener
  const char* state = "";   // conn_listening, conn_read, conn_parse_cmd, conn_mwrite
  uint64_t secs_since_last_cmd = 0;
};

}  // namespace ratmemcache
