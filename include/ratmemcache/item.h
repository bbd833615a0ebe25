#pragma once

// ItemHandle and WritableItem: references to items inside the cache.
//
// An ItemHandle keeps the bytes of one item alive and unchanged for as long as it exists,
// even if the item is meanwhile replaced, deleted or evicted: readers never copy values out
// of the cache and never see them change under them. Handles are move-only; dropping one
// releases the reference. A handle may be moved to, read on and destroyed on any thread.
//
// A WritableItem is an item that has been allocated but is not yet visible to anyone: its
// owner fills the value bytes and then hands it to Cache::Store(), which makes it visible
// atomically. This lets the server read a value from a socket straight into cache memory.

#include <cstdint>
#include <span>
#include <string_view>

namespace ratmemcache {

namespace ram {
struct Item;
}  // namespace ram

class ItemHandle {
 public:
  // An empty handle.
  ItemHandle() = default;
  // Takes over one reference to `item` (which may be null).
  explicit ItemHandle(ram::Item* item) : item_(item) {}
  ItemHandle(ItemHandle&& other) noexcept : item_(other.item_) { other.item_ = nullptr; }
  ItemHandle& operator=(ItemHandle&& other) noexcept;
  ItemHandle(const ItemHandle&) = delete;
  ItemHandle& operator=(const ItemHandle&) = delete;
  ~ItemHandle() { Reset(); }

  explicit operator bool() const { return item_ != nullptr; }

  // REQUIRES for the accessors below: the handle is not empty.
  std::string_view key() const;
  std::string_view value() const;
  // The 32-bit client flags stored with the item.
  uint32_t flags() const;
  // The item's CAS unique: changes on every modification of the item.
  uint64_t cas() const;
  // Clock time at which the item expires (see ExpiryClock), 0 for never.
  uint32_t expires_at() const;

  // Drops the reference now; the handle becomes empty.
  void Reset();
  // Gives up ownership of the reference without dropping it; the caller must eventually
  // pass the pointer to ItemHandle(ram::Item*) or ram::ReleaseItem().
  ram::Item* Release() {
    ram::Item* item = item_;
    item_ = nullptr;
    return item;
  }
  ram::Item* get() const { return item_; }

 private:
  ram::Item* item_ = nullptr;
};

class WritableItem {
 public:
  WritableItem() = default;
  // Takes over the only reference to the unpublished `item`.
  explicit WritableItem(ram::Item* item) : handle_(item) {}
  WritableItem(WritableItem&&) noexcept = default;
  WritableItem& operator=(WritableItem&&) noexcept = default;

  explicit operator bool() const { return static_cast<bool>(handle_); }
  std::string_view key() const { return handle_.key(); }
  // The value bytes to fill; their count was fixed when the item was allocated.
  std::span<char> value_buffer();
  ram::Item* get() const { return handle_.get(); }
  ram::Item* Release() { return handle_.Release(); }

 private:
  ItemHandle handle_;
};

}  // namespace ratmemcache
