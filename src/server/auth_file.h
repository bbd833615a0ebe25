#pragma once

// AuthFile: the "user:password" lines of memcached's ASCII authentication file (-Y).
// Loaded once at start; Check() compares in constant time per entry, as memcached does.
// Thread-safe after Load (read-only).

#include <string>
#include <string_view>
#include <vector>

#include "ratmemcache/status.h"

namespace ratmemcache::server {

class AuthFile {
 public:
  // Most entries read, as memcached (it ignores lines after the 8th).
  static constexpr size_t kMaxEntries = 8;

  // Reads `path`: one "user:password" per line (the password runs to the end of the
  // line, '\r' excluded). Returns: IoError (cannot be read), InvalidArgument (a line
  // without ':' or an empty file), each naming the file.
  static Result<AuthFile> Load(const std::string& path);

  // True when `user` and `password` match an entry.
  bool Check(std::string_view user, std::string_view password) const;

  const std::string& path() const { return path_; }

 private:
  struct Entry {
    std::string user;
    std::string password;
  };
  std::string path_;
  std::vector<Entry> entries_;
};

}  // namespace ratmemcache::server
