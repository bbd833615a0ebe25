#include <charconv>

#include "config/server_config.h"

namespace ratmemcache::config {

std::optional<uint64_t> ParseByteSize(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t multiplier = 1;
  switch (text.back()) {
    case 'k': case 'K': multiplier = 1ull << 10; break;
    case 'm': case 'M': multiplier = 1ull << 20; break;
    case 'g': case 'G': multiplier = 1ull << 30; break;
    default: break;
  }
  if (multiplier != 1) text.remove_suffix(1);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  if (value > UINT64_MAX / multiplier) return std::nullopt;
  return value * multiplier;
}

namespace {

// A host name or IPv4 address (letters, digits, '.', '-', '_'), or with `ipv6` an IPv6
// address (hex digits, ':', '.', and a "%zone" of letters and digits). Anything else
// cannot be resolved and could not be written back into a configuration unambiguously.
bool ValidHost(std::string_view host, bool ipv6) {
  bool zone = false;
  for (char c : host) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (zone) {
      if (!alnum && c != '.' && c != '-' && c != '_') return false;
    } else if (ipv6) {
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (c == '%') zone = true;
      else if (!hex && c != ':' && c != '.') return false;
    } else if (!alnum && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::vector<Endpoint>> ParseEndpoints(std::string_view text, uint16_t default_port) {
  std::vector<Endpoint> endpoints;
  while (true) {
    const size_t comma = text.find_first_of(",;");
    std::string_view item = text.substr(0, comma);
    Endpoint endpoint;
    endpoint.port = default_port;
    std::string_view port_text;
    bool has_port = false;
    if (!item.empty() && item.front() == '[') {
      const size_t close = item.find(']');
      if (close == std::string_view::npos) {
        return Status::InvalidArgument("'" + std::string(item) + "': missing ']'");
      }
      endpoint.host = std::string(item.substr(1, close - 1));
      std::string_view after = item.substr(close + 1);
      if (!after.empty()) {
        if (after.front() != ':') {
          return Status::InvalidArgument("'" + std::string(item) + "': expected ':' after ']'");
        }
        port_text = after.substr(1);
        has_port = true;
      }
    } else {
      const size_t colon = item.rfind(':');
      if (colon != std::string_view::npos && item.find(':') == colon) {
        endpoint.host = std::string(item.substr(0, colon));
        port_text = item.substr(colon + 1);
        has_port = true;
      } else {
        endpoint.host = std::string(item);  // a name, an IPv4 address or a bare IPv6 one
      }
    }
    if (has_port) {
      unsigned port = 0;
      auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
      if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
        return Status::InvalidArgument("'" + std::string(item) + "': invalid port");
      }
      endpoint.port = static_cast<uint16_t>(port);
    }
    const bool ipv6 = endpoint.host.find(':') != std::string::npos || (!item.empty() && item.front() == '[');
    if (!ValidHost(endpoint.host, ipv6)) {
      return Status::InvalidArgument("'" + std::string(item) + "': '" + endpoint.host +
                                     "' is not a host name or address");
    }
    if (endpoint.host.empty() && item.empty()) {
      return Status::InvalidArgument("empty address in '" + std::string(text) + "'");
    }
    endpoints.push_back(std::move(endpoint));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return endpoints;
}

}  // namespace ratmemcache::config
