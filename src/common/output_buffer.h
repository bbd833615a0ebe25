#pragma once

// OutputBuffer: the bytes a connection still has to send, as a queue of segments ready for
// one gathered write. Small pieces (reply lines, short values) are copied into 16 KiB
// blocks; large values are referenced where they already are, with a Pin that keeps them
// alive until they have been sent. Drained blocks go back to a BlockPool, so steady-state
// traffic allocates nothing and an idle connection holds no blocks.
//
// Not thread-safe: owned by one connection, used by its worker thread only. The BlockPool
// is shared by the connections of one worker thread.

#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace ratmemcache {

// Keeps referenced bytes alive; `release(object)` runs once they are no longer needed.
struct Pin {
  void (*release)(void* object) = nullptr;
  void* object = nullptr;
};

// A recycling store of fixed-size blocks.
class BlockPool {
 public:
  static constexpr size_t kBlockSize = 16 * 1024;
  // `max_cached`: how many free blocks to keep for reuse.
  explicit BlockPool(size_t max_cached = 256) : max_cached_(max_cached) {}
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  char* Take();
  void Give(char* block);

 private:
  std::vector<char*> free_;
  size_t max_cached_;
};

// One contiguous run of bytes to send.
struct OutputSegment {
  const char* data;
  size_t size;
};

class OutputBuffer {
 public:
  explicit OutputBuffer(BlockPool* pool) : pool_(pool) {}
  ~OutputBuffer() { Clear(); }
  OutputBuffer(const OutputBuffer&) = delete;
  OutputBuffer& operator=(const OutputBuffer&) = delete;

  // Copies `bytes` to the end of the queue.
  void Append(std::string_view bytes);
  // Returns room for at least `n` contiguous bytes (n <= BlockPool::kBlockSize) at the end;
  // follow with Commit(k) for the k <= n bytes written.
  char* Reserve(size_t n);
  void Commit(size_t n);
  // Queues `size` bytes at `data` without copying; `pin.release` runs after they are sent
  // or dropped.
  void AppendReference(const char* data, size_t size, Pin pin);

  // Bytes not yet sent.
  size_t pending_bytes() const { return pending_; }
  bool empty() const { return pending_ == 0; }

  // Writes the first (up to `max`) segments still to send, in order, to `segments` and
  // returns how many. They stay valid until the next mutating call.
  size_t Front(OutputSegment* segments, size_t max) const;
  // Marks the first `n` bytes as sent, releasing what they used.
  void Consume(size_t n);
  // Drops everything unsent.
  void Clear();

 private:
  struct Entry {
    OutputSegment segment;
    Pin pin;          // for referenced bytes
    char* block;      // for copied bytes: the block to give back once the entry is sent
  };
  void ReleaseEntry(Entry& entry);

  BlockPool* pool_;
  std::vector<Entry> entries_;
  size_t head_ = 0;                            // first unsent entry
  size_t head_offset_ = 0;                     // bytes of entries_[head_] already sent
  size_t pending_ = 0;
  char* tail_block_ = nullptr;                 // block receiving copies
  size_t tail_used_ = 0;
  size_t tail_last_entry_ = static_cast<size_t>(-1);  // last entry copied into tail_block_
};

}  // namespace ratmemcache
