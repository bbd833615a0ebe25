#include "common/process_info.h"

#include <chrono>

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace ratmemcache {

CpuTimes ProcessCpuTimes() {
  CpuTimes times;
#ifdef _WIN32
  FILETIME creation, exit, kernel, user;
  if (GetProcessTimes(GetCurrentProcess(), &creation, &exit, &kernel, &user)) {
    auto micros = [](const FILETIME& t) {
      return ((static_cast<int64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime) / 10;
    };
    times.user_seconds = micros(user) / 1000000;
    times.user_microseconds = micros(user) % 1000000;
    times.system_seconds = micros(kernel) / 1000000;
    times.system_microseconds = micros(kernel) % 1000000;
  }
#else
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    times.user_seconds = usage.ru_utime.tv_sec;
    times.user_microseconds = usage.ru_utime.tv_usec;
    times.system_seconds = usage.ru_stime.tv_sec;
    times.system_microseconds = usage.ru_stime.tv_usec;
  }
#endif
  return times;
}

uint64_t ProcessId() {
#ifdef _WIN32
  return GetCurrentProcessId();
#else
  return static_cast<uint64_t>(getpid());
#endif
}

int64_t UnixTimeNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace ratmemcache
