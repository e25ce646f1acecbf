#include "app/serve.h"

#include <exception>

#include "app/data_dir.h"
#include "base/log.h"
#include "broker/broker.h"
#include "broker/dispatcher.h"
#include "net/server.h"

namespace spate::app {
namespace {

broker::broker_options broker_options_from(const broker_config& config, const data_dir_identity& identity) {
  broker::broker_options options;
  options.node_id = config.node_id;
  options.advertised_host = config.advertised().host;
  options.advertised_port = config.advertised().port;
  options.cluster_id = identity.cluster_id;
  options.num_partitions = config.num_partitions;
  options.auto_create_topics = config.auto_create_topics;
  return options;
}

void create_declared_topics(broker::broker& b, const broker_config& config) {
  for (const auto& topic : config.topics) {
    if (b.topics().create(topic.name, topic.partitions) == broker::create_topic_outcome::already_exists) {
      SPATE_LOG_WARN("topic declared twice topic={}", topic.name);
    }
  }
}

}  // namespace

int run_broker(const broker_config& config) {
  base::init_logging(config.log_level);
  try {
    const auto identity = open_data_dir(config.data_dir, config.node_id);
    broker::broker services(broker_options_from(config, identity));
    create_declared_topics(services, config);
    broker::dispatcher dispatcher(services);

    net::server_config net_config;
    net_config.host = config.listener.host;
    net_config.port = config.listener.port;
    net_config.max_frame_bytes = static_cast<std::size_t>(config.socket_request_max_bytes);
    net_config.threads = config.num_network_threads;
    net::server server(net_config, [&dispatcher](const net::request_context& ctx, base::byte_buffer frame) {
      return dispatcher.handle(std::move(frame), ctx.peer, ctx.executor);
    });
    server.start();
    const int signal = net::run_until_signal(server, [&] {
      SPATE_LOG_INFO("spate ready listener={}:{} advertised={}:{} node_id={} cluster_id={} data_dir={}",
                     config.listener.host, server.bound_port(), config.advertised().host, config.advertised().port,
                     config.node_id, identity.cluster_id, config.data_dir.string());
    });
    SPATE_LOG_INFO("spate stopped signal={}", signal);
    return 0;
  } catch (const std::exception& e) {
    SPATE_LOG_ERROR("spate failed to start: {}", e.what());
    return 1;
  }
}

}  // namespace spate::app
