#include "admin/route_table.h"

#include <gtest/gtest.h>

namespace spate::admin {
namespace {

route_table sample() {
  route_table table;
  auto ok = sync_handler([](http_request&) { return http_response{}; });
  table.add({"GET", "/v1/topics", "list", {}, ok});
  table.add({"POST", "/v1/topics", "create", {}, ok});
  table.add({"GET", "/v1/topics/{topic}", "describe", {}, ok});
  table.add({"DELETE", "/v1/topics/{topic}", "delete", {}, ok});
  table.add({"PATCH", "/v1/topics/{topic}/config", "alter", {}, ok});
  return table;
}

http_request req(std::string method, std::string path) {
  http_request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

TEST(route_table, a_literal_path_matches_its_method) {
  auto table = sample();
  auto r = req("POST", "/v1/topics");
  const auto m = table.match(r);
  ASSERT_EQ(m.result, route_table::outcome::found);
  EXPECT_EQ(m.matched->summary, "create");
}

TEST(route_table, a_param_segment_is_captured_and_percent_decoded) {
  auto table = sample();
  auto r = req("PATCH", "/v1/topics/a%2Eb%20c/config");
  const auto m = table.match(r);
  ASSERT_EQ(m.result, route_table::outcome::found);
  EXPECT_EQ(m.matched->summary, "alter");
  EXPECT_EQ(r.params.at("topic"), "a.b c");
}

TEST(route_table, a_known_path_with_another_method_is_method_not_allowed_listing_the_allowed_ones) {
  auto table = sample();
  auto r = req("PUT", "/v1/topics/x");
  const auto m = table.match(r);
  EXPECT_EQ(m.result, route_table::outcome::method_not_allowed);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "DELETE"}));
}

TEST(route_table, unknown_paths_empty_params_and_trailing_slashes_are_not_found) {
  auto table = sample();
  for (const char* path : {"/", "/v1", "/v1/topics/", "/v1/topics//config", "/v1/topics/x/y", "/v2/topics", ""}) {
    auto r = req("GET", path);
    EXPECT_EQ(table.match(r).result, route_table::outcome::not_found) << path;
  }
}

TEST(route_table, pattern_params_lists_the_names_in_order) {
  EXPECT_EQ(pattern_params("/v1/{a}/x/{b}"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(pattern_params("/v1/status").empty());
}

TEST(route_table, percent_decode_keeps_malformed_escapes_and_decodes_plus_only_in_queries) {
  EXPECT_EQ(percent_decode("a%zz%4"), "a%zz%4");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b%41", true), "a bA");
}

}  // namespace
}  // namespace spate::admin
