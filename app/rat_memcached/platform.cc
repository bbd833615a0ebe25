#include "platform.h"

#include <cstdio>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

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

namespace {

BOOL WINAPI OnConsoleEvent(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
      std::raise(SIGTERM);
      return TRUE;
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      // Windows ends the process when this returns: give the graceful stop the few
      // seconds Windows allows.
      std::raise(SIGTERM);
      ::Sleep(4500);
      return TRUE;
  }
  return FALSE;
}

}  // namespace

void IgnoreBrokenPipes() {}
int ReloadSignal() { return 0; }
void InstallConsoleStopHandler() { ::SetConsoleCtrlHandler(OnConsoleEvent, TRUE); }
// Windows has no fork: the server starts a copy of itself as a detached process (no
// console, its own process group) with the same command line, marked by RMC_DETACHED
// in its environment, and the first copy exits 0. The copy finds the mark and carries on
// as the server. Without a console its log goes nowhere unless --log-file is given, and
// it stops gracefully through the `shutdown` command (-A).
Status Daemonize(bool) {
  if (std::getenv("RMC_DETACHED") != nullptr) {
    ::SetEnvironmentVariableA("RMC_DETACHED", nullptr);
    return Status::Ok();
  }
  ::SetEnvironmentVariableA("RMC_DETACHED", "1");
  std::wstring command = ::GetCommandLineW();  // CreateProcessW may write into it
  // The copy's standard handles are NUL, and ours are not inherited, so that it holds none
  // of them (whoever waits for our output to end must not wait for the server).
  for (DWORD which : {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE}) {
    HANDLE ours = ::GetStdHandle(which);
    if (ours != nullptr && ours != INVALID_HANDLE_VALUE) ::SetHandleInformation(ours, HANDLE_FLAG_INHERIT, 0);
  }
  SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE null_device = ::CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                     &inheritable, OPEN_EXISTING, 0, nullptr);
  if (null_device == INVALID_HANDLE_VALUE) return Status::IoError("cannot open NUL");
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = startup.hStdOutput = startup.hStdError = null_device;
  PROCESS_INFORMATION process{};
  const BOOL started = ::CreateProcessW(nullptr, command.data(), nullptr, nullptr, TRUE,
                                        DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP, nullptr, nullptr,
                                        &startup, &process);
  ::CloseHandle(null_device);
  if (!started) {
    return Status::IoError("cannot start the detached server process (error " +
                           std::to_string(::GetLastError()) + ")");
  }
  ::CloseHandle(process.hThread);
  ::CloseHandle(process.hProcess);
  std::_Exit(0);
}
uint64_t RaiseOpenFileLimit(uint64_t wanted) { return wanted; }
Status SwitchUser(const std::string&) {
  return Status::InvalidArgument("-u/--user is not supported on Windows");
}
bool RunningAsRoot() { return false; }

bool ProcessAlive(int64_t pid) {
  HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) return ::GetLastError() == ERROR_ACCESS_DENIED;
  DWORD code = 0;
  const bool alive = ::GetExitCodeProcess(process, &code) && code == STILL_ACTIVE;
  ::CloseHandle(process);
  return alive;
}

#else

bool ProcessAlive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

void IgnoreBrokenPipes() { ::signal(SIGPIPE, SIG_IGN); }
int ReloadSignal() { return SIGHUP; }
void InstallConsoleStopHandler() {}

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

namespace {

// The process id in pid file `path`: nullopt when absent, -1 when the file holds
// something else.
std::optional<int64_t> ReadPidFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  const int64_t pid = std::stoll(text);
  return pid > 0 && pid <= INT32_MAX ? pid : -1;  // what no process id can be is not a pid file
}

}  // namespace

Status CheckPidFile(const std::string& path, std::string* note) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::Ok();
  const std::optional<int64_t> pid = ReadPidFile(path);
  if (!pid) return Status::InvalidArgument("-P/--pid-file: cannot read " + path);
  if (*pid < 0) {
    return Status::InvalidArgument("-P/--pid-file: " + path +
                                   " exists and does not hold a process id; not overwriting it");
  }
  if (*pid == static_cast<int64_t>(ProcessId())) return Status::Ok();  // ours already
  if (ProcessAlive(*pid)) {
    return Status::InvalidArgument("-P/--pid-file: " + path + " belongs to process " + std::to_string(*pid) +
                                   ", which is running (another server?); stop it or choose another pid file");
  }
  *note = "replacing the stale pid file " + path + " (process " + std::to_string(*pid) + " is gone)";
  return Status::Ok();
}

void RemoveOwnPidFile(const std::string& path) {
  const std::optional<int64_t> pid = ReadPidFile(path);
  if (!pid || *pid != static_cast<int64_t>(ProcessId())) return;
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

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
