// rmc_load: a memcached text-protocol load generator for side-by-side benchmarks.
//
// N connections over T threads (epoll), each keeping `depth` requests in flight
// (closed loop) or sending at a fixed total rate (open loop; latency is then measured from
// the intended send time, so a stalled server cannot hide its queueing delay). Keys are
// drawn uniformly or from a Zipf distribution; values are a function of the key, so every
// reply is checked byte for byte. Prints one JSON line of results.
//
//   rmc_load --server 127.0.0.1:11211 --connections 50 --threads 1 --depth 16
//            --get-ratio 0.9 --keys 100000 --value-size 100 --duration 10
//            [--zipf 0.99] [--rate 50000] [--populate] [--populate-only] [--incompressible]
//            [--key-size 20] [--noreply-sets]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 11211;
  int connections = 50;
  int threads = 1;
  int depth = 1;
  double get_ratio = 0.9;
  uint64_t keys = 100000;
  int key_size = 0;  // 0: "key:<n>"; otherwise keys padded to this many bytes
  int value_size = 100;
  double duration = 10;
  double zipf = 0;    // 0: uniform
  double rate = 0;    // total ops/s; 0: closed loop
  bool populate = false;
  bool populate_only = false;
  bool incompressible = false;  // pseudo-random value bytes instead of a repeating pattern
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr, "rmc_load: %s\nsee the comment at the top of bench/load_generator.cc\n", why);
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + flag).c_str());
      return argv[++i];
    };
    if (flag == "--server") {
      std::string v = value();
      const size_t colon = v.rfind(':');
      o.host = v.substr(0, colon);
      o.port = std::stoi(v.substr(colon + 1));
    } else if (flag == "--connections") o.connections = std::stoi(value());
    else if (flag == "--threads") o.threads = std::stoi(value());
    else if (flag == "--depth") o.depth = std::stoi(value());
    else if (flag == "--get-ratio") o.get_ratio = std::stod(value());
    else if (flag == "--keys") o.keys = std::stoull(value());
    else if (flag == "--key-size") o.key_size = std::stoi(value());
    else if (flag == "--value-size") o.value_size = std::stoi(value());
    else if (flag == "--duration") o.duration = std::stod(value());
    else if (flag == "--zipf") o.zipf = std::stod(value());
    else if (flag == "--rate") o.rate = std::stod(value());
    else if (flag == "--populate") o.populate = true;
    else if (flag == "--populate-only") o.populate = o.populate_only = true;
    else if (flag == "--incompressible") o.incompressible = true;
    else Usage(("unknown flag " + flag).c_str());
  }
  if (o.connections < o.threads || o.depth < 1) Usage("need connections >= threads, depth >= 1");
  return o;
}

std::string KeyName(const Options& o, uint64_t n) {
  std::string key = "key:" + std::to_string(n);
  if (o.key_size > static_cast<int>(key.size())) key.insert(4, o.key_size - key.size(), '0');
  return key;
}

// The value stored under key n: deterministic, so that any hit can be checked.
// A repeating letter pattern by default (compresses to almost nothing); with
// --incompressible, splitmix64 output, which no compressor shrinks.
std::string ValueFor(const Options& o, uint64_t n) {
  std::string value(o.value_size, 'a');
  if (o.incompressible) {
    uint64_t state = n * 0x9E3779B97F4A7C15ull + 1;
    for (int i = 0; i < o.value_size; i += 8) {
      uint64_t z = (state += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      std::memcpy(value.data() + i, &z, std::min(8, o.value_size - i));
    }
    return value;
  }
  for (int i = 0; i < o.value_size; ++i) value[i] = static_cast<char>('a' + (n * 31 + i) % 26);
  return value;
}

// Zipf(alpha) over [0, n) by inverse transform on a precomputed CDF.
class KeyChooser {
 public:
  KeyChooser(const Options& o, uint64_t seed) : n_(o.keys), rng_(seed) {
    if (o.zipf > 0) {
      cdf_.resize(n_);
      double sum = 0;
      for (uint64_t i = 0; i < n_; ++i) cdf_[i] = (sum += 1.0 / std::pow(double(i + 1), o.zipf));
      for (double& c : cdf_) c /= sum;
    }
  }
  uint64_t Next() {
    if (cdf_.empty()) return rng_() % n_;
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    return static_cast<uint64_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }
  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

 private:
  uint64_t n_;
  std::mt19937_64 rng_;
  std::vector<double> cdf_;
};

// Log-linear latency histogram in nanoseconds (about 1.5% resolution).
class Histogram {
 public:
  void Add(int64_t ns) {
    if (ns < 1) ns = 1;
    const int exponent = 63 - __builtin_clzll(static_cast<uint64_t>(ns));
    const int sub = exponent < 6 ? 0 : static_cast<int>((ns >> (exponent - 6)) & 63);
    ++counts_[exponent * 64 + sub];
    ++total_;
  }
  void Merge(const Histogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
  }
  double PercentileMicros(double p) const {
    const uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * total_));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank && counts_[i] != 0) {
        const int exponent = static_cast<int>(i / 64);
        const uint64_t sub = i % 64;
        const double low = exponent < 6 ? double(uint64_t{1} << exponent)
                                        : double((uint64_t{1} << exponent) + (sub << (exponent - 6)));
        return low / 1000.0;
      }
    }
    return 0;
  }
  uint64_t total() const { return total_; }

 private:
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(64 * 64, 0);
  uint64_t total_ = 0;
};

struct Pending {
  bool is_get;
  uint64_t key;
  Clock::time_point intended;
};

struct Counters {
  uint64_t ops = 0, gets = 0, sets = 0, hits = 0, misses = 0, errors = 0;
};

class Connection {
 public:
  Connection(const Options& o, int fd) : o_(o), fd_(fd) {}
  int fd() const { return fd_; }
  std::deque<Pending>& pending() { return pending_; }
  std::string& out() { return out_; }
  std::string& in() { return in_; }

 private:
  const Options& o_;
  int fd_;
  std::deque<Pending> pending_;
  std::string out_, in_;
};

int Dial(const Options& o) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(o.port));
  inet_pton(AF_INET, o.host.c_str(), &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void WriteAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = write(fd, data.data() + sent, data.size() - sent);
    if (n <= 0) {
      std::perror("write");
      std::exit(1);
    }
    sent += static_cast<size_t>(n);
  }
}

// Loads every key once, pipelined, on one connection.
void Populate(const Options& o) {
  const int fd = Dial(o);
  const uint64_t batch = 1000;
  std::string in;
  char buffer[1 << 16];
  for (uint64_t start = 0; start < o.keys; start += batch) {
    std::string out;
    const uint64_t end = std::min(o.keys, start + batch);
    for (uint64_t n = start; n < end; ++n) {
      const std::string value = ValueFor(o, n);
      out += "set " + KeyName(o, n) + " 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    }
    WriteAll(fd, out);
    uint64_t stored = 0;
    while (stored < end - start) {
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) {
        std::fprintf(stderr, "populate: connection lost\n");
        std::exit(1);
      }
      in.append(buffer, static_cast<size_t>(n));
      size_t pos;
      while ((pos = in.find("\r\n")) != std::string::npos) {
        if (in.compare(0, pos, "STORED") != 0) {
          std::fprintf(stderr, "populate: unexpected reply '%s'\n", in.substr(0, pos).c_str());
          std::exit(1);
        }
        in.erase(0, pos + 2);
        ++stored;
      }
    }
  }
  close(fd);
}

class Worker {
 public:
  Worker(const Options& o, int index, int connections, double rate)
      : o_(o), chooser_(o, 1234 + index), rate_(rate) {
    for (int i = 0; i < connections; ++i) connections_.push_back(std::make_unique<Connection>(o, Dial(o)));
  }

  void Run(Clock::time_point start, Clock::time_point end) {
    const int ep = epoll_create1(0);
    for (auto& c : connections_) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.ptr = c.get();
      epoll_ctl(ep, EPOLL_CTL_ADD, c->fd(), &event);
    }
    const bool open_loop = rate_ > 0;
    const auto interval = open_loop ? std::chrono::duration<double>(1.0 / rate_) : std::chrono::duration<double>(0);
    Clock::time_point next_send = start;
    size_t round_robin = 0;
    if (!open_loop) {
      for (auto& c : connections_) {
        for (int d = 0; d < o_.depth; ++d) Enqueue(*c, start);
        Flush(*c);
      }
    }
    std::vector<epoll_event> events(connections_.size());
    char buffer[1 << 16];
    while (true) {
      const auto now = Clock::now();
      if (now >= end) break;
      if (open_loop) {
        // Send everything whose intended time has come, round-robin over connections
        // (each keeping at most `depth` requests outstanding is not enforced: the
        // schedule is the load).
        int sent = 0;
        while (next_send <= now && sent < 10000) {
          Connection& c = *connections_[round_robin++ % connections_.size()];
          Enqueue(c, std::chrono::time_point_cast<Clock::duration>(next_send));
          next_send += std::chrono::duration_cast<Clock::duration>(interval);
          ++sent;
        }
        for (auto& c : connections_) Flush(*c);
      }
      int timeout_ms = 1;
      if (open_loop) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_send - Clock::now()).count();
        timeout_ms = static_cast<int>(std::clamp<int64_t>(wait, 0, 1));
      }
      const int ready = epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
      for (int i = 0; i < ready; ++i) {
        Connection& c = *static_cast<Connection*>(events[i].data.ptr);
        const ssize_t n = read(c.fd(), buffer, sizeof buffer);
        if (n <= 0) {
          std::fprintf(stderr, "rmc_load: connection closed by the server\n");
          std::exit(1);
        }
        c.in().append(buffer, static_cast<size_t>(n));
        const int completed = Parse(c, Clock::now(), start);
        if (!open_loop && completed > 0) {
          for (int k = 0; k < completed; ++k) Enqueue(c, Clock::now());
          Flush(c);
        }
      }
    }
    close(ep);
    for (auto& c : connections_) close(c->fd());
  }

  const Counters& counters() const { return counters_; }
  const Histogram& histogram() const { return histogram_; }

 private:
  void Enqueue(Connection& c, Clock::time_point intended) {
    const uint64_t key = chooser_.Next();
    const bool is_get = chooser_.Uniform() < o_.get_ratio;
    const std::string name = KeyName(o_, key);
    if (is_get) {
      c.out() += "get " + name + "\r\n";
    } else {
      const std::string value = ValueFor(o_, key);
      c.out() += "set " + name + " 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    }
    c.pending().push_back({is_get, key, intended});
  }

  void Flush(Connection& c) {
    if (c.out().empty()) return;
    WriteAll(c.fd(), c.out());
    c.out().clear();
  }

  // Consumes complete replies; returns how many completed.
  int Parse(Connection& c, Clock::time_point now, Clock::time_point start) {
    int completed = 0;
    std::string& in = c.in();
    size_t pos = 0;
    while (!c.pending().empty()) {
      const Pending& p = c.pending().front();
      size_t used = 0;
      bool hit = false;
      bool ok = true;
      if (p.is_get) {
        if (in.compare(pos, 5, "END\r\n") == 0 && in.size() - pos >= 5) {
          used = 5;
        } else if (in.size() - pos >= 6 && in.compare(pos, 6, "VALUE ") == 0) {
          const size_t line_end = in.find("\r\n", pos);
          if (line_end == std::string::npos) break;
          const std::string expected_value = ValueFor(o_, p.key);
          const std::string expected_line =
              "VALUE " + KeyName(o_, p.key) + " 0 " + std::to_string(expected_value.size());
          const size_t total = (line_end + 2 - pos) + expected_value.size() + 2 + 5;
          if (in.size() - pos < total) break;
          ok = in.compare(pos, line_end - pos, expected_line) == 0 &&
               in.compare(line_end + 2, expected_value.size(), expected_value) == 0 &&
               in.compare(line_end + 2 + expected_value.size(), 7, "\r\nEND\r\n") == 0;
          used = total;
          hit = true;
        } else if (in.size() - pos < 6) {
          break;
        } else {
          ok = false;
        }
      } else {
        if (in.size() - pos < 8) break;
        ok = in.compare(pos, 8, "STORED\r\n") == 0;
        used = 8;
      }
      if (!ok) {
        const size_t line_end = in.find("\r\n", pos);
        std::fprintf(stderr, "rmc_load: unexpected reply: '%s'\n",
                     in.substr(pos, std::min<size_t>(line_end - pos, 200)).c_str());
        std::exit(1);
      }
      pos += used;
      if (p.intended >= start) histogram_.Add(std::chrono::duration_cast<std::chrono::nanoseconds>(now - p.intended).count());
      ++counters_.ops;
      if (p.is_get) {
        ++counters_.gets;
        ++(hit ? counters_.hits : counters_.misses);
      } else {
        ++counters_.sets;
      }
      c.pending().pop_front();
      ++completed;
    }
    in.erase(0, pos);
    return completed;
  }

  const Options& o_;
  KeyChooser chooser_;
  double rate_;
  std::vector<std::unique_ptr<Connection>> connections_;
  Counters counters_;
  Histogram histogram_;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  if (o.populate) Populate(o);
  if (o.populate_only) {
    std::printf("{\"populated\": %llu}\n", static_cast<unsigned long long>(o.keys));
    return 0;
  }
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < o.threads; ++t) {
    const int connections = o.connections / o.threads + (t < o.connections % o.threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(o, t, connections, o.rate / o.threads));
  }
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  std::this_thread::sleep_until(start);
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w, start, end] { w->Run(start, end); });
  for (auto& t : threads) t.join();
  Counters total;
  Histogram histogram;
  for (auto& w : workers) {
    const Counters& c = w->counters();
    total.ops += c.ops;
    total.gets += c.gets;
    total.sets += c.sets;
    total.hits += c.hits;
    total.misses += c.misses;
    histogram.Merge(w->histogram());
  }
  std::printf(
      "{\"ops_per_sec\": %.0f, \"ops\": %llu, \"gets\": %llu, \"sets\": %llu, \"hits\": %llu, "
      "\"misses\": %llu, \"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"errors\": 0}\n",
      total.ops / o.duration, (unsigned long long)total.ops, (unsigned long long)total.gets,
      (unsigned long long)total.sets, (unsigned long long)total.hits, (unsigned long long)total.misses,
      histogram.PercentileMicros(50), histogram.PercentileMicros(99), histogram.PercentileMicros(99.9));
  return 0;
}
