#pragma once

// The operating-system specifics of the rat_memcached process, all in one place:
// daemonizing, file-descriptor limits, switching user, SIGPIPE and the pid file. On
// Windows the POSIX-only operations report that they are not supported.

#include <cstdint>
#include <string>

#include "ratmemcache/status.h"

namespace ratmemcache::platform {

// Makes writes to closed sockets return errors instead of killing the process.
void IgnoreBrokenPipes();

// The signal that asks for a reload (SIGHUP: reopen the log, reread -Y's file), or 0
// where there is none (Windows).
int ReloadSignal();

// Windows: console events (Ctrl+C, Ctrl+Break, closing the console window, logoff,
// system shutdown) raise SIGTERM, which stops the server gracefully. Elsewhere: nothing
// (SIGINT and SIGTERM already arrive as signals).
void InstallConsoleStopHandler();

// Detaches into the background: forks (the parent exits 0), starts a new session and
// points stdin/stdout/stderr at /dev/null unless `keep_stderr`. Must run before any
// thread is started. Returns: IoError, or InvalidArgument where unsupported.
Status Daemonize(bool keep_stderr);

// Raises the soft limit on open files towards `wanted` (never above the hard limit, unless
// running as root). Returns the limit in effect afterwards.
uint64_t RaiseOpenFileLimit(uint64_t wanted);

// When running as root, switches to `user`. Returns: InvalidArgument (unknown user or
// unsupported), IoError.
Status SwitchUser(const std::string& user);
bool RunningAsRoot();

// Before start: whether `path` may become our pid file. Absent: yes. Holding the id of a
// running process: no (InvalidArgument: another server, or a foreign file). Not holding a
// process id at all: no (InvalidArgument: not a pid file, never overwritten). Holding the
// id of a process that is gone: yes, and *note says the stale file will be replaced.
Status CheckPidFile(const std::string& path, std::string* note);

// Writes the process id followed by a newline to `path`, via a temporary file and rename.
Status WritePidFile(const std::string& path);

// Removes `path` if it still holds this process's id (a later server may own it now).
void RemoveOwnPidFile(const std::string& path);

// True while process `pid` exists.
bool ProcessAlive(int64_t pid);

}  // namespace ratmemcache::platform
