// Where the launcher starts each process: the config's "launch" object, and the command lines
// made from it.
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "launch_plan.hpp"

using namespace chunkswarm;
using namespace chunkswarm::swarm;

namespace {

nlohmann::json ring(nlohmann::json launch)
{
    nlohmann::json config = {
        {"owner", {{"host", "10.0.0.1"}, {"port", 7000}}},
        {"peers",
         {{{"id", 1}, {"host", "10.0.0.11"}, {"port", 7000}, {"download_neighbor", 2}},
          {{"id", 2}, {"host", "10.0.0.12"}, {"port", 7000}, {"download_neighbor", 1}}}},
    };
    if (!launch.is_null()) config["launch"] = launch;
    return config;
}

SwarmConfig parsed(nlohmann::json launch)
{
    auto config = parse_config(ring(std::move(launch)));
    REQUIRE(config.ok());
    return config.value();
}

PlanInputs inputs_for(const SwarmConfig& config)
{
    return PlanInputs{&config, "{config}", "/here/ring.json", "/data/model.bin", "/here/bin", "/here/work", ""};
}

// The owner runs as "ip netns exec ns-owner sh -c LINE", LINE exec'ing it on the config from stdin.
void check_owner_in_namespace(const ProcessPlan& owner)
{
    REQUIRE(owner.argv.size() == 7);
    CHECK(std::vector<std::string>(owner.argv.begin(), owner.argv.begin() + 6) ==
          std::vector<std::string>{"ip", "netns", "exec", "ns-owner", "sh", "-c"});
    CHECK(owner.argv[6].rfind("exec /here/bin/owner --config - --file /data/model.bin", 0) == 0);
}

}  // namespace

TEST_CASE("without a launch command every process runs here, directly, on the config file")
{
    const SwarmConfig config = parsed(nullptr);
    const PlanInputs inputs = inputs_for(config);
    const ProcessPlan owner = plan_process(inputs, 0);
    CHECK_FALSE(owner.remote);
    CHECK(owner.argv == std::vector<std::string>{"/here/bin/owner", "--config", "/here/ring.json", "--file",
                                                 "/data/model.bin", "--data-dir", "/here/work/owner", "--log-format",
                                                 "json", "--stop-with-stdin"});
    const ProcessPlan peer = plan_process(inputs, 2);
    CHECK(peer.argv[0] == "/here/bin/peer");
    CHECK(peer.argv[4] == "2");
    CHECK(peer.data_dir == "/here/work/peer-2");
    CHECK(on_host_of(inputs, 1, {"sha256sum", "x"}) == std::vector<std::string>{"sha256sum", "x"});
}

TEST_CASE("--expect goes to every peer, not to the owner")
{
    const SwarmConfig config = parsed(nullptr);
    PlanInputs inputs = inputs_for(config);
    inputs.expect = "0123456789abcdef";
    const auto has_expect = [](const ProcessPlan& plan) {
        for (std::size_t i = 0; i + 1 < plan.argv.size(); ++i)
            if (plan.argv[i] == "--expect" && plan.argv[i + 1] == "0123456789abcdef") return true;
        return false;
    };
    CHECK_FALSE(has_expect(plan_process(inputs, 0)));
    CHECK(has_expect(plan_process(inputs, 1)));
    CHECK(has_expect(plan_process(inputs, 2)));
}

TEST_CASE("through ssh: the host's command, then one shell line that execs the program on the config from stdin")
{
    const SwarmConfig config = parsed({{"command", "ssh -p 2222 ops@{host}"},
                                       {"bin_dir", "/opt/cs/bin"},
                                       {"work_dir", "/var/tmp/cs"},
                                       {"hosts", {{"10.0.0.12", {{"args", {"--max-upload-rate", "50M"}}}}}}});
    const PlanInputs inputs = inputs_for(config);
    const ProcessPlan peer = plan_process(inputs, 2);
    CHECK(peer.remote);
    CHECK(peer.config_text == "{config}");
    CHECK(peer.data_dir == "/var/tmp/cs/peer-2");
    CHECK(peer.argv == std::vector<std::string>{"ssh", "-p", "2222", "ops@10.0.0.12",
                                                "exec /opt/cs/bin/peer --config - --id 2 --data-dir /var/tmp/cs/peer-2 "
                                                "--log-format json --max-upload-rate 50M --stop-with-stdin"});
    // The other peer has no extra arguments.
    CHECK(plan_process(inputs, 1).argv.back().find("--max-upload-rate") == std::string::npos);
    CHECK(on_host_of(inputs, 0, {"sha256sum", "--", "/data/my model.bin"}) ==
          std::vector<std::string>{"ssh", "-p", "2222", "ops@10.0.0.1", "sha256sum -- '/data/my model.bin'"});
}

TEST_CASE("the installed form: the owner and peers as subcommands of chunkswarm, here and over ssh")
{
    const SwarmConfig config = parsed({{"command", "ssh {host}"}, {"bin_dir", "/usr/bin"}, {"work_dir", "/w"}});
    PlanInputs inputs = inputs_for(config);
    inputs.subcommands = true;
    CHECK(plan_process(inputs, 0).argv.back().rfind("exec /usr/bin/chunkswarm owner --config - --file", 0) == 0);
    CHECK(plan_process(inputs, 1).argv.back().rfind("exec /usr/bin/chunkswarm peer --config - --id 1", 0) == 0);
    CHECK(program_words(inputs, "/opt/bin", "peer") == std::vector<std::string>{"/opt/bin/chunkswarm", "peer"});
    inputs.subcommands = false;
    CHECK(program_words(inputs, "/opt/bin", "peer") == std::vector<std::string>{"/opt/bin/peer"});
}

TEST_CASE("--output: each peer's copy where the launcher says, {id} its id; the owner's copy is the original")
{
    const SwarmConfig config = parsed(nullptr);
    PlanInputs inputs = inputs_for(config);
    CHECK(plan_process(inputs, 2).copy == "/here/work/peer-2/model.bin");
    inputs.output = "/srv/copy-{id}.bin";
    const ProcessPlan peer = plan_process(inputs, 2);
    CHECK(peer.copy == "/srv/copy-2.bin");
    const auto at = std::find(peer.argv.begin(), peer.argv.end(), "--output");
    REQUIRE(at + 1 < peer.argv.end());
    CHECK(*(at + 1) == "/srv/copy-2.bin");
    CHECK(plan_process(inputs, 0).copy == "/data/model.bin");
}

TEST_CASE("a host's own command replaces everyone's; {name} names the process")
{
    const SwarmConfig config =
        parsed({{"command", "ssh {host}"},
                {"hosts", {{"10.0.0.1", {{"command", {"ip", "netns", "exec", "ns-{name}", "sh", "-c"}}}}}}});
    const PlanInputs inputs = inputs_for(config);
    check_owner_in_namespace(plan_process(inputs, 0));
    CHECK(plan_process(inputs, 1).argv[0] == "ssh");
}

TEST_CASE("a shell word comes back unchanged")
{
    CHECK(shell_quote("plain/path-1.2_x") == "plain/path-1.2_x");
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("two words") == "'two words'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(shell_quote("$HOME;rm -rf /") == "'$HOME;rm -rf /'");
    CHECK(shell_quote("{\"a\": 1}") == "'{\"a\": 1}'");
}

TEST_CASE("a bad launch object is refused with the field and the fix")
{
    auto error_of = [](nlohmann::json launch) {
        auto config = parse_config(ring(std::move(launch)));
        REQUIRE_FALSE(config.ok());
        return config.error().message;
    };
    CHECK(error_of({{"command", ""}}).find("launch.command") != std::string::npos);
    CHECK(error_of({{"command", {"ssh", 3}}}).find("is not a command") != std::string::npos);
    CHECK(error_of({{"command", "ssh {user}@{host}"}}).find("unknown placeholder") != std::string::npos);
    CHECK(error_of({{"bin_dir", "bin"}}).find("must be an absolute path") != std::string::npos);
    CHECK(error_of({{"hosts", {{"10.9.9.9", {{"command", "ssh x"}}}}}})
              .find("no process of the config is on this host") != std::string::npos);
    CHECK(error_of({{"hosts", {{"10.0.0.1", {{"hosts", {}}}}}}}).find("unknown field") != std::string::npos);
    CHECK(error_of({{"args", "--quiet"}}).find("not an array of strings") != std::string::npos);
    CHECK(error_of({{"commands", "ssh"}}).find("unknown field") != std::string::npos);
}

TEST_CASE("a command that runs a program (ip netns exec, sudo) gets sh -c and the line; ssh gets the line")
{
    const SwarmConfig config = parsed(
        {{"command", "ip netns exec ns-{name}"}, {"hosts", {{"10.0.0.11", {{"command", "/usr/bin/ssh -T {host}"}}}}}});
    const PlanInputs inputs = inputs_for(config);
    check_owner_in_namespace(plan_process(inputs, 0));
    const ProcessPlan peer = plan_process(inputs, 1);
    REQUIRE(peer.argv.size() == 4);
    CHECK(peer.argv[2] == "10.0.0.11");
    CHECK(peer.argv[3].rfind("exec /here/bin/peer --config - --id 1 ", 0) == 0);
    CHECK(on_host_of(inputs, 2, {"peer", "--digest", "/x y"}) ==
          std::vector<std::string>{"ip", "netns", "exec", "ns-peer-2", "sh", "-c", "peer --digest '/x y'"});
}
