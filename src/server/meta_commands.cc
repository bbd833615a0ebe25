// TextSession's meta commands (mg, ms, md, ma; mn is answered by the parser), replying
// byte for byte as memcached 1.6.18 does. Flags are checked by protocol/meta_parser.cc.


#include <cstring>
#include <ctime>

#include "common/decimal.h"
#include "common/expiry_clock.h"
#include "protocol/base64.h"
#include "protocol/text_parser.h"
#include "ram/item.h"
#include "ram/memcached_classes.h"
#include "protocol/text_replies.h"
#include "server/text_session.h"

namespace ratmemcache::server {

using protocol::MetaFlags;
using protocol::TextRequest;

namespace {

constexpr std::string_view kOpaqueTooLong = "CLIENT_ERROR opaque token too long\r\n";
// Longest meta reply line: code, every flag with its largest value, a base64 key.
constexpr size_t kMaxMetaLine = 64 + protocol::kMaxMetaFlags * 24 +
                                protocol::Base64EncodedSize(protocol::kMaxKey) + 8 +
                                protocol::kMaxMetaOpaque;

char* Put(char* p, std::string_view text) {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

char* PutNumber(char* p, uint64_t value) { return p + FormatDecimal(value, p); }

char* PutFlag(char* p, char letter) {
  *p++ = ' ';
  *p++ = letter;
  return p;
}

char* PutTtl(char* p, int64_t ttl) {
  if (ttl < 0) return Put(p, "-1");
  return PutNumber(p, static_cast<uint64_t>(ttl));
}

template <typename Fn>
void ForEachToken(std::string_view tokens, Fn fn) {
  while (!tokens.empty()) {
    const size_t end = tokens.find(' ');
    fn(tokens.substr(0, end));
    tokens.remove_prefix(end + 1);
  }
}

}  // namespace

void TextSession::PrepareMeta(const TextRequest& request) {
  const MetaFlags& flags = request.meta;
  meta_key_binary_ = flags.key_binary;
  if (flags.key_binary) {
    meta_key_.resize(protocol::kMaxKey);
    meta_key_.resize(protocol::Base64Decode(request.key, meta_key_.data(), meta_key_.size()));
  } else {
    meta_key_.assign(request.key);
  }
  meta_tokens_.clear();
  for (size_t i = 0; i < flags.count; ++i) {
    meta_tokens_.append(flags.token[i]);
    meta_tokens_.push_back(' ');
  }
  meta_value_ = flags.value;
  meta_quiet_ = flags.no_reply;
  meta_opaque_too_long_ = flags.opaque_too_long;
}

char* TextSession::PutMetaEchoToken(char* p, std::string_view token) const {
  if (token[0] == 'O') {
    *p++ = ' ';
    return Put(p, token);
  }
  p = PutFlag(p, 'k');
  if (!meta_key_binary_) return Put(p, meta_key_);
  p += protocol::Base64Encode(meta_key_, p);
  return Put(p, " b");
}

void TextSession::AppendMetaStatus(OutputBuffer& out, std::string_view code, bool with_cas,
                                   uint64_t cas) const {
  char* const start = out.Reserve(kMaxMetaLine);
  char* p = PutMetaEcho(Put(start, code), with_cas, cas);
  p = Put(p, "\r\n");
  out.Commit(static_cast<size_t>(p - start));
}

char* TextSession::PutMetaEcho(char* p, bool with_cas, uint64_t cas) const {
  ForEachToken(meta_tokens_, [&](std::string_view token) {
    if (token[0] == 'O' || token[0] == 'k') {
      p = PutMetaEchoToken(p, token);
    } else if (token[0] == 'c' && with_cas) {
      p = PutNumber(PutFlag(p, 'c'), cas);
    }
  });
  return p;
}

void TextSession::MetaGet(const TextRequest& request, OutputBuffer& out) {
  PrepareMeta(request);
  const MetaFlags& flags = request.meta;
  Cache::MetaGetOptions options;
  options.bump = !flags.no_update;
  options.touch = flags.has_ttl;
  options.exptime = flags.ttl;
  options.vivify = flags.vivify;
  // A created item takes the last of N and T on the line, as memcached applies them.
  options.vivify_exptime = flags.vivify_ttl;
  for (size_t i = 0; i < flags.count; ++i) {
    if (flags.token[i][0] == 'T') options.vivify_exptime = flags.ttl;
    if (flags.token[i][0] == 'N') options.vivify_exptime = flags.vivify_ttl;
  }
  options.recache = flags.recache;
  options.recache_exptime = flags.recache_ttl;
  RunOnKey(
      meta_key_, [options](Cache& cache, std::string_view key) { return cache.MetaGet(key, options); },
      [this, touch = flags.has_ttl](Result<Cache::MetaGetResult> found, OutputBuffer& o) {
        ReplyMetaGet(std::move(found), touch, o);
      },
      out);
}

void TextSession::ReplyMetaGet(Result<Cache::MetaGetResult> found, bool touch, OutputBuffer& out) {
  CountRetrieval(touch, found.ok());
  if (!found.ok()) {
    if (!meta_quiet_) AppendMetaStatus(out, "EN", false, 0);
    return;
  }
  Cache::MetaGetResult& meta = found.value();
  ItemHandle& item = meta.item;
  const std::string_view value = item.value();
  const bool inline_value = meta_value_ && value.size() <= kInlineValueLimit;
  char* const start = out.Reserve(kMaxMetaLine + (inline_value ? value.size() + 2 : 0));
  char* p = start;
  if (meta_value_) {
    p = PutNumber(Put(p, "VA "), value.size());
  } else {
    p = Put(p, "HD");
  }
  ForEachToken(meta_tokens_, [&](std::string_view token) {
    switch (token[0]) {
      case 's':
        p = PutNumber(PutFlag(p, 's'), value.size());
        break;
      case 't':
        p = PutTtl(PutFlag(p, 't'), cache_.SecondsToLive(item));
        break;
      case 'c':
        p = PutNumber(PutFlag(p, 'c'), item.cas());
        break;
      case 'f':
        p = PutNumber(PutFlag(p, 'f'), item.flags());
        break;
      case 'l':
        p = PutNumber(PutFlag(p, 'l'), static_cast<uint64_t>(meta.idle_seconds));
        break;
      case 'h':
        p = Put(PutFlag(p, 'h'), meta.fetched_before ? "1" : "0");
        break;
      case 'O':
      case 'k':
        p = PutMetaEchoToken(p, token);
        break;
      default:
        break;
    }
  });
  // As memcached: Z when a token went out before, X when stale, W when this one won.
  if (meta.token_sent) p = PutFlag(p, 'Z');
  if (meta.stale) p = PutFlag(p, 'X');
  if (meta.win) p = PutFlag(p, 'W');
  p = Put(p, "\r\n");
  if (!meta_value_) {
    out.Commit(static_cast<size_t>(p - start));
    return;
  }
  if (inline_value) {
    std::memcpy(p, value.data(), value.size());
    p = Put(p + value.size(), "\r\n");
    out.Commit(static_cast<size_t>(p - start));
    return;
  }
  out.Commit(static_cast<size_t>(p - start));
  out.AppendReference(value.data(), value.size(), PinItem(item));
  out.Append("\r\n");
}

void TextSession::BeginMetaSet(const TextRequest& request, OutputBuffer& out) {
  const auto swallow = [&](std::string_view error) {
    out.Append(error);
    state_ = State::kSwallow;
    swallow_remaining_ = size_t{request.value_length} + 2;
  };
  if (!request.error.empty()) return swallow(request.error);
  PrepareMeta(request);
  meta_set_stale_ok_ = false;
  const MetaFlags& flags = request.meta;
  TextRequest store;
  store.key = meta_key_;
  store.value_length = request.value_length;
  store.flags = flags.client_flags;
  store.exptime = flags.has_ttl ? flags.ttl : 0;
  switch (flags.mode) {
    case 'E': store.command = protocol::TextCommand::kAdd; break;
    case 'A': store.command = protocol::TextCommand::kAppend; break;
    case 'P': store.command = protocol::TextCommand::kPrepend; break;
    case 'R': store.command = protocol::TextCommand::kReplace; break;
    default: store.command = protocol::TextCommand::kSet; break;
  }
  // As memcached: a CAS upgrades set and replace to cas, guards append and prepend, and
  // add ignores it.
  if (flags.has_cas && (flags.mode == 0 || flags.mode == 'S' || flags.mode == 'R')) {
    store.command = protocol::TextCommand::kCas;
    meta_set_stale_ok_ = flags.invalidate;  // I: an older CAS stores a stale value
  }
  if (flags.has_cas && flags.mode != 'E') store.cas = flags.compare_cas;
  noreply_ = false;  // errors of ms are never quiet; HD is (ReplyMetaSet)
  BeginStore(store, out);
  meta_set_ = state_ == State::kValue;
}

void TextSession::ReplyMetaSet(const Result<uint64_t>& stored, OutputBuffer& out) {
  std::string_view code;
  switch (stored.code()) {
    case StatusCode::kOk:
      if (store_command_ == protocol::TextCommand::kCas) stats_->cas_hits.Add();
      if (meta_quiet_) return;
      code = "HD";
      break;
    case StatusCode::kNotStored:
      code = "NS";
      break;
    case StatusCode::kExists:
      stats_->cas_badval.Add();
      code = "EX";
      break;
    case StatusCode::kNotFound:
      stats_->cas_misses.Add();
      code = "NF";
      break;
    case StatusCode::kTooLarge:
      stats_->store_too_large.Add();
      out.Append(protocol::reply::kTooLarge);
      return;
    default:
      stats_->store_no_memory.Add();
      out.Append(protocol::reply::kNoMemoryStoring);
      return;
  }
  // memcached echoes c with 0 when nothing was stored.
  AppendMetaStatus(out, code, true, stored.ok() ? stored.value() : 0);
}

void TextSession::MetaDelete(const TextRequest& request, OutputBuffer& out) {
  PrepareMeta(request);
  const MetaFlags& flags = request.meta;
  // memcached compares any C given, C0 included, and no item has CAS 0: C0 matches
  // nothing, which UINT64_MAX (never handed out) expresses here.
  const uint64_t expected_cas =
      !flags.has_cas ? 0 : flags.compare_cas != 0 ? flags.compare_cas : UINT64_MAX;
  const bool invalidate = flags.invalidate;
  const bool touch = flags.has_ttl;
  const int64_t ttl = flags.ttl;
  RunOnKey(
      meta_key_,
      [=](Cache& cache, std::string_view key) {
        return invalidate ? cache.InvalidateItem(key, expected_cas, touch, ttl)
                          : cache.DeleteIfCas(key, expected_cas);
      },
      [this, invalidate](const Status& deleted, OutputBuffer& o) {
        // memcached counts a miss or a CAS mismatch as a delete miss, an invalidation as
        // neither.
        if (!deleted.ok()) {
          stats_->delete_misses.Add();
        } else if (!invalidate) {
          stats_->delete_hits.Add();
        }
        if (deleted.ok() && meta_quiet_) return;
        const std::string_view code = deleted.ok()                           ? "HD"
                                      : deleted.code() == StatusCode::kExists ? "EX"
                                                                              : "NF";
        AppendMetaStatus(o, code, false, 0);
      },
      out);
}

void TextSession::MetaArithmetic(const TextRequest& request, OutputBuffer& out) {
  PrepareMeta(request);
  const MetaFlags& flags = request.meta;
  meta_increment_ = !(flags.mode == 'D' || flags.mode == '-');
  meta_ttl_ = flags.ttl;
  meta_vivify_ttl_ = flags.vivify_ttl;
  struct Options {
    bool increment, vivify, touch;
    uint64_t delta, initial, expected_cas;
    int64_t ttl, create_ttl;
  };
  // memcached applies T and N in line order to a created item: the last one wins.
  int64_t create_ttl = 0;
  for (size_t i = 0; i < flags.count; ++i) {
    if (flags.token[i][0] == 'T') create_ttl = flags.ttl;
    if (flags.token[i][0] == 'N') create_ttl = flags.vivify_ttl;
  }
  const Options options{meta_increment_, flags.vivify, flags.has_ttl, flags.delta, flags.initial,
                        flags.has_cas ? flags.compare_cas : 0, flags.ttl, create_ttl};
  RunOnKey(
      meta_key_,
      [options](Cache& cache, std::string_view key) -> MetaArithmeticOutcome {
        MetaArithmeticOutcome outcome{
            cache.Arithmetic(key, options.increment, options.delta, options.expected_cas), false};
        if (outcome.result.ok()) {
          if (options.touch) cache.Touch(key, options.ttl).IgnoreError();
          return outcome;
        }
        if (outcome.result.code() != StatusCode::kNotFound || !options.vivify) return outcome;
        char digits[20];
        const size_t length = FormatDecimal(options.initial, digits);
        WriteOptions write;
        write.exptime = options.create_ttl;
        Result<uint64_t> added = cache.Add(key, std::string_view(digits, length), write);
        if (!added.ok()) {
          outcome.result = added.status();
          return outcome;
        }
        outcome.result = Cache::ArithmeticResult{options.initial, added.value(), -1};
        outcome.created = true;
        return outcome;
      },
      [this](MetaArithmeticOutcome outcome, OutputBuffer& o) { ReplyMetaArithmetic(outcome, o); },
      out);
}

int64_t TextSession::SecondsToLiveFor(int64_t exptime) const {
  if (exptime == 0) return -1;
  if (exptime < 0) return 0;  // expires at once
  if (exptime <= kMaxRelativeExptime) return exptime;
  const int64_t left = exptime - static_cast<int64_t>(std::time(nullptr));
  return left > 0 ? left : 0;
}

void TextSession::ReplyMetaArithmetic(const MetaArithmeticOutcome& outcome, OutputBuffer& out) {
  const Result<Cache::ArithmeticResult>& result = outcome.result;
  std::string_view code;
  switch (result.code()) {
    case StatusCode::kOk:
      if (!outcome.created) (meta_increment_ ? stats_->incr_hits : stats_->decr_hits).Add();
      break;
    case StatusCode::kNotFound:
      (meta_increment_ ? stats_->incr_misses : stats_->decr_misses).Add();
      code = "NF";
      break;
    case StatusCode::kNotStored:
      code = "NS";
      break;
    case StatusCode::kExists:
      code = "EX";
      break;
    case StatusCode::kNonNumeric:
      out.Append(protocol::reply::kNonNumeric);
      return;
    default:
      out.Append(protocol::reply::kNoMemory);
      return;
  }
  if (meta_opaque_too_long_) {  // refused only now, after the change, as memcached
    out.Append(kOpaqueTooLong);
    return;
  }
  if (!code.empty()) {
    AppendMetaStatus(out, code, false, 0);
    return;
  }
  // As memcached: q hides the answer for an existing item, not for one N just created.
  if (meta_quiet_ && !outcome.created) return;
  char digits[20];
  const size_t length = FormatDecimal(result->value, digits);
  char* const start = out.Reserve(kMaxMetaLine + length + 2);
  char* p = meta_value_ ? PutNumber(Put(start, "VA "), length) : Put(start, "HD");
  // 't' shows the expiry as the line has set it so far: T (and N for a created item)
  // change it where they stand, as in memcached.
  int64_t ttl = result->ttl;
  ForEachToken(meta_tokens_, [&](std::string_view token) {
    switch (token[0]) {
      case 'c':
        p = PutNumber(PutFlag(p, 'c'), result->cas);
        break;
      case 't':
        p = PutTtl(PutFlag(p, 't'), ttl);
        break;
      case 'T':
        ttl = SecondsToLiveFor(meta_ttl_);
        break;
      case 'N':
        if (outcome.created) ttl = SecondsToLiveFor(meta_vivify_ttl_);
        break;
      case 'O':
      case 'k':
        p = PutMetaEchoToken(p, token);
        break;
      default:
        break;
    }
  });
  if (meta_value_) p = Put(Put(p, "\r\n"), std::string_view(digits, length));
  p = Put(p, "\r\n");
  out.Commit(static_cast<size_t>(p - start));
}

void TextSession::MetaDebug(const TextRequest& request, OutputBuffer& out) {
  PrepareMeta(request);
  Cache::MetaGetOptions peek;
  peek.bump = false;
  RunOnKey(
      meta_key_, [peek](Cache& cache, std::string_view key) { return cache.MetaGet(key, peek); },
      [this](Result<Cache::MetaGetResult> found, OutputBuffer& o) {
        if (!found.ok()) {
          o.Append("EN\r\n");
          return;
        }
        const ItemHandle& item = found->item;
        const int64_t ttl = cache_.SecondsToLive(item);
        char* const start = o.Reserve(kMaxMetaLine + 160);
        char* p = Put(start, "ME ");
        if (meta_key_binary_) {
          p += protocol::Base64Encode(meta_key_, p);
        } else {
          p = Put(p, meta_key_);
        }
        // memcached prints its expiry minus now: the remaining seconds, negated.
        p = Put(p, " exp=");
        if (ttl <= 0) {
          p = Put(p, ttl < 0 ? "-1" : "0");
        } else {
          p = PutNumber(Put(p, "-"), static_cast<uint64_t>(ttl));
        }
        p = PutNumber(Put(p, " la="), static_cast<uint64_t>(found->idle_seconds));
        p = PutNumber(Put(p, " cas="), item.cas());
        p = Put(p, found->fetched_before ? " fetch=yes" : " fetch=no");
        const size_t total = ram::MemcachedItemSize(meta_key_.size(), item.value().size(), item.flags());
        p = PutNumber(Put(p, " cls="), ram::MemcachedSlabClass(total));
        p = PutNumber(Put(p, " size="), total);
        p = Put(p, "\r\n");
        o.Commit(static_cast<size_t>(p - start));
      },
      out);
}

}  // namespace ratmemcache::server
