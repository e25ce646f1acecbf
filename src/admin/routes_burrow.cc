#include "admin/api_routes.h"

namespace spate::admin {

void add_burrow_routes(route_table& /*table*/, api_context& /*ctx*/) {}

}  // namespace spate::admin
