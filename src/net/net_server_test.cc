// The network layer on its own, with toy sessions: proves that it moves bytes without
// knowing any protocol (the boundary the server layer plugs into).

#include "net/net_server.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace ratmemcache::net {
namespace {

// Released by a test to let "slow" requests finish.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void Wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return open; });
  }
  void Open() {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

// Echoes every complete "\n"-terminated line; "close\n" closes; "big N\n" answers N bytes;
// "slow\n" is finished on another thread once the gate opens (Busy() meanwhile).
class LineSession final : public Session {
 public:
  explicit LineSession(Gate* gate) : gate_(gate) {}
  ~LineSession() override {
    if (helper_.joinable()) helper_.join();
  }
  void SetWaker(std::function<void()> wake) override { wake_ = std::move(wake); }
  bool Busy() const override { return busy_; }
  void Resume(OutputBuffer& out) override {
    busy_ = false;
    out.Append("slow done\n");
  }
  size_t OnInput(std::string_view input, OutputBuffer& out) override {
    size_t pos = 0;
    while (!close_ && !busy_ && out.pending_bytes() < (1 << 20)) {
      const size_t newline = input.find('\n', pos);
      if (newline == std::string_view::npos) break;
      const std::string_view line = input.substr(pos, newline + 1 - pos);
      pos = newline + 1;
      if (line == "close\n") {
        close_ = true;
      } else if (line == "slow\n") {
        busy_ = true;
        if (helper_.joinable()) helper_.join();
        helper_ = std::thread([gate = gate_, wake = wake_] {
          gate->Wait();
          wake();
        });
      } else if (line.starts_with("big ")) {
        out.Append(std::string(std::stoul(std::string(line.substr(4))), 'b'));
      } else {
        out.Append(line);
      }
    }
    return pos;
  }
  bool WantsClose() const override { return close_; }

 private:
  Gate* gate_;
  bool close_ = false;
  bool busy_ = false;
  std::function<void()> wake_;
  std::thread helper_;
};

class LineFactory final : public SessionFactory {
 public:
  std::unique_ptr<Session> NewSession(unsigned) override { return std::make_unique<LineSession>(&gate); }
  Gate gate;
};

class NetServerTest : public ::testing::Test {
 protected:
  void Start(uint32_t max_connections = 100, uint32_t threads = 2) {
    NetOptions options;
    options.listen = {{"127.0.0.1", 0}};
    options.threads = threads;
    options.max_connections = max_connections;
    server_ = std::make_unique<NetServer>(options, &factory_);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->bound_ports().at(0);
  }
  void TearDown() override {
    factory_.gate.Open();
    if (server_) server_->Stop(100);
  }
  asio::ip::tcp::socket Connect() {
    asio::ip::tcp::socket socket(client_context_);
    socket.connect({asio::ip::make_address("127.0.0.1"), port_});
    return socket;
  }
  static std::string ReadExactly(asio::ip::tcp::socket& socket, size_t n) {
    std::string data(n, '\0');
    asio::read(socket, asio::buffer(data));
    return data;
  }

  LineFactory factory_;
  std::unique_ptr<NetServer> server_;
  uint16_t port_ = 0;
  asio::io_context client_context_;
};

TEST_F(NetServerTest, EchoesLinesSplitAcrossWrites) {
  Start();
  auto socket = Connect();
  const std::string text = "hello\nworld\npipelined\n";
  for (char c : text) asio::write(socket, asio::buffer(&c, 1));
  EXPECT_EQ(ReadExactly(socket, text.size()), text);
  const NetworkStats stats = server_->Stats();
  EXPECT_EQ(stats.curr_connections, 1u);
  EXPECT_EQ(stats.bytes_read, text.size());
}

TEST_F(NetServerTest, BusySessionHoldsUpNoOtherConnection) {
  Start(100, 1);  // one worker: both connections share its event loop
  auto slow = Connect();
  asio::write(slow, asio::buffer(std::string("before\nslow\nafter\n")));
  EXPECT_EQ(ReadExactly(slow, 7), "before\n");
  auto other = Connect();
  for (int i = 0; i < 100; ++i) {
    const std::string line = "ping " + std::to_string(i) + "\n";
    asio::write(other, asio::buffer(line));
    ASSERT_EQ(ReadExactly(other, line.size()), line);
  }
  // The busy connection answers nothing more until its work is done, then in order.
  EXPECT_EQ(slow.available(), 0u);
  factory_.gate.Open();
  EXPECT_EQ(ReadExactly(slow, 16), "slow done\nafter\n");
}

TEST_F(NetServerTest, SessionClosesTheConnection) {
  Start();
  auto socket = Connect();
  asio::write(socket, asio::buffer(std::string("a\nclose\nb\n")));
  EXPECT_EQ(ReadExactly(socket, 2), "a\n");
  asio::error_code ec;
  char byte;
  socket.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(NetServerTest, LargeRepliesToASlowReaderAllArrive) {
  Start();
  auto socket = Connect();
  std::string requests;
  for (int i = 0; i < 20; ++i) requests += "big 1000000\n";
  asio::write(socket, asio::buffer(requests));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the server block
  EXPECT_EQ(ReadExactly(socket, 20 * 1000000), std::string(20 * 1000000, 'b'));
}

TEST_F(NetServerTest, RejectsConnectionsOverTheLimit) {
  Start(1);
  auto first = Connect();
  asio::write(first, asio::buffer(std::string("x\n")));
  EXPECT_EQ(ReadExactly(first, 2), "x\n");
  auto second = Connect();
  std::string reply;
  asio::error_code ec;
  asio::read(second, asio::dynamic_buffer(reply), ec);
  EXPECT_EQ(reply, "ERROR Too many open connections\r\n");
  EXPECT_EQ(server_->Stats().rejected_connections, 1u);
}

TEST_F(NetServerTest, BindErrorNamesTheAddress) {
  Start();
  NetOptions options;
  options.listen = {{"127.0.0.1", port_}};
  NetServer clash(options, &factory_);
  Status status = clash.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("127.0.0.1:" + std::to_string(port_)), std::string::npos);
}

TEST_F(NetServerTest, StopClosesIdleConnections) {
  Start();
  auto socket = Connect();
  asio::write(socket, asio::buffer(std::string("x\n")));
  EXPECT_EQ(ReadExactly(socket, 2), "x\n");
  server_->Stop(1000);
  asio::error_code ec;
  char byte;
  socket.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset);
}

}  // namespace
}  // namespace ratmemcache::net
