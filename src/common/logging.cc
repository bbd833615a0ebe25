#include "common/logging.h"

#include <spdlog/async.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

namespace ratmemcache {
namespace {

// Appends to a file that can be reopened under the same name (log rotation). While the
// file cannot be opened, lines go to stderr.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(std::string path) : path_(std::move(path)) {}
  ~ReopenableFileSink() override {
    if (file_ != nullptr) std::fclose(file_);
  }
  // Opens (again) the file. Returns IoError naming it.
  Status Reopen() {
    std::lock_guard lock(mutex_);
    if (file_ != nullptr) std::fclose(file_);
    file_ = std::fopen(path_.c_str(), "a");
    if (file_ == nullptr) {
      return Status::IoError("cannot open the log file " + path_ + ": " + std::strerror(errno));
    }
    return Status::Ok();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    std::FILE* out = file_ != nullptr ? file_ : stderr;
    std::fwrite(formatted.data(), 1, formatted.size(), out);
    std::fflush(out);  // each line reaches the file when written (as line buffering would)
  }
  void flush_() override { std::fflush(file_ != nullptr ? file_ : stderr); }

 private:
  const std::string path_;
  std::FILE* file_ = nullptr;
};

std::mutex logger_mu;
std::shared_ptr<ReopenableFileSink> file_sink;  // guarded by logger_mu; null: stderr
std::shared_ptr<spdlog::logger> logger;  // guarded by logger_mu for replacement
spdlog::level::level_enum configured_level = spdlog::level::info;  // guarded by logger_mu
bool logging_enabled = true;                                        // guarded by logger_mu

spdlog::level::level_enum WithVerbosity(spdlog::level::level_enum level, int verbosity) {
  if (verbosity >= 3) return std::min(level, spdlog::level::trace);
  if (verbosity >= 2) return std::min(level, spdlog::level::debug);
  return level;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::shared_ptr<spdlog::logger> DefaultLogger() {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto made = std::make_shared<spdlog::logger>("ratmemcache", sink);
  made->set_level(spdlog::level::info);
  return made;
}

}  // namespace

bool IsValidLogLevel(std::string_view level) {
  const std::string lower = Lower(level);
  return lower == "trace" || lower == "debug" || lower == "info" || lower == "warn" ||
         lower == "warning" || lower == "error" || lower == "critical" || lower == "off";
}

Status ConfigureLogging(const LoggingOptions& options, int verbosity) {
  if (!IsValidLogLevel(options.level)) {
    return Status::InvalidArgument("logging.level: unknown level '" + options.level + "'");
  }
  std::string name = Lower(options.level);
  if (name == "warning") name = "warn";
  const spdlog::level::level_enum base = spdlog::level::from_str(name);
  spdlog::level::level_enum level = WithVerbosity(base, verbosity);

  std::shared_ptr<spdlog::logger> made;
  std::shared_ptr<ReopenableFileSink> new_file_sink;
  if (!options.enable_logging) {
    made = std::make_shared<spdlog::logger>("ratmemcache",
                                            std::make_shared<spdlog::sinks::null_sink_mt>());
    level = spdlog::level::off;
  } else {
    spdlog::sink_ptr sink;
    if (!options.file.empty()) {
      new_file_sink = std::make_shared<ReopenableFileSink>(options.file);
      Status opened = new_file_sink->Reopen();
      if (!opened.ok()) return opened;
      sink = new_file_sink;
    } else {
      sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
          options.enable_colors ? spdlog::color_mode::automatic : spdlog::color_mode::never);
    }
    if (options.enable_async) {
      spdlog::init_thread_pool(std::max<uint32_t>(options.buffer_size, 64), 1);
      made = std::make_shared<spdlog::async_logger>("ratmemcache", sink, spdlog::thread_pool(),
                                                    spdlog::async_overflow_policy::block);
      // spdlog flushes in whole seconds: round the interval up.
      spdlog::flush_every(std::chrono::seconds((options.batch_interval_ms + 999) / 1000));
    } else {
      made = std::make_shared<spdlog::logger>("ratmemcache", sink);
    }
  }
  made->set_pattern(options.show_timestamp ? "%Y-%m-%d %H:%M:%S.%e %^%l%$ %v" : "%^%l%$ %v");
  made->set_level(level);
  made->flush_on(spdlog::level::warn);
  std::lock_guard lock(logger_mu);
  logger = std::move(made);
  file_sink = std::move(new_file_sink);
  configured_level = base;
  logging_enabled = options.enable_logging;
  return Status::Ok();
}

Status ReopenLogFile() {
  std::shared_ptr<ReopenableFileSink> sink;
  {
    std::lock_guard lock(logger_mu);
    sink = file_sink;
  }
  return sink ? sink->Reopen() : Status::Ok();
}

void SetLogVerbosity(int verbosity) {
  std::lock_guard lock(logger_mu);
  if (logger && logging_enabled) logger->set_level(WithVerbosity(configured_level, verbosity));
}

spdlog::logger& Log() {
  std::lock_guard lock(logger_mu);
  if (!logger) logger = DefaultLogger();
  return *logger;
}

}  // namespace ratmemcache
