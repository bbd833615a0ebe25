#pragma once

// The process-wide logger of RatMemCache ("ratmemcache", spdlog), configured from
// LoggingOptions. Nothing on a request path logs at info level or above.
// Thread-safe: spdlog loggers are.

#include <spdlog/spdlog.h>

#include <memory>

#include "ratmemcache/options.h"
#include "ratmemcache/status.h"

namespace ratmemcache {

// (Re)creates the logger from `options`. `verbosity` (memcached's -v count) lowers the
// level: 2 or more gives debug, 3 or more trace. Returns InvalidArgument (an unknown
// level name) or IoError (the log file cannot be opened for appending), and then leaves
// the old logger in place.
Status ConfigureLogging(const LoggingOptions& options, int verbosity = 0);

// Closes and reopens the log file (after a rotation moved it away); no-op when logging to
// stderr. Returns IoError when it cannot be opened again (lines then go to stderr until
// a later reopen succeeds).
Status ReopenLogFile();

// Applies memcached's verbosity (the "verbosity" command) on top of the configured level:
// 2 or more gives debug (each command line is logged), 3 or more trace.
void SetLogVerbosity(int verbosity);

// The logger; a default stderr logger until ConfigureLogging() runs.
spdlog::logger& Log();

// True for trace, debug, info, warn, error, critical and off (any case).
bool IsValidLogLevel(std::string_view level);

}  // namespace ratmemcache
