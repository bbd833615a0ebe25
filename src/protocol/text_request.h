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
  kRefreshCerts,  // reload the TLS certificate and key
  kStats,
  kCacheMemlimit,
  // Meta commands (memcached 1.6.18): their arguments are in TextRequest::meta.
  kMetaGet,         // mg
  kMetaSet,         // ms
  kMetaDelete,      // md
  kMetaArithmetic,  // ma
  kMetaNoop,        // mn
  kMetaDebug,       // me
  // The seed's streaming extension (docs/protocol.md): arguments in TextRequest::stream.
  kStreamGet,  // streaming_get / sget <key> [chunk_size]
  kSetBegin,   // set_begin <key> <total_size> <chunk_count> <flags> [exptime]
  kSetData,    // set_data <key> <chunk_no> <len> (value_length), then the data block
  kSetEnd,     // set_end <key>
};

// The arguments of the streaming commands.
struct StreamArgs {
  uint32_t chunk_size = 0;   // streaming_get
  uint64_t total_size = 0;   // set_begin
  uint32_t chunk_count = 0;  // set_begin
  uint32_t chunk_no = 0;     // set_data
};

// memcached refuses meta command lines of more than 20 tokens (its MFLAG_MAX_OPT_LENGTH,
// counting the command, the key and a terminal token), so at most 17 flags.
inline constexpr size_t kMaxMetaFlags = 17;
// Longest opaque (O) token memcached echoes, flag letter included.
inline constexpr size_t kMaxMetaOpaque = 32;

// The flags of a meta command, checked as memcached's _meta_flag_preparse() checks them.
struct MetaFlags {
  std::string_view token[kMaxMetaFlags];  // as sent, in order: a flag letter and its argument
  size_t count = 0;
  bool key_binary = false;  // b: the key is base64 (TextRequest::key is still encoded)
  bool value = false;       // v
  bool no_reply = false;    // q
  bool no_update = false;   // u
  bool has_ttl = false;     // T
  bool vivify = false;      // N
  bool recache = false;     // R
  bool invalidate = false;  // I
  bool has_cas = false;     // C
  bool with_hit = false;    // h
  bool with_last_access = false;  // l
  bool opaque_too_long = false;   // an O token longer than kMaxMetaOpaque
  char mode = 0;            // M (0: none given)
  int32_t ttl = 0;          // T
  int32_t vivify_ttl = 0;   // N
  int32_t recache_ttl = 0;  // R
  uint32_t client_flags = 0;  // F
  uint64_t compare_cas = 0;   // C
  uint64_t delta = 1;         // D
  uint64_t initial = 0;       // J
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
  // Meta commands: flags (key and value_length above).
  MetaFlags meta;
  // Streaming commands (key, flags, exptime and value_length above).
  StreamArgs stream;
  // A meta command memcached answers with an error only after reading its line (ms also
  // swallows its data block: value_length + 2 bytes): the error line, with "\r\n".
  std::string_view error;
};

}  // namespace ratmemcache::protocol
