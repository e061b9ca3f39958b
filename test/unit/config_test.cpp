#include <doctest/doctest.h>

#include <sys/stat.h>

#include "chunkswarm/core/config.hpp"
#include "chunkswarm/disk/config_file.hpp"
#include "test_ids.hpp"
#include "test_util.hpp"

using namespace chunkswarm;
using nlohmann::json;

namespace {

json ring(int n)
{
    json peers = json::array();
    for (int i = 1; i <= n; ++i) {
        peers.push_back({{"id", i}, {"port", 7000 + i}, {"download_neighbor", i == 1 ? n : i - 1}});
    }
    return {{"owner", {{"host", "127.0.0.1"}, {"port", 7000}}}, {"peers", peers}};
}

std::string error_of(const json& config)
{
    auto parsed = parse_config(config);
    REQUIRE_FALSE(parsed.ok());
    return parsed.error().message;
}

}  // namespace

TEST_CASE("a ring of five loads with defaults filled in")
{
    auto config = parse_config(ring(5));
    REQUIRE(config.ok());
    CHECK(config->peers.size() == 5);
    CHECK(config->chunk_size == 102400);
    CHECK(config->peers[0].endpoint.host == "127.0.0.1");
    CHECK(config->upload_neighbor_of(1_peer)->id == 2_peer);
    CHECK(config->peer_data_dir(config->peers[2]) == "data/peer-3");
    CHECK(config->resolved_owner_data_dir() == "data/owner");
    CHECK(config->settings.request_window == Settings{}.request_window);
    CHECK(config->settings.owner_request_window == Settings{}.owner_request_window);
}

TEST_CASE("a list of hosts is a ring: ids by position, default ports, each downloading from the one before")
{
    json config = {{"owner", {{"host", "node0.example"}}},
                   {"peers", {"node1.example", "node2.example", {{"host", "node3.example"}, {"port", 9000}}}}};
    auto parsed = parse_config(config);
    REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().message));
    CHECK(parsed->owner.host == "node0.example");
    CHECK(parsed->owner.port == 7100);
    REQUIRE(parsed->peers.size() == 3);
    const std::uint32_t neighbours[] = {3, 1, 2};
    const std::uint16_t ports[] = {7101, 7102, 9000};
    for (std::size_t i = 0; i < 3; ++i) {
        CAPTURE(i);
        CHECK(parsed->peers[i].id.value() == i + 1);
        CHECK(parsed->peers[i].endpoint.host == "node" + std::to_string(i + 1) + ".example");
        CHECK(parsed->peers[i].endpoint.port == ports[i]);
        CHECK(parsed->peers[i].download_neighbor.value() == neighbours[i]);
    }
    // Given ids are kept, and the default neighbour is the peer listed before, by its id.
    config["peers"] = {{{"id", 10}, {"host", "a"}}, {{"id", 20}, {"host", "b"}}};
    parsed = parse_config(config);
    REQUIRE(parsed.ok());
    CHECK(parsed->peers[0].download_neighbor == 20_peer);
    CHECK(parsed->peers[1].download_neighbor == 10_peer);
    CHECK(parsed->peers[1].endpoint.port == 7120);
    // Two peers on one host need ports of their own: the defaults differ by id.
    config["peers"] = {"127.0.0.1", "127.0.0.1"};
    CHECK(parse_config(config).ok());
}

TEST_CASE("the shipped configs load")
{
    for (const char* name : {"ring5.json", "ring7.json", "cluster.json"}) {
        INFO(name);
        auto config = load_config(std::filesystem::path(CHUNKSWARM_SOURCE_DIR) / "configs" / name);
        CHECK_MESSAGE(config.ok(), (config.ok() ? "" : config.error().message));
    }
}

TEST_CASE("each kind of mistake is named with its field")
{
    struct Case {
        const char* name;
        std::function<void(json&)> edit;
        const char* expect;
    };
    std::vector<Case> cases = {
        {"owner missing", [](json& c) { c.erase("owner"); }, "owner: missing"},
        {"peer neither object nor host", [](json& c) { c["peers"][1] = 7; }, "peers[1]: must be an object or a host"},
        {"peer host not a name", [](json& c) { c["peers"][1] = "node 2"; }, "peers[1].host"},
        {"port zero", [](json& c) { c["owner"]["port"] = 0; }, "owner.port"},
        {"port too big", [](json& c) { c["peers"][1]["port"] = 70000; }, "peers[1].port"},
        {"port as a string", [](json& c) { c["peers"][1]["port"] = "7002"; }, "peers[1].port"},
        {"host not a name", [](json& c) { c["peers"][0]["host"] = "node 12"; }, "peers[0].host"},
        {"id negative", [](json& c) { c["peers"][2]["id"] = -1; }, "peers[2].id"},
        {"duplicate id", [](json& c) { c["peers"][1]["id"] = 1; }, "already used"},
        {"duplicate port", [](json& c) { c["peers"][1]["port"] = 7001; }, "already used"},
        {"port same as owner", [](json& c) { c["peers"][1]["port"] = 7000; }, "already used by owner"},
        {"neighbor unknown", [](json& c) { c["peers"][1]["download_neighbor"] = 9; }, "not the id of any peer"},
        {"neighbor is itself", [](json& c) { c["peers"][1]["download_neighbor"] = 2; }, "itself"},
        {"one peer only", [](json& c) { c["peers"] = json::array({c["peers"][0]}); }, "at least 2"},
        {"peers not an array", [](json& c) { c["peers"] = 5; }, "at least 2"},
        {"unknown field", [](json& c) { c["chunksize"] = 5; }, "chunksize: unknown field"},
        {"unknown peer field", [](json& c) { c["peers"][0]["neighbour"] = 5; }, "peers[0].neighbour"},
        {"chunk size too small", [](json& c) { c["chunk_size"] = 10; }, "chunk_size"},
        {"bad setting",
         [](json& c) {
             c["settings"] = {{"request_window", 0}};
         },
         "settings.request_window"},
        {"owner window of 0",
         [](json& c) {
             c["settings"] = {{"owner_request_window", 0}};
         },
         "settings.owner_request_window"},
        {"unknown setting",
         [](json& c) {
             c["settings"] = {{"window", 4}};
         },
         "settings.window"},
        {"a rate too slow to move a chunk",
         [](json& c) {
             c["settings"] = {{"max_upload_rate", 50000}};
         },
         "settings.max_upload_rate: 50000 bytes per second is too slow"},
        {"a rate as a string without a unit we know",
         [](json& c) {
             c["settings"] = {{"max_download_rate", "10 MB/s"}};
         },
         "settings.max_download_rate: '10 MB/s'"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        json config = ring(5);
        c.edit(config);
        std::string message = error_of(config);
        CHECK_MESSAGE(message.find(c.expect) != std::string::npos, message);
    }
}

TEST_CASE("a topology where chunks cannot reach every peer names the peer that would starve")
{
    // Two rings of two: 1 <-> 2 and 3 <-> 4.
    json config = ring(4);
    config["peers"][0]["download_neighbor"] = 2;
    config["peers"][2]["download_neighbor"] = 4;
    std::string message = error_of(config);
    CHECK(message.find("peer 1 would starve") != std::string::npos);
    CHECK(message.find("3, 4") != std::string::npos);

    // A tail: 3 downloads from the 1 <-> 2 ring, but nobody downloads from 3, so 1 and 2 never see its share.
    json tail = ring(3);
    tail["peers"][0]["download_neighbor"] = 2;
    tail["peers"][2]["download_neighbor"] = 2;
    CHECK(error_of(tail).find("would starve") != std::string::npos);
}

TEST_CASE("load_config names the file and explains unreadable or invalid JSON")
{
    test::TempDir dir;
    CHECK(load_config(dir.path() / "none.json").error().message.find("none.json does not exist") != std::string::npos);
    // Neither a directory nor a pipe is read (one threw, the other blocked for ever).
    CHECK(load_config(dir.path()).error().message.find("is a directory; give --config a JSON file") !=
          std::string::npos);
    REQUIRE(::mkfifo((dir.path() / "pipe.json").c_str(), 0600) == 0);
    CHECK(load_config(dir.path() / "pipe.json").error().message.find("is a named pipe (FIFO)") != std::string::npos);
    std::ofstream(dir.path() / "bad.json") << "{ not json";
    CHECK(load_config(dir.path() / "bad.json").error().message.find("not valid JSON at line 1, column 4") !=
          std::string::npos);
    std::ofstream(dir.path() / "bad3.json") << "{\n  \"owner\": {},\n  \"peers\": [1,]\n}";
    CHECK(load_config(dir.path() / "bad3.json").error().message.find("at line 3, column") != std::string::npos);
    std::ofstream(dir.path() / "bad2.json") << R"({"owner": {"port": 1}, "peers": []})";
    CHECK(load_config(dir.path() / "bad2.json").error().message.find("bad2.json: peers") != std::string::npos);
}

TEST_CASE(
    "keep_chunk_files, verify_joined_file, max_chunk_failures, early_trading and owner_request_window are settings a "
    "config may set")
{
    auto defaults = parse_config(ring(5));
    REQUIRE(defaults.ok());
    CHECK(defaults->settings.keep_chunk_files);
    CHECK_FALSE(defaults->settings.verify_joined_file);
    CHECK(defaults->settings.early_trading);
    json config = ring(5);
    config["settings"] = {{"keep_chunk_files", false},
                          {"verify_joined_file", true},
                          {"max_chunk_failures", 7},
                          {"early_trading", false},
                          {"owner_request_window", 9}};
    auto parsed = parse_config(config);
    REQUIRE(parsed.ok());
    CHECK_FALSE(parsed->settings.keep_chunk_files);
    CHECK(parsed->settings.verify_joined_file);
    CHECK(parsed->settings.max_chunk_failures == 7);
    CHECK_FALSE(parsed->settings.early_trading);
    CHECK(parsed->settings.owner_request_window == 9);
    CHECK(parsed->settings.request_window == Settings{}.request_window);  // the neighbours' stays
    config["settings"] = {{"keep_chunk_files", "no"}};
    CHECK(error_of(config).find("settings.keep_chunk_files: \"no\" is not true or false") != std::string::npos);
}

TEST_CASE("how soon a gone peer is routed around, given up on, and left: settings with sane ranges")
{
    auto defaults = parse_config(ring(5));
    REQUIRE(defaults.ok());
    CHECK(defaults->settings.neighbor_gone_s == 5);
    CHECK(defaults->settings.give_up_s == 60);
    CHECK(defaults->settings.idle_exit_s == 10);
    json config = ring(5);
    config["settings"] = {{"neighbor_gone_s", 2}, {"give_up_s", 15}, {"idle_exit_s", 4}};
    auto parsed = parse_config(config);
    REQUIRE(parsed.ok());
    CHECK(parsed->settings.neighbor_gone_s == 2);
    CHECK(parsed->settings.give_up_s == 15);
    CHECK(parsed->settings.idle_exit_s == 4);
    for (const char* key : {"neighbor_gone_s", "give_up_s", "idle_exit_s"}) {
        CAPTURE(key);
        config["settings"] = {{key, 0}};
        CHECK(error_of(config).find(std::string("settings.") + key) != std::string::npos);
    }
}

TEST_CASE("rate caps load from the settings, 0 meaning none")
{
    json config = ring(5);
    CHECK(parse_config(config)->settings.max_upload_rate == 0);
    config["settings"] = {{"max_upload_rate", 12'500'000}, {"max_download_rate", 0}};
    auto parsed = parse_config(config);
    REQUIRE(parsed.ok());
    CHECK(parsed->settings.max_upload_rate == 12'500'000);
    CHECK(parsed->settings.max_download_rate == 0);
    // With units, as on the command line.
    config["settings"] = {{"max_upload_rate", "12.5M"}, {"max_download_rate", "10Mi"}};
    parsed = parse_config(config);
    REQUIRE(parsed.ok());
    CHECK(parsed->settings.max_upload_rate == 12'500'000);
    CHECK(parsed->settings.max_download_rate == 10 * 1024 * 1024);
    config["settings"] = {{"max_upload_rate", "12.5 furlongs"}};
    CHECK(parse_config(config).error().message.find("settings.max_upload_rate: '12.5 furlongs'") != std::string::npos);
}

TEST_CASE("a rate on the command line takes decimal and binary units")
{
    CHECK(parse_rate("12500000").value() == 12'500'000);
    CHECK(parse_rate("12.5M").value() == 12'500'000);
    CHECK(parse_rate("500k").value() == 500'000);
    CHECK(parse_rate("100k").value() == 100'000);
    CHECK(parse_rate("10Mi").value() == 10 * 1024 * 1024);
    CHECK(parse_rate("1Gi").value() == 1024ull * 1024 * 1024);
    CHECK(parse_rate("0").value() == 0);
    for (const char* bad : {"", "M", "fast", "5X", "1.2.3M", "-5M", "99999", "2000G"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_rate(bad).ok());
    }
}

TEST_CASE("an address on the command line is HOST:PORT, IPv6 in brackets")
{
    auto same = [](const Result<Endpoint>& got, const std::string& host, std::uint16_t port) {
        return got.ok() && got->host == host && got->port == port;
    };
    CHECK(same(parse_endpoint("127.0.0.1:9100"), "127.0.0.1", 9100));
    CHECK(same(parse_endpoint("localhost:9100"), "127.0.0.1", 9100));
    CHECK(same(parse_endpoint(":9100"), "0.0.0.0", 9100));
    CHECK(same(parse_endpoint("[::1]:0"), "::1", 0));
    CHECK(same(parse_endpoint("10.0.0.7:65535"), "10.0.0.7", 65535));
    CHECK(same(parse_endpoint("node12.example:80"), "node12.example", 80));
    for (const char* bad : {"", "9100", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:9x",
                            "exa_mple.com:80", "::1:80x"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_endpoint(bad).ok());
    }
    CHECK(parse_endpoint("9100").error().message.find("HOST:PORT") != std::string::npos);
}

TEST_CASE("a host is an IPv4 or IPv6 address or a host name; nothing else")
{
    for (const char* good : {"127.0.0.1", "::1", "fe80::1", "node12", "node12.example", "node-12.dc1.example.",
                             "a.b-c.d", "10.0.0.300.example"}) {
        CAPTURE(good);
        CHECK(check_host(good).ok());
    }
    const std::string long_label(64, 'a');
    std::string too_long;
    while (too_long.size() <= 253)
        too_long += "abcdefgh.";
    for (const std::string& bad : {std::string(""), std::string("node 12"), std::string("-node"), std::string("node-"),
                                   std::string("a..b"), std::string(".a"), std::string("a_b"), std::string("[::1]"),
                                   long_label + ".example", too_long, std::string("\xff")}) {
        CAPTURE(bad);
        CHECK_FALSE(check_host(bad).ok());
    }
    CHECK(check_host("node 12").error().message.find("\"node 12\" is neither") != std::string::npos);
}

TEST_CASE("content_id pins the content: 16 to 64 hex digits, kept in lower case")
{
    json config = ring(3);
    CHECK(parse_config(config)->content_id.empty());
    config["content_id"] = "0123456789ABCDEF01";
    auto pinned = parse_config(config);
    REQUIRE(pinned.ok());
    CHECK(pinned->content_id == "0123456789abcdef01");
    for (const char* bad : {"0123456789abcde", "0123456789abcdeg", "not hex at all, far too long for any id"}) {
        config["content_id"] = bad;
        CHECK(error_of(config).starts_with("content_id: content id '"));
    }
    config["content_id"] = 7;
    CHECK_FALSE(parse_config(config).ok());
}
