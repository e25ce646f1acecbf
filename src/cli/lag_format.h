#pragma once
// `spate lag`'s pure parts: durations in and out, and the text rendering of the lag API's JSON
// (docs/cli.md shows the layouts). No I/O, so tests feed them JSON directly.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace spate::cli::lag_format {

// "90s", "15m", "1h", "2d", "500ms", "1h30m": a positive duration in milliseconds; nullopt when
// the text is not one.
std::optional<std::int64_t> parse_duration(std::string_view text);

// A duration for people, two units at most: "0s", "42s", "3m10s", "2h5m", "3d4h"; below a second
// "850ms".
std::string human_duration_ms(std::int64_t ms);
// Seconds as above; "-" for null or a non-number.
std::string human_seconds(const nlohmann::json& seconds);

// GET /v1/lag/groups -> the cluster line and a table of groups. `now_ms` is the wall clock.
std::string render_groups(const nlohmann::json& groups, std::int64_t now_ms);
// GET /v1/lag/groups/{group} -> the group's lines and a table of its partitions.
std::string render_group(const nlohmann::json& group, std::int64_t now_ms);
// GET /v1/lag/groups/{group}/history -> a table of points, then the gaps.
std::string render_history(const nlohmann::json& history);

// "2026-12-05 08:10:42" (UTC) for wall-clock milliseconds.
std::string utc_time(std::int64_t ms);

}  // namespace spate::cli::lag_format
