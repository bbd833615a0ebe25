#include "server/auth_file.h"

#include <filesystem>
#include <fstream>
#include <cstdint>
#include <mutex>

namespace ratmemcache::server {
namespace {

// Compares without an early exit on the first differing byte.
bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

Status AuthFile::Read(const std::string& path, AuthFileFormat format, std::vector<Entry>* entries) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::IoError("auth file " + path + ": cannot be read");
  std::string line;
  size_t number = 0;
  const size_t max_entries = format == AuthFileFormat::kAsciiAuth ? kMaxAsciiEntries : SIZE_MAX;
  while (entries->size() < max_entries && std::getline(file, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) {
      return Status::InvalidArgument("auth file " + path + " line " + std::to_string(number) +
                                     ": malformed entry, expected user:password");
    }
    std::string password = line.substr(colon + 1);
    if (format == AuthFileFormat::kSaslPwdb) password = password.substr(0, password.find(':'));
    entries->push_back(Entry{line.substr(0, colon), std::move(password)});
  }
  if (entries->empty()) {
    return Status::InvalidArgument("auth file " + path + ": no user:password entry");
  }
  return Status::Ok();
}

Result<AuthFile> AuthFile::Load(const std::string& path, AuthFileFormat format) {
  AuthFile auth;
  auth.path_ = path;
  auth.format_ = format;
  auth.version_ = VersionOf(path);
  Status read = Read(path, format, &auth.entries_);
  if (!read.ok()) return read;
  return auth;
}

Status AuthFile::Reload() {
  std::vector<Entry> entries;
  Status read = Read(path_, format_, &entries);
  if (!read.ok()) return read;
  std::unique_lock lock(mu_);
  entries_.swap(entries);
  return Status::Ok();
}

bool AuthFile::Match(const std::vector<Entry>& entries, std::string_view user,
                     std::string_view password) {
  // Every entry is compared, whole, without short-circuits: the time taken does not
  // depend on where a guess goes wrong.
  int match = 0;
  for (const Entry& entry : entries) {
    match |= static_cast<int>(SameBytes(user, entry.user)) & static_cast<int>(SameBytes(password, entry.password));
  }
  return match != 0;
}

bool AuthFile::Check(std::string_view user, std::string_view password) const {
  std::shared_lock lock(mu_);
  return Match(entries_, user, password);
}

std::optional<AuthFile::Version> AuthFile::VersionOf(const std::string& path) {
  std::error_code ec;
  const auto modified = std::filesystem::last_write_time(path, ec);
  if (ec) return std::nullopt;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return std::nullopt;
  return Version{modified.time_since_epoch().count(), size};
}

bool AuthFile::CheckFresh(std::string_view user, std::string_view password) {
  const std::optional<Version> now = VersionOf(path_);
  if (!now) return false;  // gone or unreadable: nobody gets in, as memcached
  {
    std::shared_lock lock(mu_);
    if (version_ == now) return Match(entries_, user, password);
  }
  std::vector<Entry> entries;
  if (!Read(path_, format_, &entries).ok()) return false;
  std::unique_lock lock(mu_);
  entries_.swap(entries);
  version_ = now;
  return Match(entries_, user, password);
}

}  // namespace ratmemcache::server
