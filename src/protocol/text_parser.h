#pragma once

// The parser of memcached's text protocol: a pure function from bytes to a TextRequest,
// or to the exact reply memcached gives for a malformed command line. It performs no I/O,
// keeps no state between calls, and never allocates. Data blocks of storage commands are
// not parsed here: the caller reads TextRequest::value_length + 2 bytes after the line.
//
// Behaviour follows memcached 1.6.18 byte for byte (see docs/compatibility.md):
// lines end in "\n" with one optional "\r"; only ' ' separates tokens; command names are
// lower case; at most 23 tokens count for non-retrieval commands; a line with no "\n"
// after 2048 bytes closes the connection unless it starts with "get " or "gets ".

#include <cstddef>
#include <string_view>

#include "protocol/text_request.h"

namespace ratmemcache::protocol {

enum class ParseStatus : uint8_t {
  kRequest,   // *request holds a command; `consumed` bytes (the line) are used up
  kReply,     // the line is answered with `reply` (possibly empty under noreply)
  kNeedMore,  // no complete line yet; call again with more input
  kClose,     // close the connection after sending `reply` (may be empty)
};

struct ParseResult {
  ParseStatus status;
  size_t consumed = 0;
  std::string_view reply;  // for kReply and kClose, with its "\r\n"
};

// Longest line (without "\n") memcached waits for, except for get/gets lines.
inline constexpr size_t kMaxCommandLine = 2048;
// Longest get/gets line we buffer (memcached has no bound but memory); beyond it the
// connection is closed with "SERVER_ERROR out of memory reading request".
inline constexpr size_t kMaxRetrievalLine = 16u << 20;
// Longest key.
inline constexpr size_t kMaxKey = 250;

// Parses the first command line of `input`. `search_from` says how many leading bytes are
// already known to hold no "\n" (from an earlier kNeedMore on the same line), so that a
// long line arriving in pieces is scanned once, not once per piece.
ParseResult ParseTextCommand(std::string_view input, TextRequest* request,
                             size_t search_from = 0);

}  // namespace ratmemcache::protocol
