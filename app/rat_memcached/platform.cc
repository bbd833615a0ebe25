#include "platform.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/process_info.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace ratmemcache::platform {

#ifdef _WIN32

void IgnoreBrokenPipes() {}
Status Daemonize(bool) {
  return Status::InvalidArgument("-d/--daemon is not supported on Windows; run it as a service");
}
uint64_t RaiseOpenFileLimit(uint64_t wanted) { return wanted; }
Status SwitchUser(const std::string&) {
  return Status::InvalidArgument("-u/--user is not supported on Windows");
}
bool RunningAsRoot() { return false; }

#else

void IgnoreBrokenPipes() { ::signal(SIGPIPE, SIG_IGN); }

Status Daemonize(bool keep_stderr) {
  const pid_t pid = ::fork();
  if (pid < 0) return Status::IoError("fork failed");
  if (pid > 0) ::_exit(0);
  if (::setsid() < 0) return Status::IoError("setsid failed");
  const int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0) return Status::IoError("cannot open /dev/null");
  ::dup2(null_fd, STDIN_FILENO);
  ::dup2(null_fd, STDOUT_FILENO);
  if (!keep_stderr) ::dup2(null_fd, STDERR_FILENO);
  if (null_fd > STDERR_FILENO) ::close(null_fd);
  return Status::Ok();
}

uint64_t RaiseOpenFileLimit(uint64_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur >= wanted) return limit.rlim_cur;
  rlimit raised = limit;
  raised.rlim_cur = wanted;
  if (raised.rlim_max < wanted) raised.rlim_max = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return wanted;
  // Not root: go as far as the hard limit allows.
  raised.rlim_max = limit.rlim_max;
  raised.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  return limit.rlim_cur;
}

bool RunningAsRoot() { return ::getuid() == 0 || ::geteuid() == 0; }

Status SwitchUser(const std::string& user) {
  if (!RunningAsRoot()) return Status::Ok();  // as memcached: -u only matters for root
  passwd* entry = ::getpwnam(user.c_str());
  if (entry == nullptr) {
    return Status::InvalidArgument("-u/--user: can't find the user " + user + " to switch to");
  }
  if (::setgroups(0, nullptr) != 0 && errno != EPERM) {
    return Status::IoError("failed to drop supplementary groups");
  }
  if (::setgid(entry->pw_gid) != 0 || ::setuid(entry->pw_uid) != 0) {
    return Status::IoError("failed to assume identity of user " + user);
  }
  return Status::Ok();
}

#endif

Status WritePidFile(const std::string& path) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::trunc);
    if (!file) return Status::IoError("cannot write pid file " + temporary);
    file << ProcessId() << "\n";
    if (!file) return Status::IoError("cannot write pid file " + temporary);
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return Status::IoError("cannot rename " + temporary + " to " + path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace ratmemcache::platform
