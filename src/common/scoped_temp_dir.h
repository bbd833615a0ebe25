#pragma once

// ScopedTempDir: a fresh, empty directory under the system's temporary directory, removed
// with everything in it when the object goes away. For tests that need a real RocksDB.

#include <atomic>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/process_info.h"

namespace ratmemcache {

class ScopedTempDir {
 public:
  // `label` makes the name readable (e.g. the test's name).
  explicit ScopedTempDir(std::string_view label) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("rmc_" + std::string(label) + "_" + std::to_string(ProcessId()) + "_" +
             std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string string() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace ratmemcache
