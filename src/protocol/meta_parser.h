#pragma once

// The meta commands of memcached's text protocol (mg, ms, md, ma, mn, me), parsed and
// checked as memcached 1.6.18 does: the same limits, the same flag rules and the same
// error lines. Pure functions: no I/O, no allocation.

#include <span>
#include <string_view>

#include "protocol/text_parser.h"
#include "protocol/text_request.h"

namespace ratmemcache::protocol {

// Parses a command line already split into words (words[0] is a two-letter name starting
// with 'm'); `ntokens` counts tokens as memcached does (words plus a terminal token) and
// `consumed` is the line's length with its "\n". Returns kRequest (request->error may be
// set: answer it, and for ms swallow value_length + 2 bytes) or kReply.
ParseResult ParseMetaCommand(std::span<const std::string_view> words, size_t ntokens,
                             size_t consumed, TextRequest* request);

// memcached's _meta_flag_preparse(): checks `tokens` (each a flag letter and its argument)
// into *flags. `key` is the raw key token (decoded to check a 'b' flag). Returns the
// error line (with "\r\n") or an empty view.
std::string_view PreparseMetaFlags(std::span<const std::string_view> tokens, std::string_view key,
                                   MetaFlags* flags);

}  // namespace ratmemcache::protocol
