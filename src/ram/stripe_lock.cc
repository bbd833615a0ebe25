#include "ram/stripe_lock.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#ifdef _WIN32
#include <windows.h>
#endif

namespace ratmemcache::ram {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Spins before sleeping: stripe critical sections last tens of nanoseconds.
constexpr int kSpins = 128;

}  // namespace

template <typename Done>
void StripeLock::WaitUntil(Done done) {
  for (int i = 0; i < kSpins; ++i) {
    if (done(state_.load(std::memory_order_acquire))) return;
    CpuRelax();
  }
  for (;;) {
    uint32_t now = state_.load(std::memory_order_acquire);
    if (done(now)) return;
    // Announce the sleeper first, so whoever changes the word next wakes us. A failed
    // announcement means the word changed: look again.
    if (!(now & kSleepers)) {
      if (!state_.compare_exchange_weak(now, now | kSleepers, std::memory_order_acquire)) continue;
      now |= kSleepers;
    }
    SleepWhile(now);  // returns at once if the word changed
  }
}

#ifdef _WIN32
void StripeLock::SleepWhile(uint32_t expected) {
  ::WaitOnAddress(&state_, &expected, sizeof expected, INFINITE);
}
void StripeLock::WakeAll() { ::WakeByAddressAll(&state_); }
#else
void StripeLock::SleepWhile(uint32_t expected) { state_.wait(expected, std::memory_order_acquire); }
void StripeLock::WakeAll() { state_.notify_all(); }
#endif

void StripeLock::LockSlow() {
  for (;;) {
    uint32_t now = state_.load(std::memory_order_relaxed);
    if (now & kWriter) {
      WaitUntil([](uint32_t state) { return (state & kWriter) == 0; });
      continue;
    }
    if (state_.compare_exchange_weak(now, now | kWriter, std::memory_order_acquire)) break;
  }
  // The writer bit is ours; readers still inside finish, new ones step back.
  WaitUntil([](uint32_t state) { return (state & kReaders) == 0; });
}

void StripeLock::LockSharedSlow() {
  for (;;) {
    unlock_shared();  // step back (and wake a writer waiting for the readers to drain)
    WaitUntil([](uint32_t state) { return (state & kWriter) == 0; });
    if ((state_.fetch_add(1, std::memory_order_acquire) & kWriter) == 0) return;
  }
}

}  // namespace ratmemcache::ram
