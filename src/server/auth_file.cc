#include "server/auth_file.h"

#include <fstream>
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

Status AuthFile::Read(const std::string& path, std::vector<Entry>* entries) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::IoError("auth file " + path + ": cannot be read");
  std::string line;
  size_t number = 0;
  while (entries->size() < kMaxEntries && std::getline(file, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) {
      return Status::InvalidArgument("auth file " + path + " line " + std::to_string(number) +
                                     ": malformed entry, expected user:password");
    }
    entries->push_back(Entry{line.substr(0, colon), line.substr(colon + 1)});
  }
  if (entries->empty()) {
    return Status::InvalidArgument("auth file " + path + ": no user:password entry");
  }
  return Status::Ok();
}

Result<AuthFile> AuthFile::Load(const std::string& path) {
  AuthFile auth;
  auth.path_ = path;
  Status read = Read(path, &auth.entries_);
  if (!read.ok()) return read;
  return auth;
}

Status AuthFile::Reload() {
  std::vector<Entry> entries;
  Status read = Read(path_, &entries);
  if (!read.ok()) return read;
  std::unique_lock lock(mu_);
  entries_.swap(entries);
  return Status::Ok();
}

bool AuthFile::Check(std::string_view user, std::string_view password) const {
  std::shared_lock lock(mu_);
  bool match = false;
  for (const Entry& entry : entries_) {
    match |= SameBytes(user, entry.user) & SameBytes(password, entry.password);
  }
  return match;
}

}  // namespace ratmemcache::server
