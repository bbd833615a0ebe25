#pragma once

// ConnectionRegistry: the open sockets of a NetServer (listeners and client
// connections), for "stats conns". Each socket owns an Entry and registers it for its
// lifetime; its worker thread updates the entry's activity with relaxed atomic stores
// (no lock on the request path). Snapshot() copies every entry under the registry's lock.
//
// Thread-safety: all methods may be called from any thread.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/network_stats.h"

namespace ratmemcache::net {

class ConnectionRegistry {
 public:
  enum class State : uint8_t { kListening, kRead, kParse, kWrite, kReadData, kSwallow };

  struct Entry {
    int fd = -1;
    std::string addr;
    std::string listen_addr;
    std::atomic<State> state{State::kRead};
    std::atomic<int64_t> last_active{0};  // seconds of the registry's clock
  };

  // Seconds on a steady clock, for Entry::last_active.
  static int64_t Now();

  // `entry` must stay valid until Remove(entry).
  void Add(Entry* entry);
  void Remove(Entry* entry);
  // Every socket, in file-descriptor order.
  std::vector<ConnectionInfo> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::unordered_set<Entry*> entries_;  // guarded by mu_
};

// "tcp:127.0.0.1:11211" / "tcp6:[::1]:11211", as memcached writes socket addresses.
std::string AddressText(const std::string& ip, bool v6, uint16_t port);

}  // namespace ratmemcache::net
