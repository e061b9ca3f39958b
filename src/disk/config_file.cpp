#include "chunkswarm/disk/config_file.hpp"

#include <fstream>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "chunkswarm/disk/file_util.hpp"

namespace chunkswarm {

using json = nlohmann::json;

namespace {

// nlohmann's text without its tag: "at line 3, column 7: syntax error while parsing ...".
std::string json_error_text(const json::parse_error& error)
{
    const std::string what = error.what();
    const std::size_t at = what.find("at line");
    return at == std::string::npos ? what : what.substr(at);
}

// Larger than any config of thousands of peers; a bigger "config" is some other file.
constexpr std::uintmax_t kMaxConfigBytes = 64 * 1024 * 1024;

// Only a regular file of a sane size is read: a directory, a pipe or a device would throw, block or
// never end.
Result<void> check_config_file(const std::filesystem::path& path)
{
    auto type = input_file_type(path);
    if (!type) return make_error("config: " + type.error().message + "; give --config a JSON file");
    if (type.value() != std::filesystem::file_type::regular) {
        return make_error("config " + path.string() + " is " + describe_file_type(type.value()) +
                          "; give --config a JSON file");
    }
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec && size > kMaxConfigBytes) {
        return make_error("config " + path.string() + " is " + std::to_string(size) + " bytes, more than any config (" +
                          std::to_string(kMaxConfigBytes) + "); give --config a JSON file");
    }
    return {};
}

}  // namespace

Result<SwarmConfig> load_config(const std::filesystem::path& path, std::string* text)
{
    json root;
    if (path == "-") {
        // One value and no more: the launcher keeps standard input open after it.
        try {
            std::cin >> root;
        } catch (const json::exception&) {
            return make_error("the config on standard input (--config -) is not valid JSON");
        }
    } else {
        CS_TRY(check_config_file(path));
        std::ifstream in(path);
        if (!in) return make_error("cannot open config " + path.string() + ": " + errno_text(errno));
        const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        if (in.bad()) return make_error("cannot read config " + path.string() + ": " + errno_text(errno));
        if (text) *text = bytes;
        try {
            root = json::parse(bytes);
        } catch (const json::parse_error& error) {
            return make_error(path.string() + " is not valid JSON " + json_error_text(error));
        }
    }
    auto config = parse_config(root);
    if (!config) return make_error(path.string() + ": " + config.error().message);
    return config;
}

}  // namespace chunkswarm
