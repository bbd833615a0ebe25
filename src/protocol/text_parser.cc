#include "protocol/text_parser.h"

#include <algorithm>
#include <charconv>

#include "common/decimal.h"
#include "protocol/meta_parser.h"
#include "protocol/stream_parser.h"
#include "protocol/text_replies.h"

namespace ratmemcache::protocol {
namespace {

// memcached's MAX_TOKENS (24) less its terminal token: words beyond the 23rd are not
// tokens of their own.
constexpr size_t kMaxWords = 23;

// The words of a command line, split on ' ' as memcached's tokenize_command() does.
struct Words {
  std::string_view word[kMaxWords];
  size_t count = 0;
  std::string_view rest;  // text after the last word kept, when the line had more

  // memcached's ntokens: the words plus the terminal token.
  size_t ntokens() const { return count + 1; }
};

Words Tokenize(std::string_view line) {
  Words words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i == line.size()) break;
    size_t end = line.find(' ', i);
    if (end == std::string_view::npos) end = line.size();
    words.word[words.count++] = line.substr(i, end - i);
    i = end;
    if (words.count == kMaxWords) {
      if (i < line.size()) words.rest = line.substr(i + 1);
      break;
    }
  }
  return words;
}

// memcached's set_noreply_maybe(): the last word is exactly "noreply".
bool NoreplyMaybe(const Words& words) {
  return words.count > 0 && words.word[words.count - 1] == "noreply";
}

bool StartsWithRetrieval(std::string_view input) {
  size_t spaces = 0;
  while (spaces < input.size() && input[spaces] == ' ') ++spaces;
  if (spaces > 100) return false;
  std::string_view rest = input.substr(spaces);
  return rest.starts_with("get ") || rest.starts_with("gets ");
}

ParseResult Reply(size_t consumed, std::string_view text) {
  return ParseResult{ParseStatus::kReply, consumed, text};
}

// A reply that noreply silences.
ParseResult ReplyUnlessNoreply(size_t consumed, bool noreply, std::string_view text) {
  return Reply(consumed, noreply ? std::string_view() : text);
}

ParseResult Request(size_t consumed) { return ParseResult{ParseStatus::kRequest, consumed, {}}; }

ParseResult ParseRetrieval(const Words& words, std::string_view line, size_t consumed,
                           TextCommand command, TextRequest* request) {
  if (words.ntokens() < 3) return Reply(consumed, reply::kError);
  request->command = command;
  size_t first_key = 1;
  if (command == TextCommand::kGat || command == TextCommand::kGats) {
    if (!SafeStrtol(words.word[1], &request->exptime)) {
      return Reply(consumed, reply::kInvalidExptime);
    }
    first_key = 2;
  }
  // The keys run from the first key word to the end of the line.
  std::string_view keys;
  if (first_key < words.count) {
    const size_t start = static_cast<size_t>(words.word[first_key].data() - line.data());
    keys = line.substr(start);
  }
  KeyList check(keys);
  std::string_view key;
  while (check.Next(&key)) {
    if (key.size() > kMaxKey) return Reply(consumed, reply::kBadFormat);
  }
  request->keys = KeyList(keys);
  return Request(consumed);
}

ParseResult ParseStorage(const Words& words, size_t consumed, TextCommand command,
                         TextRequest* request) {
  const bool is_cas = command == TextCommand::kCas;
  const size_t n = words.ntokens();
  if (is_cas ? (n != 7 && n != 8) : (n != 6 && n != 7)) return Reply(consumed, reply::kError);
  request->command = command;
  request->noreply = NoreplyMaybe(words);
  request->key = words.word[1];
  int32_t length;
  if (request->key.size() > kMaxKey || !SafeStrtoul(words.word[2], &request->flags) ||
      !SafeStrtol(words.word[3], &request->exptime) || !SafeStrtol(words.word[4], &length) ||
      (is_cas && !SafeStrtoull(words.word[5], &request->cas)) || length < 0 ||
      length > INT32_MAX - 2) {
    return ReplyUnlessNoreply(consumed, request->noreply, reply::kBadFormat);
  }
  request->value_length = static_cast<uint32_t>(length);
  return Request(consumed);
}

ParseResult ParseDelete(const Words& words, size_t consumed, TextRequest* request) {
  const size_t n = words.ntokens();
  if (n < 3 || n > 5) return Reply(consumed, reply::kError);
  request->command = TextCommand::kDelete;
  // As memcached, "noreply" is looked for only after the key ("delete noreply" deletes
  // the key "noreply").
  if (n > 3) {
    request->noreply = NoreplyMaybe(words);
    const bool hold_is_zero = words.word[2] == "0";
    const bool valid = (n == 4 && (hold_is_zero || request->noreply)) ||
                       (n == 5 && hold_is_zero && request->noreply);
    if (!valid) return ReplyUnlessNoreply(consumed, request->noreply, reply::kDeleteUsage);
  }
  request->key = words.word[1];
  if (request->key.size() > kMaxKey) {
    return ReplyUnlessNoreply(consumed, request->noreply, reply::kBadFormat);
  }
  return Request(consumed);
}

ParseResult ParseArithmetic(const Words& words, size_t consumed, TextCommand command,
                            TextRequest* request) {
  const size_t n = words.ntokens();
  if (n != 4 && n != 5) return Reply(consumed, reply::kError);
  request->command = command;
  request->noreply = NoreplyMaybe(words);
  request->key = words.word[1];
  if (request->key.size() > kMaxKey) {
    return ReplyUnlessNoreply(consumed, request->noreply, reply::kBadFormat);
  }
  if (!SafeStrtoull(words.word[2], &request->delta)) {
    return ReplyUnlessNoreply(consumed, request->noreply, reply::kInvalidDelta);
  }
  return Request(consumed);
}

ParseResult ParseTouch(const Words& words, size_t consumed, TextRequest* request) {
  const size_t n = words.ntokens();
  if (n != 4 && n != 5) return Reply(consumed, reply::kError);
  request->command = TextCommand::kTouch;
  request->noreply = NoreplyMaybe(words);
  request->key = words.word[1];
  if (request->key.size() > kMaxKey) {
    return ReplyUnlessNoreply(consumed, request->noreply, reply::kBadFormat);
  }
  if (!SafeStrtol(words.word[2], &request->exptime)) {
    return ReplyUnlessNoreply(consumed, request->noreply, reply::kInvalidExptime);
  }
  return Request(consumed);
}

ParseResult ParseFlushAll(const Words& words, size_t consumed, TextRequest* request) {
  const size_t n = words.ntokens();
  if (n < 2 || n > 4) return Reply(consumed, reply::kError);
  request->command = TextCommand::kFlushAll;
  request->noreply = NoreplyMaybe(words);
  request->exptime = 0;
  if (n != (request->noreply ? 3u : 2u)) {
    if (!SafeStrtol(words.word[1], &request->exptime)) {
      request->invalid_argument = true;
      return Request(consumed);
    }
  }
  return Request(consumed);
}

ParseResult ParseVerbosity(const Words& words, size_t consumed, TextRequest* request) {
  const size_t n = words.ntokens();
  if (n != 3 && n != 4) return Reply(consumed, reply::kError);
  request->command = TextCommand::kVerbosity;
  request->noreply = NoreplyMaybe(words);
  if (!SafeStrtoul(words.word[1], &request->number)) {
    return ReplyUnlessNoreply(consumed, request->noreply, reply::kBadFormat);
  }
  return Request(consumed);
}

ParseResult ParseShutdown(const Words& words, size_t consumed, TextRequest* request) {
  request->command = TextCommand::kShutdown;
  if (words.ntokens() == 2) return Request(consumed);
  if (words.ntokens() == 3 && words.word[1] == "graceful") {
    request->graceful = true;
    return Request(consumed);
  }
  // The server decides between "not enabled" and "invalid mode".
  request->invalid_argument = true;
  return Request(consumed);
}

ParseResult ParseCacheMemlimit(const Words& words, size_t consumed, TextRequest* request) {
  const size_t n = words.ntokens();
  if (n != 3 && n != 4) return Reply(consumed, reply::kError);
  request->command = TextCommand::kCacheMemlimit;
  request->noreply = NoreplyMaybe(words);
  if (!SafeStrtoul(words.word[1], &request->number)) {
    return ReplyUnlessNoreply(consumed, request->noreply, reply::kError);
  }
  return Request(consumed);
}

// memcached checks the arguments of "slabs reassign" and "slabs automove" before acting;
// the same checks come first here, then the refusal (there is no slab allocator).
ParseResult ParseSlabs(const Words& words, size_t consumed) {
  const size_t n = words.ntokens();
  if (n == 5 && words.word[1] == "reassign") {
    int32_t src, dst;
    if (!SafeStrtol(words.word[2], &src) || !SafeStrtol(words.word[3], &dst)) {
      return Reply(consumed, reply::kBadFormat);
    }
    return Reply(consumed, reply::kSlabsNotSupported);
  }
  if (n >= 4 && words.word[1] == "automove") {
    const bool noreply = NoreplyMaybe(words);
    if (words.word[2] == "ratio") {
      double ratio = 0;
      const std::string_view text = n >= 5 ? words.word[3] : std::string_view();
      const auto parsed = std::from_chars(text.data(), text.data() + text.size(), ratio);
      if (n < 5 || text.empty() || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) {
        return ReplyUnlessNoreply(consumed, noreply, reply::kError);
      }
      return ReplyUnlessNoreply(consumed, noreply, reply::kSlabsNotSupported);
    }
    uint32_t level = 0;
    if (!SafeStrtoul(words.word[2], &level)) return ReplyUnlessNoreply(consumed, noreply, reply::kBadFormat);
    if (level > 2) return ReplyUnlessNoreply(consumed, noreply, reply::kError);
    return ReplyUnlessNoreply(consumed, noreply, reply::kSlabsNotSupported);
  }
  return Reply(consumed, reply::kError);
}

}  // namespace

bool KeyList::Next(std::string_view* key) {
  size_t i = 0;
  while (i < rest_.size() && rest_[i] == ' ') ++i;
  if (i == rest_.size()) {
    rest_ = {};
    return false;
  }
  size_t end = rest_.find(' ', i);
  if (end == std::string_view::npos) end = rest_.size();
  *key = rest_.substr(i, end - i);
  rest_.remove_prefix(end);
  return true;
}

ParseResult ParseTextCommand(std::string_view input, TextRequest* request, size_t search_from) {
  const size_t newline = input.find('\n', std::min(search_from, input.size()));
  if (newline == std::string_view::npos) {
    if (input.size() <= kMaxCommandLine) return ParseResult{ParseStatus::kNeedMore, 0, {}};
    if (!StartsWithRetrieval(input)) return ParseResult{ParseStatus::kClose, 0, {}};
    if (input.size() > kMaxRetrievalLine) {
      return ParseResult{ParseStatus::kClose, 0, reply::kNoMemoryReading};
    }
    return ParseResult{ParseStatus::kNeedMore, 0, {}};
  }
  const size_t consumed = newline + 1;
  std::string_view line = input.substr(0, newline);
  if (line.size() > 1 && line.back() == '\r') line.remove_suffix(1);
  // memcached handles the line as a C string.
  line = line.substr(0, line.find('\0'));

  *request = TextRequest{};
  const Words words = Tokenize(line);
  if (words.count == 0 || words.word[0].size() < 2) return Reply(consumed, reply::kError);

  const std::string_view name = words.word[0];
  switch (name[0]) {
    case 'g':
      if (name == "get") return ParseRetrieval(words, line, consumed, TextCommand::kGet, request);
      if (name == "gets") return ParseRetrieval(words, line, consumed, TextCommand::kGets, request);
      if (name == "gat") return ParseRetrieval(words, line, consumed, TextCommand::kGat, request);
      if (name == "gats") return ParseRetrieval(words, line, consumed, TextCommand::kGats, request);
      return Reply(consumed, reply::kError);
    case 's':
      if (name == "set") return ParseStorage(words, consumed, TextCommand::kSet, request);
      if (name == "stats") {
        request->command = TextCommand::kStats;
        if (words.count > 1) {
          request->args = line.substr(static_cast<size_t>(words.word[1].data() - line.data()));
        }
        request->keys = KeyList(request->args);
        return Request(consumed);
      }
      if (name == "shutdown") return ParseShutdown(words, consumed, request);

      if (name == "slabs") return ParseSlabs(words, consumed);
      if (IsStreamCommand(name)) {
        return ParseStreamCommand(std::span<const std::string_view>(words.word, words.count),
                                  consumed, request);
      }
      return Reply(consumed, reply::kError);
    case 'a':
      if (name == "add") return ParseStorage(words, consumed, TextCommand::kAdd, request);
      if (name == "append") return ParseStorage(words, consumed, TextCommand::kAppend, request);
      return Reply(consumed, reply::kError);
    case 'c':
      if (name == "cas") return ParseStorage(words, consumed, TextCommand::kCas, request);
      if (name == "cache_memlimit") return ParseCacheMemlimit(words, consumed, request);
      return Reply(consumed, reply::kError);
    case 'i':
      if (name == "incr") return ParseArithmetic(words, consumed, TextCommand::kIncr, request);
      return Reply(consumed, reply::kError);
    case 'd':
      if (name == "delete") return ParseDelete(words, consumed, request);
      if (name == "decr") return ParseArithmetic(words, consumed, TextCommand::kDecr, request);
      return Reply(consumed, reply::kError);
    case 't':
      if (name == "touch") return ParseTouch(words, consumed, request);
      return Reply(consumed, reply::kError);
    case 'm':
      if (name.size() == 2) {
        return ParseMetaCommand(std::span<const std::string_view>(words.word, words.count),
                                words.ntokens(), consumed, request);
      }
      break;
    default:
      break;
  }
  if (name == "replace") return ParseStorage(words, consumed, TextCommand::kReplace, request);
  if (name == "prepend") return ParseStorage(words, consumed, TextCommand::kPrepend, request);
  if (name == "bget") return ParseRetrieval(words, line, consumed, TextCommand::kGet, request);
  if (name == "flush_all") return ParseFlushAll(words, consumed, request);
  if (name == "version") {
    request->command = TextCommand::kVersion;
    return Request(consumed);
  }
  if (name == "quit") {
    request->command = TextCommand::kQuit;
    return Request(consumed);
  }
  if (name == "refresh_certs") {
    request->command = TextCommand::kRefreshCerts;
    request->noreply = NoreplyMaybe(words);
    return Request(consumed);
  }
  if (name == "verbosity") return ParseVerbosity(words, consumed, request);
  if (name == "lru") return Reply(consumed, reply::kLruNotSupported);
  if (name == "lru_crawler") return Reply(consumed, reply::kLruCrawlerNotSupported);
  if (name == "watch") return Reply(consumed, reply::kWatchNotSupported);
  if (name == "extstore") return Reply(consumed, reply::kExtstoreNotSupported);

  // An HTTP request sent to the cache port: memcached hangs up without a word.
  if (words.word[words.count - 1].starts_with("HTTP/")) {
    return ParseResult{ParseStatus::kClose, consumed, {}};
  }
  return Reply(consumed, reply::kError);
}

}  // namespace ratmemcache::protocol
