#pragma once
// /v1/openapi.json: an OpenAPI 3.0.3 document generated from the route table, so every route
// served is documented and every documented route is served.
#include <string_view>

#include <nlohmann/json.hpp>

#include "admin/route_table.h"

namespace spate::admin {

nlohmann::json openapi_document(const route_table& routes, std::string_view version);

}  // namespace spate::admin
