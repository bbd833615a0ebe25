#pragma once

// Connection-level counters that the network layer keeps and the stats command reports,
// named as in memcached's "stats".

#include <cstdint>

namespace ratmemcache {

struct NetworkStats {
  uint64_t curr_connections = 0;       // open client connections
  uint64_t total_connections = 0;      // client connections ever accepted
  uint64_t rejected_connections = 0;   // refused for exceeding max_connections
  uint64_t connection_structures = 0;  // connection objects alive
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t listeners = 0;              // listening sockets
};

}  // namespace ratmemcache
