#pragma once
// `spate status` and `spate diag`: read the broker's admin API (--admin URL, $SPATE_ADMIN, default
// http://127.0.0.1:9644) and print it aligned for people, or as JSON with --json. Exit 1 with one
// line when the admin API cannot be reached.
namespace CLI {
class App;
}

namespace spate::cli {

void register_admin_commands(CLI::App& app);

}  // namespace spate::cli
