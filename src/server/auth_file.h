#pragma once

// AuthFile: the "user:password" lines of memcached's ASCII authentication file (-Y) or
// of its SASL password database (-S, memcached's MEMCACHED_SASL_PWDB). Loaded at start
// and again by Reload() (SIGHUP, as memcached); Check() compares in constant time per
// entry, as memcached does.
// Thread-safe: Check() and Reload() may run at the same time from any threads.

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ratmemcache/status.h"

namespace ratmemcache::server {

// How the lines of the file read.
enum class AuthFileFormat : uint8_t {
  // -Y: at most kMaxAsciiEntries lines (memcached ignores the rest); the password runs
  // to the end of the line.
  kAsciiAuth,
  // -S: any number of lines; the password ends at the next ':' (memcached's pwdb allows
  // more fields after it).
  kSaslPwdb,
};

class AuthFile {
 public:
  // Most entries read for kAsciiAuth, as memcached.
  static constexpr size_t kMaxAsciiEntries = 8;

  // Reads `path`: one "user:password" per line ('\r' before the '\n' excluded).
  // Returns: IoError (cannot be read), InvalidArgument (a line without ':' or an empty
  // file), each naming the file.
  static Result<AuthFile> Load(const std::string& path,
                               AuthFileFormat format = AuthFileFormat::kAsciiAuth);

  // True when `user` and `password` match an entry.
  bool Check(std::string_view user, std::string_view password) const;
  // As Check(), against the file as it is now (memcached's SASL pwdb reads the file on
  // every authentication): the entries are read again when the file's modification time
  // or size changed (a stat per call otherwise); false when it cannot be read.
  bool CheckFresh(std::string_view user, std::string_view password);

  // Reads the file again. On an error the entries loaded before stay in force (so a bad
  // edit cannot lock everyone out) and the error is returned.
  Status Reload();

  AuthFile() = default;
  AuthFile(AuthFile&& other) noexcept
      : path_(std::move(other.path_)),
        format_(other.format_),
        entries_(std::move(other.entries_)),
        version_(other.version_) {}

  const std::string& path() const { return path_; }

 private:
  struct Entry {
    std::string user;
    std::string password;
  };
  // Parses `path` into `entries`.
  static Status Read(const std::string& path, AuthFileFormat format, std::vector<Entry>* entries);
  static bool Match(const std::vector<Entry>& entries, std::string_view user, std::string_view password);
  // What tells one state of the file from another: its modification time and size.
  struct Version {
    int64_t modified;
    uintmax_t size;
    bool operator==(const Version&) const = default;
  };
  static std::optional<Version> VersionOf(const std::string& path);

  std::string path_;
  AuthFileFormat format_ = AuthFileFormat::kAsciiAuth;
  mutable std::shared_mutex mu_;
  std::vector<Entry> entries_;  // guarded by mu_
  std::optional<Version> version_;  // of the file entries_ came from; guarded by mu_
};

}  // namespace ratmemcache::server
