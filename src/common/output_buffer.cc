#include "common/output_buffer.h"

#include <algorithm>
#include <cstdlib>

namespace ratmemcache {
namespace {
constexpr size_t kNoEntry = static_cast<size_t>(-1);
}  // namespace

BlockPool::~BlockPool() {
  for (char* block : free_) std::free(block);
}

char* BlockPool::Take() {
  if (!free_.empty()) {
    char* block = free_.back();
    free_.pop_back();
    return block;
  }
  char* block = static_cast<char*>(std::malloc(kBlockSize));
  if (block == nullptr) std::abort();
  return block;
}

void BlockPool::Give(char* block) {
  if (free_.size() < max_cached_) {
    free_.push_back(block);
  } else {
    std::free(block);
  }
}

char* OutputBuffer::Reserve(size_t n) {
  if (tail_block_ == nullptr || BlockPool::kBlockSize - tail_used_ < n) {
    if (tail_block_ != nullptr) {
      // Retire the tail block: the last unsent entry copied into it returns it once sent.
      if (tail_last_entry_ != kNoEntry && tail_last_entry_ >= head_) {
        entries_[tail_last_entry_].block = tail_block_;
      } else {
        pool_->Give(tail_block_);
      }
    }
    tail_block_ = pool_->Take();
    tail_used_ = 0;
    tail_last_entry_ = kNoEntry;
  }
  return tail_block_ + tail_used_;
}

void OutputBuffer::Commit(size_t n) {
  if (n == 0) return;
  const char* start = tail_block_ + tail_used_;
  if (tail_last_entry_ != kNoEntry && tail_last_entry_ == entries_.size() - 1 &&
      entries_.back().segment.data + entries_.back().segment.size == start) {
    entries_.back().segment.size += n;
  } else {
    entries_.push_back(Entry{{start, n}, Pin{}, nullptr});
    tail_last_entry_ = entries_.size() - 1;
  }
  tail_used_ += n;
  pending_ += n;
}

void OutputBuffer::Append(std::string_view bytes) {
  while (!bytes.empty()) {
    const size_t room = tail_block_ == nullptr ? 0 : BlockPool::kBlockSize - tail_used_;
    const size_t n = std::min(bytes.size(), room == 0 ? BlockPool::kBlockSize : room);
    char* out = Reserve(n);
    std::memcpy(out, bytes.data(), n);
    Commit(n);
    bytes.remove_prefix(n);
  }
}

void OutputBuffer::AppendReference(const char* data, size_t size, Pin pin) {
  entries_.push_back(Entry{{data, size}, pin, nullptr});
  pending_ += size;
}

size_t OutputBuffer::Front(OutputSegment* segments, size_t max) const {
  size_t count = 0;
  for (size_t i = head_; i < entries_.size() && count < max; ++i) {
    OutputSegment segment = entries_[i].segment;
    if (i == head_) {
      segment.data += head_offset_;
      segment.size -= head_offset_;
    }
    if (segment.size != 0) segments[count++] = segment;
  }
  return count;
}

void OutputBuffer::ReleaseEntry(Entry& entry) {
  if (entry.pin.release != nullptr) entry.pin.release(entry.pin.object);
  if (entry.block != nullptr) pool_->Give(entry.block);
  entry.pin = Pin{};
  entry.block = nullptr;
}

void OutputBuffer::Consume(size_t n) {
  pending_ -= n;
  while (head_ < entries_.size()) {
    Entry& entry = entries_[head_];
    const size_t remaining = entry.segment.size - head_offset_;
    if (n < remaining) {
      head_offset_ += n;
      return;
    }
    n -= remaining;
    ReleaseEntry(entry);
    ++head_;
    head_offset_ = 0;
    if (n == 0 && head_ < entries_.size() && entries_[head_].segment.size != 0) return;
  }
  // Everything sent: start over, and hold no block while idle.
  Clear();
}

void OutputBuffer::Clear() {
  for (size_t i = head_; i < entries_.size(); ++i) ReleaseEntry(entries_[i]);
  entries_.clear();
  head_ = 0;
  head_offset_ = 0;
  pending_ = 0;
  if (tail_block_ != nullptr) {
    pool_->Give(tail_block_);
    tail_block_ = nullptr;
  }
  tail_used_ = 0;
  tail_last_entry_ = kNoEntry;
}

}  // namespace ratmemcache
