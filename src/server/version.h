#pragma once

#include <string_view>

namespace ratmemcache::server {

// The memcached version whose protocol behaviour the server reproduces; what "version"
// answers, so that clients enable the features of that version.
inline constexpr std::string_view kCompatibleVersion = "1.6.18";

}  // namespace ratmemcache::server
