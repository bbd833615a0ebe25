#include "ram/item_table.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>

#include "common/hash.h"

namespace ratmemcache::ram {
namespace {

struct Owned {
  Item* item;
  ~Owned() { ReleaseItem(item); }
};

Item* Make(const std::string& key) { return AllocateItem(key, 0, 0, 0); }

TEST(ItemTable, InsertFindEraseAndGrow) {
  ItemTable table(4);
  std::vector<std::unique_ptr<Owned>> items;
  for (int i = 0; i < 1000; ++i) {
    std::string key = "key" + std::to_string(i);
    items.push_back(std::unique_ptr<Owned>(new Owned{Make(key)}));
    table.Insert(items.back()->item, HashKey(key));
  }
  EXPECT_EQ(table.size(), 1000u);
  EXPECT_GE(table.capacity() * 4, table.size() * 5);
  for (int i = 0; i < 1000; ++i) {
    std::string key = "key" + std::to_string(i);
    EXPECT_EQ(table.Find(key, HashKey(key)), items[i]->item);
  }
  EXPECT_EQ(table.Find("missing", HashKey("missing")), nullptr);
  for (int i = 0; i < 1000; i += 2) {
    std::string key = "key" + std::to_string(i);
    table.Erase(items[i]->item, HashKey(key));
  }
  for (int i = 0; i < 1000; ++i) {
    std::string key = "key" + std::to_string(i);
    EXPECT_EQ(table.Find(key, HashKey(key)), i % 2 ? items[i]->item : nullptr) << key;
  }
}

// Random inserts and erases checked against a reference map: backward-shift deletion must
// never make a present key unreachable.
TEST(ItemTable, RandomOperationsMatchReference) {
  ItemTable table;
  std::unordered_map<std::string, Item*> reference;
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    std::string key = "k" + std::to_string(rng() % 500);
    const uint64_t hash = HashKey(key);
    auto it = reference.find(key);
    if (it == reference.end()) {
      Item* item = Make(key);
      table.Insert(item, hash);
      reference[key] = item;
    } else if (rng() % 2) {
      table.Erase(it->second, hash);
      ReleaseItem(it->second);
      reference.erase(it);
    } else {
      Item* fresh = Make(key);
      table.Replace(it->second, fresh, hash);
      ReleaseItem(it->second);
      it->second = fresh;
    }
    if (step % 1000 == 0) {
      for (auto& [k, item] : reference) ASSERT_EQ(table.Find(k, HashKey(k)), item);
    }
  }
  EXPECT_EQ(table.size(), reference.size());
  for (auto& [k, item] : reference) {
    EXPECT_EQ(table.Find(k, HashKey(k)), item);
    ReleaseItem(item);
  }
}

}  // namespace
}  // namespace ratmemcache::ram
