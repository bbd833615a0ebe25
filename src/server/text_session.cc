#include "server/text_session.h"

#include <optional>

#include <algorithm>
#include <chrono>
#include <charconv>
#include <cstring>
#include <utility>

#include "common/decimal.h"
#include "common/logging.h"
#include "protocol/text_parser.h"
#include "protocol/text_replies.h"
#include "server/stats_report.h"
#include "server/version.h"

namespace ratmemcache::server {

using protocol::ParseResult;
using protocol::ParseStatus;
using protocol::TextCommand;
using protocol::TextRequest;
namespace reply = protocol::reply;

namespace {

// Longest "VALUE <key> <flags> <bytes> <cas>\r\n".
constexpr size_t kMaxValueHeader = 6 + protocol::kMaxKey + 1 + 10 + 1 + 10 + 1 + 20 + 2;

char* PutNumber(char* out, uint64_t value) { return out + FormatDecimal(value, out); }

// Appends one hit: the VALUE line, the value and its "\r\n".
void WriteValue(OutputBuffer& out, std::string_view key, ItemHandle& item, bool with_cas) {
  const std::string_view value = item.value();
  const bool inline_value = value.size() <= TextSession::kInlineValueLimit;
  char* const start = out.Reserve(kMaxValueHeader + (inline_value ? value.size() + 2 : 0));
  char* p = start;
  std::memcpy(p, "VALUE ", 6);
  p += 6;
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  *p++ = ' ';
  p = PutNumber(p, item.flags());
  *p++ = ' ';
  p = PutNumber(p, value.size());
  if (with_cas) {
    *p++ = ' ';
    p = PutNumber(p, item.cas());
  }
  *p++ = '\r';
  *p++ = '\n';
  if (inline_value) {
    std::memcpy(p, value.data(), value.size());
    p += value.size();
    *p++ = '\r';
    *p++ = '\n';
    out.Commit(static_cast<size_t>(p - start));
    return;
  }
  out.Commit(static_cast<size_t>(p - start));
  out.AppendReference(value.data(), value.size(), PinItem(item));
  out.Append("\r\n");
}

StoreMode ModeOf(TextCommand command) {
  switch (command) {
    case TextCommand::kAdd: return StoreMode::kAdd;
    case TextCommand::kReplace: return StoreMode::kReplace;
    case TextCommand::kAppend: return StoreMode::kAppend;
    case TextCommand::kPrepend: return StoreMode::kPrepend;
    case TextCommand::kCas: return StoreMode::kCas;
    default: return StoreMode::kSet;
  }
}

}  // namespace

TextSession::TextSession(ServerContext* context, ThreadStats* stats, uint64_t id)
    : CacheSession(context, stats, id),
      authenticated_(context->settings().auth_file == nullptr) {}

size_t TextSession::OnInput(std::string_view input, OutputBuffer& out) {
  size_t pos = 0;
  while (!close_ && !Busy()) {
    const std::string_view rest = input.substr(pos);
    if (!authenticated_) {
      bool need_more = false;
      pos += ConsumeAuth(rest, &need_more);
      if (authenticated_) {  // logged in: answer, then serve the rest normally
        out.Append(auth_reply_);
        auth_reply_ = {};
      }
      if (need_more || close_) break;
      continue;
    }
    if (state_ == State::kValue) {
      pos += ConsumeValue(rest, out);
      if (state_ == State::kValue) break;
      continue;
    }
    if (state_ == State::kChunk) {
      pos += ConsumeChunk(rest, out);
      if (state_ == State::kChunk) break;
      continue;
    }
    if (HasMoreOutput()) break;  // a streamed reply first
    if (state_ == State::kSwallow) {
      const size_t n = std::min(rest.size(), swallow_remaining_);
      pos += n;
      swallow_remaining_ -= n;
      if (swallow_remaining_ != 0) break;
      state_ = State::kCommand;
      continue;
    }
    if (rest.empty() || out.pending_bytes() >= kOutputHighWater) break;
    TextRequest request;
    const ParseResult result = protocol::ParseTextCommand(rest, &request, scanned_);
    if (result.status == ParseStatus::kNeedMore) {
      scanned_ = rest.size();
      break;
    }
    scanned_ = 0;
    if (context_->verbosity() >= 2) LogCommand(rest.substr(0, result.consumed));
    pos += result.consumed;
    switch (result.status) {
      case ParseStatus::kReply:
        out.Append(result.reply);
        break;
      case ParseStatus::kClose:
        out.Append(result.reply);
        close_ = true;
        break;
      case ParseStatus::kRequest:
        noreply_ = request.noreply;
        Execute(request, out);
        break;
      case ParseStatus::kNeedMore:
        break;
    }
  }
  if (!auth_reply_.empty()) {  // the last answer of this read before logging in
    if (!close_) out.Append(auth_reply_);
    auth_reply_ = {};
  }
  return pos;
}

void TextSession::LogCommand(std::string_view line) const {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.size() > 200) line = line.substr(0, 200);
  Log().debug("<{} {}", id_, line);
}

void TextSession::Execute(const TextRequest& request, OutputBuffer& out) {
  switch (request.command) {
    case TextCommand::kGet:
    case TextCommand::kGets:
    case TextCommand::kGat:
    case TextCommand::kGats:
      Retrieve(request, out);
      return;
    case TextCommand::kSet:
    case TextCommand::kAdd:
    case TextCommand::kReplace:
    case TextCommand::kAppend:
    case TextCommand::kPrepend:
    case TextCommand::kCas:
      context_->prefix_stats().RecordSet(request.key);
      BeginStore(request, out);
      return;
    case TextCommand::kDelete:
      context_->prefix_stats().RecordDelete(request.key);
      RunOnKey(
          request.key, [](Cache& cache, std::string_view key) { return cache.Delete(key); },
          [this](const Status& deleted, OutputBuffer& o) { ReplyDelete(deleted, o); }, out);
      return;
    case TextCommand::kIncr:
    case TextCommand::kDecr:
      Arithmetic(request, out);
      return;
    case TextCommand::kTouch:
      RunOnKey(
          request.key,
          [exptime = request.exptime](Cache& cache, std::string_view key) {
            return cache.Touch(key, exptime);
          },
          [this](const Status& touched, OutputBuffer& o) { ReplyTouch(touched, o); }, out);
      return;
    case TextCommand::kFlushAll:
      stats_->cmd_flush.Add();
      if (!context_->settings().flush_enabled) {  // -F; counted all the same, as memcached
        Reply(out, reply::kFlushNotAllowed);
        return;
      }
      if (request.invalid_argument) {
        Reply(out, reply::kInvalidExptime);
        return;
      }
      cache_.Flush(std::max<int64_t>(request.exptime, 0)).IgnoreError();
      Reply(out, reply::kOk);
      return;
    case TextCommand::kVersion: {
      std::string line = "VERSION ";
      line += kCompatibleVersion;
      line += "\r\n";
      out.Append(line);
      return;
    }
    case TextCommand::kVerbosity:
      context_->set_verbosity(std::min<uint32_t>(request.number, 2));
      Reply(out, reply::kOk);
      return;
    case TextCommand::kQuit:
      close_ = true;
      return;
    case TextCommand::kShutdown:
      Shutdown(request, out);
      return;
    case TextCommand::kRefreshCerts: {
      // memcached's wording: "OK", or the reason on one line (noreply hides only OK).
      const Status refreshed = context_->RefreshCerts();
      if (refreshed.ok()) {
        Reply(out, reply::kOk);
      } else {
        out.Append(refreshed.message());
        out.Append("\r\n");
      }
      return;
    }
    case TextCommand::kStats:
      Stats(request, out);
      return;
    case TextCommand::kCacheMemlimit:
      CacheMemlimit(request, out);
      return;
    case TextCommand::kMetaGet:
      MetaGet(request, out);
      return;
    case TextCommand::kMetaSet:
      BeginMetaSet(request, out);
      return;
    case TextCommand::kMetaDelete:
      MetaDelete(request, out);
      return;
    case TextCommand::kMetaArithmetic:
      MetaArithmetic(request, out);
      return;
    case TextCommand::kMetaNoop:  // answered by the parser
      return;
    case TextCommand::kMetaDebug:
      MetaDebug(request, out);
      return;
    case TextCommand::kStreamGet:
      StreamGet(request, out);
      return;
    case TextCommand::kSetBegin:
      SetBegin(request, out);
      return;
    case TextCommand::kSetData:
      SetData(request, out);
      return;
    case TextCommand::kSetEnd:
      SetEnd(request, out);
      return;
  }
}

void TextSession::ReplyGetItem(std::string_view key, Result<ItemHandle> item, bool with_cas,
                               bool touch, OutputBuffer& out) {
  context_->prefix_stats().RecordGet(key, item.ok());
  CountRetrieval(touch, item.ok());
  if (item.ok()) WriteValue(out, key, item.value(), with_cas);
}

void TextSession::Retrieve(const TextRequest& request, OutputBuffer& out) {
  const bool touch = request.command == TextCommand::kGat || request.command == TextCommand::kGats;
  const bool with_cas =
      request.command == TextCommand::kGets || request.command == TextCommand::kGats;
  protocol::KeyList keys = request.keys;
  std::string_view key;
  if (context_->blocking_reads() != nullptr && wake_) {
    if (!touch) {
      RetrieveWithoutBlocking(request, out);
      return;
    }
    // gat/gats: handed off whole when some key is not in RAM.
    bool in_memory = true;
    while (in_memory && keys.Next(&key)) in_memory = cache_.ContainsInMemory(key);
    if (!in_memory && context_->OffloadL2Reads()) {
      auto pending = std::make_shared<PendingGet>();
      pending->with_cas = with_cas;
      pending->touch = true;
      pending->exptime = request.exptime;
      keys = request.keys;
      while (keys.Next(&key)) {
        pending->keys.emplace_back(key);
        pending->items.emplace_back(Status(StatusCode::kWouldBlock));
      }
      OffloadGet(std::move(pending));
      return;
    }
    keys = request.keys;
  }
  while (keys.Next(&key)) {
    ReplyGetItem(key, touch ? cache_.GetAndTouch(key, request.exptime) : cache_.Get(key),
                 with_cas, touch, out);
  }
  out.Append(reply::kEnd);
}

void TextSession::RetrieveWithoutBlocking(const TextRequest& request, OutputBuffer& out) {
  const bool with_cas = request.command == TextCommand::kGets;
  // What needs no disk read first: when that answers every key (the common case), reply
  // now, allocating nothing.
  found_.clear();
  protocol::KeyList keys = request.keys;
  std::string_view key;
  bool blocked = false;
  // Read here, RAM and RocksDB's memory need not be asked twice: only RAM first.
  const bool offload = context_->OffloadL2Reads();
  while (keys.Next(&key)) {
    found_.push_back(cache_.GetIfInMemory(key, offload));
    blocked |= found_.back().code() == StatusCode::kWouldBlock;
  }
  if (blocked && !offload) {
    // L2 reads are fast lately (the page cache, fast storage): read here.
    keys = request.keys;
    for (size_t i = 0; keys.Next(&key); ++i) {
      if (found_[i].code() != StatusCode::kWouldBlock) continue;
      const auto start = std::chrono::steady_clock::now();
      found_[i] = cache_.Get(key);
      context_->RecordL2Read(std::chrono::steady_clock::now() - start);
    }
    blocked = false;
  }
  if (!blocked) {
    keys = request.keys;
    for (size_t i = 0; keys.Next(&key); ++i) {
      ReplyGetItem(key, std::move(found_[i]), with_cas, false, out);
    }
    found_.clear();
    out.Append(reply::kEnd);
    return;
  }
  // The rest is read from L2 on a blocking-read thread.
  auto pending = std::make_shared<PendingGet>();
  pending->with_cas = with_cas;
  keys = request.keys;
  for (size_t i = 0; keys.Next(&key); ++i) {
    pending->keys.emplace_back(key);
    pending->items.push_back(std::move(found_[i]));
  }
  found_.clear();
  OffloadGet(std::move(pending));
}

void TextSession::OffloadGet(std::shared_ptr<PendingGet> pending) {
  on_resume_ = [this, pending](OutputBuffer& out) { ReplyPendingGet(*pending, out); };
  context_->blocking_reads()->Submit([pending, cache = &cache_, context = context_, wake = wake_] {
    for (size_t i = 0; i < pending->keys.size(); ++i) {
      if (pending->items[i].code() != StatusCode::kWouldBlock) continue;
      const auto start = std::chrono::steady_clock::now();
      pending->items[i] = pending->touch ? cache->GetAndTouch(pending->keys[i], pending->exptime)
                                         : cache->Get(pending->keys[i]);
      context->RecordL2Read(std::chrono::steady_clock::now() - start);
    }
    wake();
  });
}

void TextSession::ReplyPendingGet(PendingGet& pending, OutputBuffer& out) {
  for (size_t i = 0; i < pending.keys.size(); ++i) {
    ReplyGetItem(pending.keys[i], std::move(pending.items[i]), pending.with_cas, pending.touch, out);
  }
  out.Append(reply::kEnd);
}

void TextSession::ReplyDelete(const Status& deleted, OutputBuffer& out) {
  (deleted.ok() ? stats_->delete_hits : stats_->delete_misses).Add();
  Reply(out, deleted.ok() ? reply::kDeleted : reply::kNotFound);
}

void TextSession::ReplyTouch(const Status& touched, OutputBuffer& out) {
  stats_->cmd_touch.Add();
  (touched.ok() ? stats_->touch_hits : stats_->touch_misses).Add();
  Reply(out, touched.ok() ? reply::kTouched : reply::kNotFound);
}

void TextSession::BeginStore(const TextRequest& request, OutputBuffer& out) {
  Result<WritableItem> item =
      cache_.Allocate(request.key, request.value_length, WriteOptions{request.flags, request.exptime});
  if (!item.ok()) {
    if (item.code() == StatusCode::kTooLarge) {
      stats_->store_too_large.Add();
      Reply(out, reply::kTooLarge);
    } else {
      stats_->store_no_memory.Add();
      Reply(out, reply::kNoMemoryStoring);
    }
    // A failed set must not leave the old value readable, as in memcached.
    if (request.command == TextCommand::kSet) cache_.Delete(request.key).IgnoreError();
    state_ = State::kSwallow;
    swallow_remaining_ = size_t{request.value_length} + 2;
    return;
  }
  item_ = std::move(item).value();
  store_command_ = request.command;
  store_cas_ = request.cas;
  value_filled_ = 0;
  terminator_seen_ = 0;
  state_ = State::kValue;
}

size_t TextSession::ConsumeValue(std::string_view input, OutputBuffer& out) {
  std::span<char> buffer = item_.value_buffer();
  const size_t n = std::min(input.size(), buffer.size() - value_filled_);
  if (n != 0) std::memcpy(buffer.data() + value_filled_, input.data(), n);
  value_filled_ += n;
  size_t pos = n;
  while (terminator_seen_ < 2 && pos < input.size()) terminator_[terminator_seen_++] = input[pos++];
  if (terminator_seen_ == 2) FinishStore(out);
  return pos;
}

void TextSession::FinishStore(OutputBuffer& out) {
  state_ = State::kCommand;
  stats_->cmd_set.Add();
  const bool meta = meta_set_;
  meta_set_ = false;
  if (terminator_[0] != '\r' || terminator_[1] != '\n') {
    item_ = WritableItem();
    Reply(out, reply::kBadDataChunk);
    return;
  }
  const bool is_cas = store_command_ == TextCommand::kCas;
  const StoreMode mode = meta && meta_set_stale_ok_ && is_cas ? StoreMode::kCasOrStale
                                                              : ModeOf(store_command_);
  if (mode == StoreMode::kSet) {  // never reads L2
    const Result<uint64_t> stored = cache_.Store(mode, std::move(item_), store_cas_);
    meta ? ReplyMetaSet(stored, out) : ReplyStore(stored, is_cas, out);
    return;
  }
  auto item = std::make_shared<WritableItem>(std::move(item_));
  const std::string_view key = item->key();
  RunOnKey(
      key,
      [item, mode, expected = store_cas_](Cache& cache, std::string_view) {
        return cache.Store(mode, std::move(*item), expected);
      },
      [this, is_cas, meta](const Result<uint64_t>& stored, OutputBuffer& o) {
        meta ? ReplyMetaSet(stored, o) : ReplyStore(stored, is_cas, o);
      },
      out);
}

void TextSession::ReplyStore(const Result<uint64_t>& stored, bool is_cas, OutputBuffer& out) {
  switch (stored.code()) {
    case StatusCode::kOk:
      if (is_cas) stats_->cas_hits.Add();
      Reply(out, reply::kStored);
      return;
    case StatusCode::kNotStored:
      Reply(out, reply::kNotStored);
      return;
    case StatusCode::kExists:
      stats_->cas_badval.Add();
      Reply(out, reply::kExists);
      return;
    case StatusCode::kNotFound:
      stats_->cas_misses.Add();
      Reply(out, reply::kNotFound);
      return;
    case StatusCode::kTooLarge:
      stats_->store_too_large.Add();
      Reply(out, reply::kTooLarge);
      return;
    default:
      stats_->store_no_memory.Add();
      Reply(out, reply::kNoMemoryStoring);
      return;
  }
}

void TextSession::Arithmetic(const TextRequest& request, OutputBuffer& out) {
  const bool increment = request.command == TextCommand::kIncr;
  RunOnKey(
      request.key,
      [increment, delta = request.delta](Cache& cache, std::string_view key) {
        return increment ? cache.Increment(key, delta) : cache.Decrement(key, delta);
      },
      [this, increment](const Result<uint64_t>& result, OutputBuffer& o) {
        ReplyArithmetic(increment, result, o);
      },
      out);
}

void TextSession::ReplyArithmetic(bool increment, const Result<uint64_t>& result,
                                  OutputBuffer& out) {
  switch (result.code()) {
    case StatusCode::kOk: {
      (increment ? stats_->incr_hits : stats_->decr_hits).Add();
      if (noreply_) return;
      char* start = out.Reserve(22);
      char* p = PutNumber(start, result.value());
      *p++ = '\r';
      *p++ = '\n';
      out.Commit(static_cast<size_t>(p - start));
      return;
    }
    case StatusCode::kNotFound:
      (increment ? stats_->incr_misses : stats_->decr_misses).Add();
      Reply(out, reply::kNotFound);
      return;
    case StatusCode::kNonNumeric:
      Reply(out, reply::kNonNumeric);
      return;
    default:
      Reply(out, reply::kNoMemory);
      return;
  }
}

void TextSession::Stats(const TextRequest& request, OutputBuffer& out) {
  protocol::KeyList words = request.keys;
  std::string_view sub;
  TextStatsSink text_sink(out);
  if (!words.Next(&sub)) {
    WriteGeneralStats(*context_, text_sink);
    return;
  }
  if (sub == "detail") {
    std::string_view mode;
    words.Next(&mode);
    if (mode == "on" || mode == "off") {
      context_->prefix_stats().set_enabled(mode == "on");
      out.Append(reply::kOk);
    } else if (mode == "dump") {
      out.Append(context_->prefix_stats().Dump());
    } else {
      out.Append(reply::kDetailUsage);
    }
    return;
  }
  // The groups that are a list of statistics.
  static constexpr std::pair<std::string_view, void (*)(ServerContext&, StatsSink&)> kGroups[] = {
      {"tiers", WriteTiersStats}, {"conns", WriteConnsStats},     {"items", WriteItemsStats},
      {"slabs", WriteSlabsStats}, {"settings", WriteSettingsStats},
  };
  for (const auto& [name, write] : kGroups) {
    if (sub == name) {
      write(*context_, text_sink);
      return;
    }
  }
  if (sub == "sizes") {
    // memcached without -o track_sizes (its default) says the same.
    out.Append(reply::kSizesDisabled);
    return;
  }
  if (sub == "cachedump") {
    CacheDump(words, out);
    return;
  }
  if (sub == "reset") {
    context_->ResetStats();
    out.Append(reply::kReset);
  } else {
    out.Append(reply::kError);
  }
}

void TextSession::CacheDump(protocol::KeyList args, OutputBuffer& out) {
  if (!context_->settings().dump_enabled) {
    out.Append(reply::kCachedumpNotAllowed);
    return;
  }
  std::string_view id_text;
  std::string_view limit_text;
  if (!args.Next(&id_text) || !args.Next(&limit_text)) {
    out.Append(reply::kBadCommandLine);
    return;
  }
  uint32_t id = 0;
  uint32_t limit = 0;
  if (!SafeStrtoul(id_text, &id) || !SafeStrtoul(limit_text, &limit)) {
    out.Append(reply::kBadFormat);
    return;
  }
  if (id >= 64) {  // memcached's MAX_NUMBER_OF_SLAB_CLASSES
    out.Append(reply::kIllegalSlabId);
    return;
  }
  // As memcached: "ITEM <key> [<bytes> b; <expiry unix time> s]" lines, at most 2 MiB.
  constexpr size_t kMaxReply = 2 << 20;
  constexpr size_t kLineOverhead = 5 + 3 + 20 + 5 + 20 + 4;
  std::string reply;
  for (const Cache::DumpedItem& item : cache_.DumpSlabClass(id, limit, kMaxReply / 2)) {
    if (reply.size() + item.key.size() + kLineOverhead + 6 > kMaxReply) break;
    reply += "ITEM ";
    reply += item.key;
    reply += " [";
    reply += std::to_string(item.value_bytes);
    reply += " b; ";
    reply += std::to_string(item.expires_unix);
    reply += " s]\r\n";
  }
  reply += "END\r\n";
  out.Append(reply);
}

void TextSession::CacheMemlimit(const TextRequest& request, OutputBuffer& out) {
  if (request.number < 8) {
    Reply(out, reply::kMemlimitTooSmall);
  } else if (request.number > 1000000000) {
    Reply(out, reply::kMemlimitNotMegabytes);
  } else if (cache_.SetMemoryLimit(uint64_t{request.number} << 20).ok()) {
    Reply(out, reply::kOk);
  } else {
    Reply(out, reply::kMemlimitFailed);
  }
}

void TextSession::Shutdown(const TextRequest& request, OutputBuffer& out) {
  if (!context_->settings().enable_shutdown) {
    out.Append(reply::kShutdownDisabled);
    return;
  }
  if (request.invalid_argument) {
    out.Append(reply::kInvalidShutdownMode);
    return;
  }
  close_ = true;
  context_->RequestShutdown(request.graceful ? ShutdownMode::kGraceful : ShutdownMode::kImmediate);
}

}  // namespace ratmemcache::server
