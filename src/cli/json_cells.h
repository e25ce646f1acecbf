#pragma once
// Table cells from the admin API's JSON, shared by `spate status`/`diag` and `spate lag`: a missing
// field reads as null, and null prints as "-".
#include <string>

#include <nlohmann/json.hpp>

namespace spate::cli {

const nlohmann::json& field(const nlohmann::json& object, const char* key);
// Strings as they are, booleans as yes/no, null as "-", anything else as its JSON.
std::string text(const nlohmann::json& value);

}  // namespace spate::cli
