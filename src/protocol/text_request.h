#pragma once

// TextRequest: one parsed command of memcached's text protocol. Every string_view points
// into the caller's input buffer, which must outlive the request: parsing copies nothing.

#include <cstdint>
#include <string_view>

namespace ratmemcache::protocol {

enum class TextCommand : uint8_t {
  kGet,
  kGets,
  kGat,
  kGats,
  kSet,
  kAdd,
  kReplace,
  kAppend,
  kPrepend,
  kCas,
  kDelete,
  kIncr,
  kDecr,
  kTouch,
  kFlushAll,
  kVersion,
  kVerbosity,
  kQuit,
  kShutdown,
  kStats,
  kCacheMemlimit,
};

// Walks the space-separated keys of a retrieval command without allocating.
class KeyList {
 public:
  KeyList() = default;
  explicit KeyList(std::string_view text) : rest_(text) {}
  // Stores the next key in *key and returns true, or returns false at the end.
  bool Next(std::string_view* key);

 private:
  std::string_view rest_;
};

struct TextRequest {
  TextCommand command = TextCommand::kVersion;
  bool noreply = false;
  std::string_view key;      // single-key commands
  KeyList keys;              // get, gets, gat, gats
  uint32_t flags = 0;        // storage commands
  int32_t exptime = 0;       // storage, touch, gat, gats, flush_all (memcached int32 rules)
  uint32_t value_length = 0; // storage commands: bytes of the data block before "\r\n"
  uint64_t cas = 0;          // cas
  uint64_t delta = 0;        // incr, decr
  uint32_t number = 0;       // verbosity level, cache_memlimit megabytes
  bool graceful = false;     // shutdown graceful
  // flush_all with an unparsable delay, shutdown with an unknown mode: the server answers
  // with the error (flush_all still counts as a flush command, as in memcached).
  bool invalid_argument = false;
  // stats: the text after "stats"; its words come from `keys` (the same splitting).
  std::string_view args;
};

}  // namespace ratmemcache::protocol
