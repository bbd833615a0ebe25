// Uses the installed library with the persistent tier on: stores a value, shuts the cache
// down, opens it again on the same folder and reads the value back from L2. Exits 0 only
// if it does. Usage: consumer <empty-or-missing-folder>

#include <cstdio>
#include <memory>
#include <string>

#include <ratmemcache/cache.h>

namespace {

using namespace ratmemcache;

Result<std::unique_ptr<Cache>> Open(const std::string& dir) {
  L2Options l2;
  l2.enable_l2_cache = true;
  l2.data_dir = dir;
  l2.write_buffer_size = 1 << 20;
  l2.block_cache_size = 1 << 20;
  return CacheBuilder().l1(L1Options{.max_memory = 4 << 20}).l2(l2).Build();
}

int Fail(const char* what, const Status& status) {
  std::fprintf(stderr, "consumer: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer <data-folder>\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string value = "stored through the installed ratmemcache package";
  {
    Result<std::unique_ptr<Cache>> cache = Open(dir);
    if (!cache.ok()) return Fail("build", cache.status());
    if (!(*cache)->Stats().l2_enabled) return Fail("L2", Status::Internal("not enabled"));
    Result<uint64_t> set = (*cache)->Set("installed", value, WriteOptions{.flags = 42});
    if (!set.ok()) return Fail("set", set.status());
    Status stopped = (*cache)->Shutdown();
    if (!stopped.ok()) return Fail("shutdown", stopped);
  }
  Result<std::unique_ptr<Cache>> cache = Open(dir);
  if (!cache.ok()) return Fail("reopen", cache.status());
  Result<ItemHandle> got = (*cache)->Get("installed");
  if (!got.ok()) return Fail("get after reopening", got.status());
  if (got->value() != value || got->flags() != 42) {
    return Fail("get after reopening", Status::Internal("wrong value or flags"));
  }
  if ((*cache)->Stats().l2_hits != 1) return Fail("get", Status::Internal("not served by L2"));
  got->Reset();
  Status stopped = (*cache)->Shutdown();
  if (!stopped.ok()) return Fail("shutdown", stopped);
  std::printf("consumer: value read back from L2 after a restart\n");
  return 0;
}
