#include "app/serve.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <optional>

#include "admin/admin_server.h"
#include "admin/basic_auth.h"
#include "app/admin_view.h"
#include "app/broker_metrics.h"
#include "app/client_quota_file.h"
#include "app/connection_security.h"
#include "app/data_dir.h"
#include "app/disk_quota_service.h"
#include "app/fd_limit.h"
#include "app/lag_source.h"
#include "app/lag_wiring.h"
#include "app/listeners.h"
#include "app/log_cleaner_service.h"
#include "app/maintenance.h"
#include "app/request_diag.h"
#include "app/signal.h"
#include "app/tls_listeners.h"
#include "base/log.h"
#include "broker/broker.h"
#include "broker/dispatcher.h"
#include "broker/sasl_authenticator.h"
#include "broker/sasl_session.h"
#include "broker/txn_markers.h"
#include "group/coordinator.h"
#include "group/offsets_topic.h"
#include "io/clock.h"
#include "io/deadline_thread.h"
#include "io/file.h"
#include "lag/prometheus.h"
#include "model/topic_name.h"
#include "net/server.h"
#include "security/acl_store.h"
#include "security/authorizer.h"
#include "security/credential_store.h"
#include "security/plain.h"
#include "storage/log_manager.h"
#include "txn/producer_id_manager.h"
#include "txn/transaction_coordinator.h"
#include "txn/transaction_topic.h"

namespace spate::app {
namespace {

// How often the TLS listeners' certificate files are checked for a change.
constexpr std::chrono::milliseconds tls_reload_check_interval{5000};

// Every listener's advertised address, as Kafka prints advertised.listeners.
std::string advertised_listeners_text(const broker_config& config) {
  std::vector<listener> advertised;
  for (const auto& l : config.listeners) advertised.push_back({l.name, config.advertised(l.name)});
  return listeners_text(advertised);
}

broker::broker_options broker_options_from(const broker_config& config, const data_dir_identity& identity) {
  broker::broker_options options;
  options.node_id = config.node_id;
  options.advertised_host = config.advertised(config.listeners.front().name).host;
  options.advertised_port = config.advertised(config.listeners.front().name).port;
  for (const auto& l : config.listeners) {
    const auto advertised = config.advertised(l.name);
    options.listeners.push_back({l.name, config.security_protocol(l.name), advertised.host, advertised.port});
  }
  options.cluster_id = identity.cluster_id;
  options.num_partitions = config.num_partitions;
  options.auto_create_topics = config.auto_create_topics;
  // The rest of what DescribeConfigs reports for this broker (log.* defaults come from storage).
  const broker_config built_in;
  options.settings = {
      {"listeners", listeners_text(config.listeners), config.listeners == built_in.listeners},
      {"advertised.listeners", advertised_listeners_text(config), config.advertised_listeners.empty()},
      {"log.dirs", config.data_dir.string(), config.data_dir == built_in.data_dir},
      {"log.retention.check.interval.ms", std::to_string(config.retention_check_interval_ms),
       config.retention_check_interval_ms == built_in.retention_check_interval_ms},
      {"socket.request.max.bytes", std::to_string(config.socket_request_max_bytes),
       config.socket_request_max_bytes == built_in.socket_request_max_bytes},
      {"num.network.threads", std::to_string(config.num_network_threads),
       config.num_network_threads == built_in.num_network_threads},
  };
  return options;
}

void create_declared_topics(storage::log_manager& logs, const broker_config& config) {
  for (const auto& topic : config.topics) {
    if (logs.find_topic(topic.name)) continue;
    if (auto created = logs.create_topic(topic.name, topic.partitions); !created) {
      throw std::runtime_error(
          fmt::format("cannot create declared topic '{}': {}", topic.name, storage::to_string(created.error())));
    }
  }
}

// Stops start-up with "cannot <step>: <error>" when a step failed.
template <typename Result>
void check_step(const Result& result, std::string_view step) {
  if (!result) throw std::runtime_error(fmt::format("cannot {}: {}", step, to_string(result.error())));
}

// `tls`: the TLS listeners' credentials by listener name (load_tls_credentials).
net::server_config server_config_from(const broker_config& config, broker_metrics_wiring* metrics,
                                      const std::map<std::string, std::shared_ptr<net::tls_server_credentials>>& tls) {
  net::server_config net_config;
  for (const auto& l : config.listeners) {
    const auto it = tls.find(l.name);
    net_config.listeners.push_back({l.name, l.address.host, l.address.port, it == tls.end() ? nullptr : it->second});
  }
  net_config.max_frame_bytes = static_cast<std::size_t>(config.socket_request_max_bytes);
  net_config.threads = config.num_network_threads;
  net_config.observer = metrics;
  return net_config;
}

// PLAIN's users when PLAIN is enabled (it needs sasl.plain.users.file), else nullopt; stops
// start-up with a clear message when the file is missing or bad.
std::optional<security::plain_users> load_plain_users(const broker_config& config) {
  const auto& m = config.sasl_enabled_mechanisms;
  if (std::find(m.begin(), m.end(), "PLAIN") == m.end()) return std::nullopt;
  if (config.sasl_plain_users_file.empty()) {
    throw std::runtime_error(
        "sasl.enabled.mechanisms includes PLAIN but sasl.plain.users.file is not set (PLAIN checks passwords "
        "against that file; use SCRAM for production)");
  }
  auto users = security::plain_users::load(io::posix_file_system(), config.sasl_plain_users_file);
  if (!users) {
    throw std::runtime_error(fmt::format("cannot load sasl.plain.users.file {}: {}",
                                         config.sasl_plain_users_file.string(), users.error().message));
  }
  SPATE_LOG_INFO("event=plain_users_loaded users={} file={}", users.value().size(),
                 config.sasl_plain_users_file.string());
  return std::move(users.value());
}

// The listeners with their bound ports (a configured port 0 is an ephemeral one).
std::string bound_listeners_text(const broker_config& config, const net::server& server) {
  std::vector<listener> bound = config.listeners;
  for (std::size_t i = 0; i < bound.size(); ++i) bound[i].address.port = server.bound_port(i);
  return listeners_text(bound);
}

// Binds the admin API, or stops start-up with one line naming the address.
void start_admin(admin::admin_server& admin, const host_port& address) {
  try {
    admin.start();
  } catch (const std::exception& e) {  // Asio's system_error, e.g. "bind: Address already in use"
    throw std::runtime_error(
        fmt::format("cannot listen on admin.listeners {}:{}: {}", address.host, address.port, e.what()));
  }
}

}  // namespace

int run_broker(const broker_config& config) {
  base::init_logging(config.log_level);
  const auto started = std::chrono::steady_clock::now();
  // Before any file is opened: each partition holds descriptors (fd_limit.h).
  (void)raise_fd_limit();
  try {
    validate_listeners(
        config.listeners, config.advertised_listeners,
        config.security_protocol_map.empty() ? default_security_protocol_map() : config.security_protocol_map);
    // TLS listeners and the admin API's HTTPS: their certificate, reloaded when its files change
    // (below), and client certificates' subjects mapped to principals. Loaded before the data
    // directory is touched, so a bad file or setting stops the start at once.
    const auto tls = load_tls_credentials(config);
    const auto admin_tls = load_admin_tls_credentials(config);
    const auto mapper = security::principal_mapper::parse(config.ssl_principal_mapping_rules).value();
    const bool new_data_dir = !std::filesystem::exists(config.data_dir / "meta.properties");
    const auto identity = open_data_dir(config.data_dir, config.node_id);
    // Blocking work (fsync, file creation, unlink) never runs on an event loop.
    io::blocking_pool pool(2, "storage");
    io::system_clock clock;
    // Metrics: created first (storage records into them), destroyed last. Disabled: none at all,
    // so every recording site skips on a null pointer.
    std::unique_ptr<broker_metrics_wiring> metrics;
    if (config.metrics_enabled) metrics = std::make_unique<broker_metrics_wiring>();
    storage::log_manager::dependencies storage_deps{&io::posix_file_system(), &clock, &pool};
    if (metrics) {
      storage_deps.fsync_seconds = metrics->metrics().storage().fsync_seconds;
      storage_deps.group_commit_batches = metrics->metrics().storage().group_commit_batches;
    }
    auto opened = storage::log_manager::open({.data_dir = config.data_dir,
                                              .log_defaults = config.log_defaults,
                                              .page_cache_keep_bytes = config.log_page_cache_keep_bytes},
                                             storage_deps);
    if (!opened) {
      throw std::runtime_error(fmt::format("cannot open data directory '{}': {}", config.data_dir.string(),
                                           storage::to_string(opened.error())));
    }
    auto& logs = *opened.value();
    create_declared_topics(logs, config);
    // Consumer groups: their records are replayed before the first client connects.
    auto offsets =
        group::offsets_topic::open(logs, config.offsets_topic_partitions, clock, config.offsets_topic_segment_bytes);
    check_step(offsets, fmt::format("open {}", model::consumer_offsets_topic));
    group::coordinator groups(config.groups, *offsets.value(), clock);
    check_step(offsets.value()->replay([&groups](const group::offsets_topic::replayed& r) { groups.load(r); }),
               fmt::format("replay {}", model::consumer_offsets_topic));
    SPATE_LOG_INFO("event=groups_loaded groups={}", groups.group_count());
    // Transactions: producer ids never reused, and the coordinator's state replayed likewise.
    auto producer_ids =
        txn::producer_id_manager::open(io::posix_file_system(), config.data_dir,
                                       [&pool](std::function<void()> task) { pool.submit(std::move(task)); });
    check_step(producer_ids, fmt::format("open {}", txn::producer_id_block_path(config.data_dir).string()));
    auto transaction_log = txn::transaction_topic::open(logs, config.transactions.log_partitions, clock,
                                                        config.transaction_log_segment_bytes);
    check_step(transaction_log, fmt::format("open {}", model::transaction_state_topic));
    auto waiters = std::make_shared<broker::partition_waiters>();
    broker::txn_markers markers(logs, groups, waiters);
    txn::transaction_coordinator transactions(config.transactions, *transaction_log.value(), markers,
                                              *producer_ids.value(), clock);
    check_step(transaction_log.value()->replay([&transactions](const txn::transaction_topic::replayed& r) {
      transactions.load_record(r.key, r.value);
    }),
               fmt::format("replay {}", model::transaction_state_topic));
    // The disk quota: measured once before the first request; stopped before the logs close.
    std::optional<disk_quota_service> disk_quota;
    if (config.disk_quota.enabled) disk_quota.emplace(logs, groups, config.disk_quota);
    auto options = broker_options_from(config, identity);
    if (disk_quota) options.disk_quota = &disk_quota->gate();
    // Client quotas: set by AlterClientQuotas, kept across restarts in client-quotas.json.
    quota::client_quotas client_quotas(
        {.sample_ms = config.quota_window_size_seconds * 1000LL, .samples = config.quota_window_num});
    load_client_quotas(client_quotas, config.data_dir);
    options.client_quotas = &client_quotas;
    options.save_client_quotas = [dir = config.data_dir](const std::string& json) {
      return save_client_quotas(dir, json);
    };
    if (metrics) {
      options.metrics = &metrics->metrics().requests();
      metrics->collect_topics(logs, config.metrics_partition_labels);
      metrics->collect_groups(groups);
      metrics->collect_transactions(transactions);
    }
    // SCRAM users (scram_credentials.json in the data directory) and SASL on SASL listeners.
    auto credentials = security::credential_store::open(io::posix_file_system(), config.data_dir);
    if (!credentials) {
      throw std::runtime_error(
          fmt::format("cannot open {}: {}", security::credential_store::file_name, credentials.error().message));
    }
    options.credentials = credentials.value().get();
    options.super_users = config.super_users;
    const auto authentications = listener_authentications(config);
    const auto plain_users = load_plain_users(config);
    std::optional<broker::sasl_authenticator> sasl;
    if (std::find(authentications.begin(), authentications.end(), listener_authentication::sasl) !=
        authentications.end()) {
      sasl.emplace(config.sasl_enabled_mechanisms, credentials.value().get(), plain_users ? &*plain_users : nullptr,
                   std::chrono::milliseconds(config.failed_authentication_delay_ms));
      options.sasl = &*sasl;
      options.sasl_session_lifetime_ms = config.connections_max_reauth_ms;
      if (metrics) metrics->collect_sasl(*sasl);
    }
    // ACLs (acls.json in the data directory) and the authorizer that applies them to every request.
    std::unique_ptr<security::authorizer> authorizer;
    std::unique_ptr<security::acl_store> acls;
    if (config.authorizer_enabled) {
      authorizer = std::make_unique<security::authorizer>(security::authorizer_config{
          .super_users = config.super_users, .allow_everyone_if_no_acl_found = config.allow_everyone_if_no_acl_found});
      auto opened = security::acl_store::open(io::posix_file_system(), config.data_dir, authorizer.get());
      if (!opened) {
        throw std::runtime_error(
            fmt::format("cannot open {}: {}", security::acl_store::file_name, opened.error().message));
      }
      acls = std::move(opened).value();
      options.authorizer = authorizer.get();
      options.acls = acls.get();
    }
    std::optional<tls_reloader> tls_reload;
    if (!tls.empty() || admin_tls) {
      std::vector<std::shared_ptr<net::tls_server_credentials>> reloaded;
      for (const auto& [name, credentials] : tls) reloaded.push_back(credentials);
      if (admin_tls) reloaded.push_back(admin_tls);
      tls_reload.emplace(std::move(reloaded), tls_reload_check_interval);
    }
    broker::broker services(std::move(options), logs, pool, groups, transactions, waiters);
    broker::dispatcher dispatcher(services);
    // The built-in lag monitor: its own thread; stopped (destroyed) before the broker it reads.
    std::shared_ptr<lag::monitor> lag_monitor;
    if (config.lag_enabled) {
      lag_source_options source_options;
      source_options.cluster = config.lag.cluster;
      lag_monitor = make_lag_monitor(
          config, std::make_unique<broker_lag_source>(logs, groups, services.consumer_positions(), source_options));
    }
    int signal = 0;
    {
      maintenance periodic(
          logs, {.retention = std::chrono::milliseconds(config.retention_check_interval_ms),
                 .producer_expiry_check = std::chrono::milliseconds(config.producer_id_expiration_check_interval_ms),
                 .producer_id_expiration_ms = config.producer_id_expiration_ms});
      // Compaction: its own threads; stopped (destroyed, at the end of this block) before the logs close.
      std::optional<log_cleaner_service> cleaner;
      if (config.cleaner.enabled) cleaner.emplace(logs, config.cleaner);
      if (metrics && cleaner) metrics->collect_cleaner(*cleaner, config.metrics_partition_labels);
      if (metrics && disk_quota) metrics->collect_disk_quota(*disk_quota);
      io::deadline_thread group_deadlines(groups);
      // Markers of transactions that were being completed when the broker stopped are written now.
      transactions.resume_after_load();
      io::deadline_thread transaction_deadlines(transactions);
      net::server server(server_config_from(config, metrics.get(), tls), [&dispatcher, &authentications, &mapper](
                                                                             const net::connection_info& connection,
                                                                             std::span<std::uint8_t> frame) {
        // Made at the first request: SASL state (unauthenticated at first, broker/sasl_session.h) or
        // the client certificate's principal, by listener (app/connection_security.h).
        if (!connection.session) {
          connection.session = open_connection_security(authentications[connection.listener_index], connection, mapper);
        }
        auto& security = *static_cast<connection_security*>(connection.session.get());
        return dispatcher.handle(
            frame, {connection.peer, connection.executor, &connection.mute_reads_for, connection.listener,
                    security.sasl ? &*security.sasl : nullptr, &connection.close_after_responses, security.principal});
      });
      if (metrics) metrics->collect_connections(server);
      // The HTTP admin API: its own thread; reads through the view, writes through the handlers.
      std::atomic<bool> ready{false};
      admin_view view(logs, groups, server, config, identity.cluster_id, new_data_dir, ready, started);
      std::optional<admin::admin_server> admin;
      if (config.admin_listener) {
        auto admin_options = admin_options_from(config);
        // GET /metrics and /v1/diag's request figures; without metrics (metrics.enabled=false)
        // /metrics answers 404 and diag reports no requests. Later subsystems add their blocks to
        // /v1/status through admin_options.status_sections["name"].
        if (metrics) {
          admin_options.metrics_text = [m = metrics.get()] { return m->render_exposition(); };
          admin_options.diag = request_diag_source(metrics->metrics().requests());
        }
        if (cleaner) admin_options.status_sections["cleaner"] = [&cleaner] { return cleaner->status(); };
        if (disk_quota) {
          admin_options.status_sections["disk_quota"] = [&disk_quota] { return disk_quota->status(); };
          admin_options.diag_sections["disk_quota"] = [&disk_quota] { return disk_quota->diag(); };
        }
        if (lag_monitor) {
          admin_options.lag_monitors.push_back(lag_monitor);
          admin_options.status_sections["lag"] = [m = lag_monitor.get()] { return lag_status_section(*m); };
          if (admin_options.metrics_text) {
            admin_options.metrics_text = [broker_text = std::move(admin_options.metrics_text),
                                          monitors = admin_options.lag_monitors] {
              return broker_text() + lag::prometheus_text(monitors);
            };
          }
        }
        admin_options.tls = admin_tls;
        if (config.admin_auth == admin_authentication::basic) {
          admin_options.authentication = std::make_shared<admin::basic_authenticator>(
              *credentials.value(), std::chrono::milliseconds(config.failed_authentication_delay_ms));
          if (metrics) metrics->collect_admin_authentication(admin_options.authentication);
        }
        if (config.admin_auth == admin_authentication::mtls) {
          admin_options.certificate_principals = std::make_shared<const security::principal_mapper>(mapper);
        }
        admin.emplace(std::move(admin_options), view, &services);
        start_admin(*admin, config.admin_listener->address);
      }
      server.start();
      if (lag_monitor) lag_monitor->start();
      signal = run_until_signal(
          server,
          [&] {
            ready = true;
            SPATE_LOG_INFO(
                "spate ready listeners={} advertised={} admin={} node_id={} cluster_id={} data_dir={} "
                "clean_start={}",
                bound_listeners_text(config, server), advertised_listeners_text(config),
                admin ? (admin_tls ? "https://" : "") + admin->address() : "off", config.node_id, identity.cluster_id,
                config.data_dir.string(), logs.opened_after_clean_shutdown());
          },
          [&groups, &transactions, &admin, &ready, &lag_monitor] {
            // The admin API stops first: its writes in progress finish while the broker still serves them.
            ready = false;
            if (admin) admin->stop();
            if (lag_monitor) lag_monitor->stop();
            // Requests held by the coordinators (JoinGroup, SyncGroup) are answered while their
            // connections can still carry the answer; no new marker write starts.
            groups.shutdown();
            transactions.shutdown();
          },
          [&tls_reload] {
            if (tls_reload) tls_reload->reload_now();
          });
    }
    disk_quota.reset();
    // The coordinator outlives the logs' close, which fails any commit still awaiting durability.
    if (auto closed = logs.close(); !closed) {
      SPATE_LOG_ERROR("event=close_failed error={}", storage::to_string(closed.error()));
      return 1;
    }
    pool.drain();
    SPATE_LOG_INFO("spate stopped signal={}", signal);
    return 0;
  } catch (const std::exception& e) {
    SPATE_LOG_ERROR("spate failed to start: {}", e.what());
    return 1;
  }
}

}  // namespace spate::app
