#include "protocol/meta_parser.h"

#include <climits>

#include "common/decimal.h"
#include "protocol/base64.h"
#include "protocol/text_replies.h"

namespace ratmemcache::protocol {
namespace {

// memcached's MFLAG_MAX_OPT_LENGTH: most tokens a meta command line may have.
constexpr size_t kMaxMetaTokens = 20;

constexpr std::string_view kDuplicateFlag = "CLIENT_ERROR duplicate flag\r\n";
constexpr std::string_view kInvalidFlag = "CLIENT_ERROR invalid flag\r\n";
constexpr std::string_view kBadToken = "CLIENT_ERROR bad token in command line format\r\n";
constexpr std::string_view kDecodeError = "CLIENT_ERROR error decoding key\r\n";
constexpr std::string_view kModeLength = "CLIENT_ERROR incorrect length for M token\r\n";
constexpr std::string_view kBadInitial = "CLIENT_ERROR invalid numeric initial value\r\n";
constexpr std::string_view kBadDelta = "CLIENT_ERROR invalid numeric delta value\r\n";
constexpr std::string_view kInvalidOrDuplicate = "CLIENT_ERROR invalid or duplicate flag\r\n";
constexpr std::string_view kOpaqueTooLong = "CLIENT_ERROR opaque token too long\r\n";
constexpr std::string_view kFlagsTooLongGet = "CLIENT_ERROR options flags are too long\r\n";
constexpr std::string_view kFlagsTooLong = "CLIENT_ERROR options flags too long\r\n";
constexpr std::string_view kMsMode = "CLIENT_ERROR invalid mode for ms M token\r\n";
constexpr std::string_view kMaMode = "CLIENT_ERROR invalid mode for ma M token\r\n";
constexpr std::string_view kNoop = "MN\r\n";

ParseResult Reply(size_t consumed, std::string_view text) {
  return ParseResult{ParseStatus::kReply, consumed, text};
}

ParseResult Request(size_t consumed) { return ParseResult{ParseStatus::kRequest, consumed, {}}; }

bool KeyDecodes(std::string_view key) {
  char decoded[kMaxKey];
  return Base64Decode(key, decoded, sizeof(decoded)) != 0;
}

}  // namespace

std::string_view PreparseMetaFlags(std::span<const std::string_view> tokens, std::string_view key,
                                   MetaFlags* flags) {
  bool seen[127] = {};
  std::string_view error;  // the last problem found; parsing goes on past most of them
  for (std::string_view token : tokens) {
    const auto letter = static_cast<unsigned char>(token[0]);
    if (letter >= 127 || seen[letter]) return kDuplicateFlag;
    seen[letter] = true;
    if (flags->count < kMaxMetaFlags) flags->token[flags->count++] = token;
    const std::string_view argument = token.substr(1);
    switch (letter) {
      case 'b':
        flags->key_binary = true;
        if (!KeyDecodes(key)) error = kDecodeError;
        break;
      case 'N':
        flags->vivify = true;
        if (!SafeStrtol(argument, &flags->vivify_ttl)) error = kBadToken;
        break;
      case 'T':
        if (SafeStrtol(argument, &flags->ttl)) {
          flags->has_ttl = true;
        } else {
          error = kBadToken;
        }
        break;
      case 'R':
        flags->recache = true;
        if (!SafeStrtol(argument, &flags->recache_ttl)) error = kBadToken;
        break;
      case 'l':
        flags->with_last_access = true;
        break;
      case 'h':
        flags->with_hit = true;
        break;
      case 'O':
        flags->opaque_too_long |= token.size() > kMaxMetaOpaque;
        break;
      case 'P':
      case 'L':
      case 'k':
      case 's':
      case 't':
      case 'c':
      case 'f':
        break;
      case 'v':
        flags->value = true;
        break;
      case 'u':
        flags->no_update = true;
        break;
      case 'q':
        flags->no_reply = true;
        break;
      case 'F':
        // memcached keeps its default error text for a bad F.
        if (!SafeStrtoul(argument, &flags->client_flags)) error = reply::kBadFormat;
        break;
      case 'C':
        if (SafeStrtoull(argument, &flags->compare_cas)) {
          flags->has_cas = true;
        } else {
          error = kBadToken;
        }
        break;
      case 'M':
        if (token.size() != 2) {
          error = kModeLength;
        } else {
          flags->mode = token[1];
        }
        break;
      case 'J':
        if (!SafeStrtoull(argument, &flags->initial)) error = kBadInitial;
        break;
      case 'D':
        if (!SafeStrtoull(argument, &flags->delta)) error = kBadDelta;
        break;
      case 'I':
        flags->invalidate = true;
        break;
      default:
        return kInvalidFlag;
    }
  }
  return error;
}

ParseResult ParseMetaCommand(std::span<const std::string_view> words, size_t ntokens,
                             size_t consumed, TextRequest* request) {
  const char kind = words[0][1];
  if (kind == 'n') return Reply(consumed, kNoop);
  if (kind == 'e') {
    if (ntokens < 3 || words[1].size() > kMaxKey) return Reply(consumed, reply::kBadFormat);
    request->command = TextCommand::kMetaDebug;
    request->key = words[1];
    if (ntokens >= 4 && words[2] == "b") {
      if (!KeyDecodes(words[1])) return Reply(consumed, reply::kBadFormat);
      request->meta.key_binary = true;
    }
    return Request(consumed);
  }
  if (kind != 'g' && kind != 's' && kind != 'd' && kind != 'a') return Reply(consumed, reply::kError);
  if (ntokens < 3) return Reply(consumed, reply::kError);
  if (words[1].size() > kMaxKey) return Reply(consumed, reply::kBadFormat);
  request->key = words[1];
  size_t first_flag = 2;
  if (kind == 's') {
    if (ntokens == 3) return Reply(consumed, reply::kBadFormat);
    if (ntokens > kMaxMetaTokens) return Reply(consumed, kFlagsTooLong);
    int32_t length = 0;
    if (!SafeStrtol(words[2], &length) || length < 0 || length > INT_MAX - 2) {
      return Reply(consumed, reply::kBadFormat);
    }
    request->value_length = static_cast<uint32_t>(length);
    first_flag = 3;
  } else if (ntokens > kMaxMetaTokens) {
    return Reply(consumed, kind == 'g' ? kFlagsTooLongGet : kFlagsTooLong);
  }
  MetaFlags& flags = request->meta;
  const std::string_view error = PreparseMetaFlags(words.subspan(first_flag), words[1], &flags);
  request->noreply = flags.no_reply;
  switch (kind) {
    case 'g':
      request->command = TextCommand::kMetaGet;
      if (!error.empty()) return Reply(consumed, error);
      if (flags.opaque_too_long) return Reply(consumed, kOpaqueTooLong);
      return Request(consumed);
    case 'd':
      request->command = TextCommand::kMetaDelete;
      if (!error.empty()) return Reply(consumed, kInvalidOrDuplicate);
      if (flags.opaque_too_long) return Reply(consumed, kOpaqueTooLong);
      return Request(consumed);
    case 'a':
      request->command = TextCommand::kMetaArithmetic;
      if (!error.empty()) return Reply(consumed, kInvalidOrDuplicate);
      if (flags.mode != 0 && flags.mode != 'I' && flags.mode != '+' && flags.mode != 'D' &&
          flags.mode != '-') {
        return Reply(consumed, kMaMode);
      }
      return Request(consumed);  // a long opaque is refused after the change (as memcached)
    default:
      break;
  }
  // ms: every error from here on also swallows the data block.
  request->command = TextCommand::kMetaSet;
  if (!error.empty()) {
    request->error = error;
    return Request(consumed);
  }
  switch (flags.mode) {
    case 0:
    case 'E':  // add
    case 'A':  // append
    case 'P':  // prepend
    case 'R':  // replace
    case 'S':  // set
      break;
    default:
      request->error = kMsMode;
      return Request(consumed);
  }
  if (flags.opaque_too_long) request->error = kOpaqueTooLong;
  return Request(consumed);
}

}  // namespace ratmemcache::protocol
