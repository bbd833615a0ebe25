#pragma once

// The parser of the seed's streaming extension to the text protocol (docs/protocol.md):
// streaming_get (alias sget) and the chunked upload set_begin / set_data / set_end.
// Pure: no I/O, no state, no allocation, like the rest of the text parser.

#include <cstddef>
#include <span>
#include <string_view>

#include "protocol/text_parser.h"
#include "protocol/text_request.h"

namespace ratmemcache::protocol {

// streaming_get's chunk size when none is given, and the bounds of a given one.
inline constexpr uint32_t kDefaultStreamChunk = 16 * 1024;
inline constexpr uint32_t kMaxStreamChunk = 64u << 20;

inline constexpr std::string_view kBadChunkSize =
    "CLIENT_ERROR chunk_size must be between 1 and 67108864\r\n";
inline constexpr std::string_view kBadChunkCount =
    "CLIENT_ERROR chunk_count must be between 1 and total_size (1 when total_size is 0)\r\n";

// True when `name` is one of the streaming commands.
bool IsStreamCommand(std::string_view name);

// Parses a streaming command line already split into `words` (words[0] is the command;
// memcached's ntokens is words.size() + 1). `consumed` is the length of the line with its
// newline. For set_data with a readable length, errors come back as a kRequest with
// TextRequest::error set and value_length filled, so that the caller skips the data
// block (value_length + 2 bytes) after replying.
ParseResult ParseStreamCommand(std::span<const std::string_view> words, size_t consumed,
                               TextRequest* request);

}  // namespace ratmemcache::protocol
