#include "server/cache_session.h"

namespace ratmemcache::server {
namespace {

void ReleaseItemPin(void* item) { ItemHandle released(static_cast<ram::Item*>(item)); }

}  // namespace

Pin PinItem(ItemHandle& item) { return Pin{&ReleaseItemPin, item.Release()}; }

bool CacheSession::MayNeedDisk(std::string_view key) {
  return context_->blocking_reads() != nullptr && wake_ && !cache_.ContainsInMemory(key);
}

void CacheSession::CountRetrieval(bool touch, bool hit) {
  if (touch) {
    stats_->cmd_touch.Add();
    (hit ? stats_->touch_hits : stats_->touch_misses).Add();
  } else {
    stats_->cmd_get.Add();
    (hit ? stats_->get_hits : stats_->get_misses).Add();
  }
}

void CacheSession::Resume(OutputBuffer& out) {
  if (!on_resume_) return;
  const std::function<void(OutputBuffer&)> finish = std::move(on_resume_);
  on_resume_ = nullptr;
  finish(out);
}

}  // namespace ratmemcache::server
