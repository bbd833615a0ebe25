#pragma once

// Facts about the running process for the stats command, behind one portable interface.
// Thread-safe.

#include <cstdint>

namespace ratmemcache {

struct CpuTimes {
  int64_t user_seconds = 0;
  int64_t user_microseconds = 0;
  int64_t system_seconds = 0;
  int64_t system_microseconds = 0;
};

// CPU time used by the whole process so far.
CpuTimes ProcessCpuTimes();
// The process id.
uint64_t ProcessId();
// Current unix time in seconds.
int64_t UnixTimeNow();

}  // namespace ratmemcache
