#pragma once

// AuthFile: the "user:password" lines of memcached's ASCII authentication file (-Y).
// Loaded at start and again by Reload() (SIGHUP, as memcached); Check() compares in
// constant time per entry, as memcached does.
// Thread-safe: Check() and Reload() may run at the same time from any threads.

#include <shared_mutex>
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

  // Reads the file again. On an error the entries loaded before stay in force (so a bad
  // edit cannot lock everyone out) and the error is returned.
  Status Reload();

  AuthFile() = default;
  AuthFile(AuthFile&& other) noexcept : path_(std::move(other.path_)), entries_(std::move(other.entries_)) {}

  const std::string& path() const { return path_; }

 private:
  struct Entry {
    std::string user;
    std::string password;
  };
  // Parses `path` into `entries`.
  static Status Read(const std::string& path, std::vector<Entry>* entries);

  std::string path_;
  mutable std::shared_mutex mu_;
  std::vector<Entry> entries_;  // guarded by mu_
};

}  // namespace ratmemcache::server
