#include "server/session_factory.h"

#include "protocol/binary_parser.h"
#include "server/binary_session.h"
#include "server/text_session.h"

namespace ratmemcache::server {
namespace {

// memcached's protocol negotiation: the first byte of a connection picks its protocol
// for good: 0x80 (the binary request magic) the binary one, anything else text.
class NegotiatingSession final : public Session {
 public:
  NegotiatingSession(ServerContext* context, ThreadStats* stats, uint64_t id)
      : context_(context), stats_(stats), id_(id) {}

  size_t OnInput(std::string_view input, OutputBuffer& out) override {
    if (!chosen_) {
      if (input.empty()) return 0;
      if (static_cast<uint8_t>(input.front()) == protocol::binary::kRequestMagic) {
        chosen_ = std::make_unique<BinarySession>(context_, stats_, id_);
      } else {
        chosen_ = std::make_unique<TextSession>(context_, stats_, id_);
      }
      if (wake_) chosen_->SetWaker(std::move(wake_));
    }
    return chosen_->OnInput(input, out);
  }
  bool WantsClose() const override { return chosen_ && chosen_->WantsClose(); }
  InputState input_state() const override {
    return chosen_ ? chosen_->input_state() : InputState::kCommand;
  }
  void SetWaker(std::function<void()> wake) override { wake_ = std::move(wake); }
  bool Busy() const override { return chosen_ && chosen_->Busy(); }
  void Resume(OutputBuffer& out) override {
    if (chosen_) chosen_->Resume(out);
  }
  bool HasMoreOutput() const override { return chosen_ && chosen_->HasMoreOutput(); }
  void ContinueOutput(OutputBuffer& out) override {
    if (chosen_) chosen_->ContinueOutput(out);
  }

 private:
  ServerContext* context_;
  ThreadStats* stats_;
  uint64_t id_;
  std::function<void()> wake_;  // handed to the chosen session
  std::unique_ptr<Session> chosen_;
};

}  // namespace

std::unique_ptr<Session> ServerSessionFactory::NewSession(unsigned worker_index) {
  ThreadStats* stats = &context_->thread_stats(worker_index);
  const uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  switch (context_->settings().protocol) {
    case Protocol::kAscii:
      return std::make_unique<TextSession>(context_, stats, id);
    case Protocol::kBinary:
      return std::make_unique<BinarySession>(context_, stats, id);
    case Protocol::kNegotiate:
      break;
  }
  return std::make_unique<NegotiatingSession>(context_, stats, id);
}

}  // namespace ratmemcache::server
