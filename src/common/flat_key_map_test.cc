#include "common/flat_key_map.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <unordered_map>

namespace ratmemcache {
namespace {

TEST(FlatKeyMap, PutFindEraseClear) {
  FlatKeyMap<int> map(4);
  EXPECT_EQ(map.Find("a"), nullptr);
  map.Put("a", 1);
  map.Put("b", 2);
  ASSERT_NE(map.Find("a"), nullptr);
  EXPECT_EQ(*map.Find("a"), 1);
  map.Put("a", 3);
  EXPECT_EQ(*map.Find("a"), 3);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_TRUE(map.Erase("a"));
  EXPECT_FALSE(map.Erase("a"));
  EXPECT_EQ(map.Find("a"), nullptr);
  EXPECT_EQ(*map.Find("b"), 2);
  map.Clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.Find("b"), nullptr);
}

TEST(FlatKeyMap, PutReplacesTheStoredKeyView) {
  std::string first = "key";
  std::string second = "key";
  FlatKeyMap<int> map;
  map.Put(first, 1);
  map.Put(second, 2);
  first = "xyz";  // the map must no longer look at `first`
  ASSERT_NE(map.Find("key"), nullptr);
  EXPECT_EQ(*map.Find("key"), 2);
}

TEST(FlatKeyMap, StopsAllocatingOnceLargeEnough) {
  FlatKeyMap<int> map(16);
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("k" + std::to_string(i));
  for (const std::string& key : keys) map.Put(key, 1);
  const size_t capacity = map.capacity();
  EXPECT_GE(capacity, 2000u);
  for (int round = 0; round < 10; ++round) {
    for (const std::string& key : keys) EXPECT_TRUE(map.Erase(key));
    for (const std::string& key : keys) map.Put(key, round);
  }
  EXPECT_EQ(map.capacity(), capacity);
}

// Random operations on a small key space (long probe runs, wrap-around, many
// backward shifts), checked against std::unordered_map after every step.
TEST(FlatKeyMap, AgreesWithUnorderedMap) {
  std::mt19937 rng(7);
  std::deque<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("key:" + std::to_string(i));
  FlatKeyMap<uint64_t> map(16);
  std::unordered_map<std::string, uint64_t> model;
  for (uint64_t step = 1; step < 200000; ++step) {
    const std::string& key = keys[rng() % keys.size()];
    switch (rng() % 3) {
      case 0:
      case 1:
        map.Put(key, step);
        model[key] = step;
        break;
      default:
        EXPECT_EQ(map.Erase(key), model.erase(key) == 1);
    }
    if (step % 97 == 0) {
      for (const std::string& probe : keys) {
        auto it = model.find(probe);
        const uint64_t* found = map.Find(probe);
        ASSERT_EQ(found != nullptr, it != model.end()) << probe << " at step " << step;
        if (found != nullptr) {
          ASSERT_EQ(*found, it->second);
        }
      }
      ASSERT_EQ(map.size(), model.size());
    }
  }
}

}  // namespace
}  // namespace ratmemcache
