// TextSession's side of memcached's ASCII authentication (-Y/--auth-file), answering as
// memcached 1.6.18's try_read_command_asciiauth() does: every line other than a "set"
// with a length gets "CLIENT_ERROR unauthenticated" (the connection stays open); the set's
// data block holds "<user> <password>"; success answers STORED and the connection then
// speaks the normal protocol. Like memcached, of several answers to one read before the
// login succeeds only the last is sent (memcached reuses one reply buffer there).

#include <vector>

#include "common/decimal.h"
#include "server/text_session.h"

namespace ratmemcache::server {
namespace {

constexpr std::string_view kUnauthenticated = "CLIENT_ERROR unauthenticated\r\n";
constexpr std::string_view kBadTermination = "CLIENT_ERROR bad command line termination\r\n";
constexpr std::string_view kBadTokenFormat = "CLIENT_ERROR bad authentication token format\r\n";
constexpr std::string_view kFailure = "CLIENT_ERROR authentication failure\r\n";
constexpr std::string_view kStored = "STORED\r\n";
// memcached closes a connection that sent this much without a newline.
constexpr size_t kMaxAuthLine = 2048;
// Longest credentials block waited for (memcached has no bound but its buffers); a longer
// one is refused and the connection closed.
constexpr size_t kMaxCredentials = 64 * 1024;

// Up to `max` space-separated words of `text` (memcached's tokenizer: runs of ' ').
size_t SplitWords(std::string_view text, std::string_view* words, size_t max) {
  size_t count = 0;
  size_t i = 0;
  while (i < text.size() && count < max) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i == text.size()) break;
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    words[count++] = text.substr(i, end - i);
    i = end;
  }
  return count;
}

}  // namespace

size_t TextSession::ConsumeAuth(std::string_view input, bool* need_more) {
  if (auth_pending_ == 0) {
    const size_t newline = input.find('\n');
    if (newline == std::string_view::npos) {
      if (input.size() > kMaxAuthLine) {
        close_ = true;
      } else {
        *need_more = true;
      }
      return 0;
    }
    std::string_view words[5];
    const size_t count = SplitWords(input.substr(0, newline), words, 5);
    uint32_t size = 0;
    // The length may carry the line's '\r': memcached's number parsing stops at it.
    if (count < 5 || words[0] != "set" || !SafeStrtoul(words[4], &size)) {
      auth_reply_ = kUnauthenticated;
      return newline + 1;
    }
    if (size > kMaxCredentials) {
      auth_reply_ = kBadTokenFormat;
      close_ = true;
      return newline + 1;
    }
    auth_pending_ = size_t{size} + 2;
    return newline + 1;
  }
  if (input.size() < auth_pending_) {
    *need_more = true;
    return 0;
  }
  const std::string_view block = input.substr(0, auth_pending_);
  const size_t used = auth_pending_;
  auth_pending_ = 0;
  if (!block.ends_with("\r\n")) {
    auth_reply_ = kBadTermination;
    return used;
  }
  std::string_view credentials[2];
  if (SplitWords(block.substr(0, block.size() - 2), credentials, 2) < 2) {
    auth_reply_ = kBadTokenFormat;
    return used;
  }
  stats_->auth_cmds.Add();
  if (context_->settings().auth_file->Check(credentials[0], credentials[1])) {
    authenticated_ = true;
    auth_reply_ = kStored;
  } else {
    stats_->auth_errors.Add();
    auth_reply_ = kFailure;
  }
  return used;
}

}  // namespace ratmemcache::server
