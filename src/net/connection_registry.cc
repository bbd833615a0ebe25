#include "net/connection_registry.h"

#include <algorithm>
#include <chrono>

namespace ratmemcache::net {
namespace {

const char* StateName(ConnectionRegistry::State state) {
  switch (state) {
    case ConnectionRegistry::State::kListening: return "conn_listening";
    case ConnectionRegistry::State::kRead: return "conn_read";
    case ConnectionRegistry::State::kParse: return "conn_parse_cmd";
    case ConnectionRegistry::State::kWrite: return "conn_mwrite";
    case ConnectionRegistry::State::kReadData: return "conn_nread";
    case ConnectionRegistry::State::kSwallow: return "conn_swallow";
  }
  return "conn_read";
}

}  // namespace

int64_t ConnectionRegistry::Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void ConnectionRegistry::Add(Entry* entry) {
  std::lock_guard lock(mu_);
  entries_.insert(entry);
}

void ConnectionRegistry::Remove(Entry* entry) {
  std::lock_guard lock(mu_);
  entries_.erase(entry);
}

std::vector<ConnectionInfo> ConnectionRegistry::Snapshot() const {
  const int64_t now = Now();
  std::vector<ConnectionInfo> out;
  {
    std::lock_guard lock(mu_);
    out.reserve(entries_.size());
    for (const Entry* e : entries_) {
      const int64_t last = e->last_active.load(std::memory_order_relaxed);
      out.push_back(ConnectionInfo{e->fd, e->addr, e->listen_addr,
                                   StateName(e->state.load(std::memory_order_relaxed)),
                                   static_cast<uint64_t>(std::max<int64_t>(0, now - last))});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ConnectionInfo& a, const ConnectionInfo& b) { return a.fd < b.fd; });
  return out;
}

std::string AddressText(const std::string& ip, bool v6, uint16_t port) {
  std::string text = v6 ? "tcp6:[" + ip + "]" : "tcp:" + ip;
  return text + ":" + std::to_string(port);
}

}  // namespace ratmemcache::net
