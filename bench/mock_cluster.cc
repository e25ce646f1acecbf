// mock_cluster: runs librdkafka's built-in mock Kafka cluster as a reference peer for bench/.
//
//   mock_cluster [--brokers N] [--topic NAME[:PARTITIONS]]... [--max-seconds S]
//
// Prints one line on stdout, the bootstrap address ("127.0.0.1:PORT[,...]"), then serves until
// SIGINT/SIGTERM, until stdin reaches end-of-file (so it dies with the process that started it
// when that process holds the other end of a pipe), or until --max-seconds elapse (default 3600).
// The mock keeps messages in memory and never touches the disk.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "mock_cluster: %s\n", msg);
  std::fprintf(stderr,
               "usage: mock_cluster [--brokers N] [--topic NAME[:PARTITIONS]]... "
               "[--max-seconds S] [--no-stdin]\n");
  std::exit(2);
}
}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  double max_seconds = 3600;
  bool watch_stdin = true;
  std::vector<std::pair<std::string, int>> topics;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--brokers") {
      brokers = std::atoi(val().c_str());
    } else if (a == "--topic") {
      std::string t = val();
      int parts = 1;
      auto colon = t.find(':');
      if (colon != std::string::npos) {
        parts = std::atoi(t.c_str() + colon + 1);
        t.resize(colon);
      }
      if (t.empty() || parts <= 0) usage("bad --topic");
      topics.emplace_back(t, parts);
    } else if (a == "--max-seconds") {
      max_seconds = std::atof(val().c_str());
    } else if (a == "--no-stdin") {
      watch_stdin = false;
    } else {
      usage(("unknown argument " + a).c_str());
    }
  }
  if (brokers <= 0) usage("--brokers must be positive");

  // The mock cluster needs an rd_kafka_t for its bookkeeping; an idle producer serves.
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "client.id", "mock_cluster", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "mock_cluster: rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    std::fprintf(stderr, "mock_cluster: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }
  for (auto& [name, parts] : topics) {
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, name.c_str(), parts, 1);
    if (e) {
      std::fprintf(stderr, "mock_cluster: topic %s: %s\n", name.c_str(), rd_kafka_err2str(e));
      rd_kafka_mock_cluster_destroy(mc);
      rd_kafka_destroy(rk);
      return 1;
    }
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  std::fflush(stdout);
  std::fprintf(stderr, "mock_cluster: ready bootstrap=%s brokers=%d topics=%zu\n",
               rd_kafka_mock_cluster_bootstraps(mc), brokers, topics.size());

  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_seconds);
  while (!g_stop && std::chrono::steady_clock::now() < end) {
    if (watch_stdin) {
      pollfd p{STDIN_FILENO, POLLIN, 0};
      int r = ::poll(&p, 1, 200);
      if (r > 0) {
        char buf[256];
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n <= 0) break;  // EOF: our parent went away
      } else if (r < 0 && errno != EINTR) {
        watch_stdin = false;
      }
    } else {
      ::usleep(200 * 1000);
    }
  }
  std::fprintf(stderr, "mock_cluster: stopping\n");
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
