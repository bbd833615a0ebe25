#pragma once

// The fixed replies of memcached's text protocol, byte for byte.

#include <string_view>

namespace ratmemcache::protocol::reply {

inline constexpr std::string_view kError = "ERROR\r\n";
inline constexpr std::string_view kBadFormat = "CLIENT_ERROR bad command line format\r\n";
inline constexpr std::string_view kBadDataChunk = "CLIENT_ERROR bad data chunk\r\n";
inline constexpr std::string_view kTooLarge = "SERVER_ERROR object too large for cache\r\n";
inline constexpr std::string_view kNoMemoryStoring = "SERVER_ERROR out of memory storing object\r\n";
inline constexpr std::string_view kNoMemory = "SERVER_ERROR out of memory\r\n";
inline constexpr std::string_view kNoMemoryReading = "SERVER_ERROR out of memory reading request\r\n";
inline constexpr std::string_view kInvalidExptime = "CLIENT_ERROR invalid exptime argument\r\n";
inline constexpr std::string_view kInvalidDelta = "CLIENT_ERROR invalid numeric delta argument\r\n";
inline constexpr std::string_view kNonNumeric =
    "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
inline constexpr std::string_view kDeleteUsage =
    "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
inline constexpr std::string_view kShutdownDisabled = "ERROR: shutdown not enabled\r\n";
inline constexpr std::string_view kInvalidShutdownMode = "CLIENT_ERROR invalid shutdown mode\r\n";
inline constexpr std::string_view kTooManyConnections = "ERROR Too many open connections\r\n";
inline constexpr std::string_view kFlushNotAllowed = "CLIENT_ERROR flush_all not allowed\r\n";
inline constexpr std::string_view kCachedumpNotAllowed = "CLIENT_ERROR stats cachedump not allowed\r\n";
inline constexpr std::string_view kDetailUsage = "CLIENT_ERROR usage: stats detail on|off|dump\r\n";
inline constexpr std::string_view kSizesDisabled = "STAT sizes_status disabled\r\nEND\r\n";
// Admin commands of memcached's slab allocator, LRU maintainer, crawler, logger and
// extstore, which this server does not have (docs/compatibility.md).
inline constexpr std::string_view kSlabsNotSupported =
    "CLIENT_ERROR slabs commands not supported: this server has no slab allocator\r\n";
inline constexpr std::string_view kLruNotSupported =
    "CLIENT_ERROR lru commands not supported: see the eviction_strategy setting\r\n";
inline constexpr std::string_view kLruCrawlerNotSupported =
    "CLIENT_ERROR lru_crawler not supported: expired items are swept by [ttl] cleanup_interval\r\n";
inline constexpr std::string_view kWatchNotSupported = "CLIENT_ERROR watch not supported\r\n";
inline constexpr std::string_view kExtstoreNotSupported =
    "CLIENT_ERROR extstore commands not supported: the persistent tier is RocksDB, see stats tiers\r\n";
inline constexpr std::string_view kBadCommandLine = "CLIENT_ERROR bad command line\r\n";
inline constexpr std::string_view kIllegalSlabId = "CLIENT_ERROR Illegal slab id\r\n";
inline constexpr std::string_view kStored = "STORED\r\n";
inline constexpr std::string_view kNotStored = "NOT_STORED\r\n";
inline constexpr std::string_view kExists = "EXISTS\r\n";
inline constexpr std::string_view kNotFound = "NOT_FOUND\r\n";
inline constexpr std::string_view kDeleted = "DELETED\r\n";
inline constexpr std::string_view kTouched = "TOUCHED\r\n";
inline constexpr std::string_view kOk = "OK\r\n";
inline constexpr std::string_view kEnd = "END\r\n";
inline constexpr std::string_view kReset = "RESET\r\n";
inline constexpr std::string_view kMemlimitTooSmall =
    "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n";
inline constexpr std::string_view kMemlimitNotMegabytes =
    "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n";
inline constexpr std::string_view kMemlimitFailed =
    "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n";

}  // namespace ratmemcache::protocol::reply
