// sendfile_vs_copy: is sendfile(2) or pread()+write() faster for spate's fetch path on this machine?
//
// Writes a file (default 256 MiB, in the page cache: it was just written and is read once before
// timing), then over a loopback TCP connection sends it in chunks (default 1 MiB) to a reader
// thread that drains the socket into a reused buffer, by
//   sendfile  sendfile(sock, fd, &off, chunk)
//   copy      pread(fd, buf, chunk, off) into one reused buffer, then write() until all sent
// alternating the methods for --rounds rounds. Prints one JSON object: MB/s (1 MB = 1e6 bytes) of
// every round, the median per method, and the process CPU seconds (user+sys, both threads) per GB.
//
// usage: sendfile_vs_copy [--file PATH] [--size-mib N] [--chunk-kib N] [--rounds N]
// The file defaults to ./sendfile_vs_copy.dat (the current directory, i.e. the repository's disk;
// /tmp may be a tmpfs) and is removed at exit.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "sendfile_vs_copy: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// A connected loopback pair: {sender, receiver}.
std::pair<int, int> connect_pair() {
  int lst = socket(AF_INET, SOCK_STREAM, 0);
  if (lst < 0) die("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lst, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("bind");
  if (listen(lst, 1) < 0) die("listen");
  socklen_t len = sizeof a;
  if (getsockname(lst, reinterpret_cast<sockaddr*>(&a), &len) < 0) die("getsockname");
  int snd = socket(AF_INET, SOCK_STREAM, 0);
  if (snd < 0) die("socket");
  if (connect(snd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("connect");
  int rcv = accept(lst, nullptr, nullptr);
  if (rcv < 0) die("accept");
  close(lst);
  int one = 1;
  setsockopt(snd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return {snd, rcv};
}

struct round_result {
  double mb_per_s;
  double cpu_s_per_gb;
};

round_result run_round(bool use_sendfile, int fd, std::uint64_t size, std::size_t chunk) {
  auto [snd, rcv] = connect_pair();
  std::atomic<std::uint64_t> received{0};
  std::thread reader([rcv = rcv, size, &received] {
    std::vector<char> buf(1 << 20);
    std::uint64_t got = 0;
    while (got < size) {
      ssize_t n = read(rcv, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die("read");
      got += static_cast<std::uint64_t>(n);
    }
    received = got;
  });
  std::vector<char> buf(use_sendfile ? 0 : chunk);
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t off = 0;
  while (off < size) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, size - off));
    if (use_sendfile) {
      off_t pos = static_cast<off_t>(off);
      std::size_t left = want;
      while (left > 0) {
        ssize_t n = sendfile(snd, fd, &pos, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("sendfile");
        left -= static_cast<std::size_t>(n);
      }
    } else {
      ssize_t r = pread(fd, buf.data(), want, static_cast<off_t>(off));
      if (r != static_cast<ssize_t>(want)) die("pread");
      std::size_t done = 0;
      while (done < want) {
        ssize_t n = write(snd, buf.data() + done, want - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("write");
        done += static_cast<std::size_t>(n);
      }
    }
    off += want;
  }
  reader.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  close(snd);
  close(rcv);
  if (received.load() != size) die("short read");
  return {static_cast<double>(size) / 1e6 / secs, cpu / (static_cast<double>(size) / 1e9)};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string join(const std::vector<double>& v) {
  std::string s;
  char b[32];
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::snprintf(b, sizeof b, "%s%.1f", i ? "," : "", v[i]);
    s += b;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = "sendfile_vs_copy.dat";
  std::uint64_t size_mib = 256;
  std::size_t chunk_kib = 1024;
  int rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--file") path = argv[i + 1];
    else if (k == "--size-mib") size_mib = std::strtoull(argv[i + 1], nullptr, 10);
    else if (k == "--chunk-kib") chunk_kib = std::strtoull(argv[i + 1], nullptr, 10);
    else if (k == "--rounds") rounds = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: sendfile_vs_copy [--file PATH] [--size-mib N] [--chunk-kib N] [--rounds N]\n");
      return 2;
    }
  }
  const std::uint64_t size = size_mib << 20;
  const std::size_t chunk = chunk_kib << 10;

  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("open");
  {
    std::vector<char> block(1 << 20);
    std::uint64_t x = 88172645463325252ull;
    for (auto& c : block) {  // xorshift: incompressible bytes
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      c = static_cast<char>(x);
    }
    for (std::uint64_t w = 0; w < size; w += block.size()) {
      if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) die("write file");
    }
    // Touch it once more so every page is cached and resident before timing.
    for (std::uint64_t r = 0; r < size; r += block.size()) {
      if (pread(fd, block.data(), block.size(), static_cast<off_t>(r)) <= 0) die("pread warm-up");
    }
  }

  std::vector<double> sf, cp, sf_cpu, cp_cpu;
  for (int r = 0; r < rounds; ++r) {
    // Alternate the order so neither method always runs first.
    for (int m = 0; m < 2; ++m) {
      const bool use_sf = (r + m) % 2 == 0;
      auto res = run_round(use_sf, fd, size, chunk);
      (use_sf ? sf : cp).push_back(res.mb_per_s);
      (use_sf ? sf_cpu : cp_cpu).push_back(res.cpu_s_per_gb);
    }
  }
  close(fd);
  unlink(path.c_str());

  std::printf(
      "{\"tool\":\"sendfile_vs_copy\",\"size_bytes\":%llu,\"chunk_bytes\":%zu,\"rounds\":%d,"
      "\"sendfile_mb_per_s\":[%s],\"copy_mb_per_s\":[%s],"
      "\"sendfile_median_mb_per_s\":%.1f,\"copy_median_mb_per_s\":%.1f,\"sendfile_over_copy\":%.3f,"
      "\"sendfile_cpu_s_per_gb\":[%s],\"copy_cpu_s_per_gb\":[%s]}\n",
      static_cast<unsigned long long>(size), chunk, rounds, join(sf).c_str(), join(cp).c_str(), median(sf),
      median(cp), median(sf) / median(cp), join(sf_cpu).c_str(), join(cp_cpu).c_str());
  return 0;
}
