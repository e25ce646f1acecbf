#pragma once
// The `spate` client commands (topic, group, produce, consume, cluster, quota): Kafka clients built
// on librdkafka (quota on the protocol module), so they work against any Kafka-compatible broker.
// docs/cli.md documents them.

namespace CLI {
class App;
}

namespace spate::cli {

void register_client_commands(CLI::App& app);

}  // namespace spate::cli
