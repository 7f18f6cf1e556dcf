// SPDX-License-Identifier: Apache-2.0
// zhibu-server's configuration: the university's policy travels in the same file as the server
// settings, is validated when the server starts (a bad number refuses to start, it is never
// discovered at enforcement time), and unknown members are refused rather than ignored.
#include "zb/server/config.hpp"

#include "zb/server/domain/register.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <stdexcept>

using nlohmann::json;

namespace {
// The smallest valid server configuration, plus `extra` members.
zb::server::Config config(json extra) {
    json j = {{"server_id", "u"}, {"tls", {{"cert", "cert.pem"}, {"key", "key.pem"}}}};
    for (auto& [k, v] : extra.items())
        j[k] = v;
    return zb::server::config_from_json(j, "/tmp");
}
}  // namespace

TEST_CASE("a configuration without a policy gets the defaults from domain.md", "[config]") {
    auto c = config(json::object());
    CHECK(c.policy_json.is_null());
    auto p = zb::server::domain::policy_from_config(c);
    CHECK(p.dues.arrears_warning_months == 3);
    CHECK(p.dues.arrears_case_months == 6);
}

TEST_CASE("the policy member is read and validated", "[config]") {
    auto c = config({{"policy", {{"dues", {{"arrears_warning_months", 2}}}}}});
    REQUIRE(c.policy_json.is_object());
    auto p = zb::server::domain::policy_from_config(c);
    CHECK(p.dues.arrears_warning_months == 2);
    CHECK(p.dues.arrears_case_months == 6);  // untouched keys keep their defaults

    // A warning later than the case it warns about is refused when the server starts.
    auto bad = config(
        {{"policy", {{"dues", {{"arrears_warning_months", 9}, {"arrears_case_months", 6}}}}}});
    CHECK_THROWS_AS(zb::server::domain::policy_from_config(bad), std::invalid_argument);
}

TEST_CASE("unknown configuration members are refused", "[config]") {
    CHECK_THROWS_AS(config({{"polcy", json::object()}}), std::runtime_error);
}
