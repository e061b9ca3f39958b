#include "chunkswarm/manifest.hpp"

#include <cstring>
#include <fstream>

#include "chunkswarm/file_util.hpp"
#include "chunkswarm/json_util.hpp"

namespace chunkswarm {

std::uint32_t Manifest::chunk_length(ChunkId id) const
{
    if (id + 1 < chunk_count) {
        return chunk_size;
    }
    return static_cast<std::uint32_t>(file_size - static_cast<std::uint64_t>(chunk_size) * (chunk_count - 1));
}

Digest Manifest::content_id() const
{
    std::uint8_t layout[12];
    for (int i = 0; i < 8; ++i)
        layout[i] = static_cast<std::uint8_t>(file_size >> (56 - 8 * i));
    for (int i = 0; i < 4; ++i)
        layout[8 + i] = static_cast<std::uint8_t>(chunk_size >> (24 - 8 * i));
    Sha256 hash;
    hash.update(layout);
    for (const Digest& digest : chunk_sha256)
        hash.update(digest);
    return hash.finish();
}

Result<void> check_chunk_size(std::uint64_t chunk_size)
{
    if (chunk_size < kMinChunkSize || chunk_size > kMaxChunkSize) {
        return make_error("chunk size " + std::to_string(chunk_size) + " is outside " + std::to_string(kMinChunkSize) +
                          ".." + std::to_string(kMaxChunkSize) + " bytes");
    }
    return {};
}

Result<std::uint32_t> plan_chunk_count(std::uint64_t file_size, std::uint32_t chunk_size)
{
    if (auto r = check_chunk_size(chunk_size); !r) {
        return r.error();
    }
    std::uint64_t count = (file_size + chunk_size - 1) / chunk_size;
    if (count < kMinChunkCount) {
        return make_error("the file is " + std::to_string(file_size) + " bytes, which makes " + std::to_string(count) +
                          " chunk(s) of " + std::to_string(chunk_size) + " bytes; at least " +
                          std::to_string(kMinChunkCount) + " are needed (more than " +
                          std::to_string(std::uint64_t{chunk_size} * (kMinChunkCount - 1)) + " bytes)");
    }
    if (count > kMaxChunkCount) {
        return make_error("the file makes " + std::to_string(count) + " chunks; at most " +
                          std::to_string(kMaxChunkCount) + " are supported (use a larger chunk size)");
    }
    return static_cast<std::uint32_t>(count);
}

Result<void> check_file_name(std::string_view name)
{
    if (name.empty() || name.size() > 255) {
        return make_error("file name must be 1..255 bytes long");
    }
    if (name == "." || name == "..") {
        return make_error("file name \"" + printable_name(name) + "\" is not a file");
    }
    for (char c : name) {
        if (c == '/' || c == '\\' || c == '\0' || static_cast<unsigned char>(c) < 0x20) {
            return make_error("file name \"" + printable_name(name) +
                              "\" contains a path separator or control character; rename the file");
        }
    }
    if (is_reserved_name(name)) {
        return make_error("file name \"" + printable_name(name) +
                          "\" collides with chunkswarm's own files; rename the file");
    }
    return {};
}

bool is_valid_utf8(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t extra = 0;
        std::uint32_t code = 0;
        if (lead < 0x80) {
            ++i;
            continue;
        }
        if (lead >= 0xC2 && lead <= 0xDF) {
            extra = 1;
            code = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            extra = 2;
            code = lead & 0x0F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            extra = 3;
            code = lead & 0x07;
        } else {
            return false;
        }
        if (i + extra >= text.size()) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) return false;
            code = (code << 6) | (next & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        static constexpr std::uint32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
        if (code < kSmallest[extra] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return false;
        i += extra + 1;
    }
    return true;
}

namespace {

std::string bytes_to_hex(std::string_view bytes)
{
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (char c : bytes) {
        hex += kDigits[static_cast<unsigned char>(c) >> 4];
        hex += kDigits[static_cast<unsigned char>(c) & 15];
    }
    return hex;
}

std::optional<std::string> bytes_from_hex(std::string_view hex)
{
    if (hex.size() % 2 != 0) return std::nullopt;
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string bytes;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int high = digit(hex[i]);
        int low = digit(hex[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        bytes += static_cast<char>(high * 16 + low);
    }
    return bytes;
}

}  // namespace

std::string printable_name(std::string_view name)
{
    // Control characters (a newline is a legal byte in a Linux file name) would break the one
    // line a message takes; bytes past ASCII are shown as they are only when they are UTF-8.
    const bool utf8 = is_valid_utf8(name);
    std::string shown;
    for (char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte != 0x7f && (byte < 0x80 || utf8)) {
            shown += c;
            continue;
        }
        static constexpr char kDigits[] = "0123456789abcdef";
        shown += "\\x";
        shown += kDigits[byte >> 4];
        shown += kDigits[byte & 15];
    }
    return shown;
}

nlohmann::json manifest_head_to_json(const Manifest& m)
{
    // JSON strings are UTF-8; a name in another encoding (Latin-1 is common on old disks) travels
    // as its bytes in hex, so the peers write exactly the same name.
    nlohmann::json name = is_valid_utf8(m.file_name) ? nlohmann::json{{"file_name", m.file_name}}
                                                     : nlohmann::json{{"file_name_hex", bytes_to_hex(m.file_name)}};
    nlohmann::json head{{"file_size", m.file_size}, {"chunk_size", m.chunk_size}, {"chunk_count", m.chunk_count}};
    head.update(name);
    return head;
}

nlohmann::json manifest_to_json(const Manifest& m)
{
    nlohmann::json json = manifest_head_to_json(m);
    nlohmann::json& chunks = json["chunk_sha256"] = nlohmann::json::array();
    for (const Digest& d : m.chunk_sha256) {
        chunks.push_back(to_hex(d));
    }
    return json;
}

namespace {

template <class T>
Result<T> field(const nlohmann::json& json, const char* name)
{
    auto it = json.find(name);
    if (it == json.end()) {
        return make_error(std::string("manifest: missing field \"") + name + "\"");
    }
    if constexpr (std::is_same_v<T, std::string>) {
        if (!it->is_string()) return make_error(std::string("manifest: \"") + name + "\" must be a string");
    } else {
        auto value = as_unsigned(*it);
        if (!value) return make_error(std::string("manifest: \"") + name + "\" must be a non-negative integer");
        return static_cast<T>(*value);
    }
    return it->get<T>();
}

// "file_name" (UTF-8) or "file_name_hex" (any other bytes), exactly one of them.
Result<std::string> file_name_field(const nlohmann::json& json)
{
    if (!json.contains("file_name_hex")) return field<std::string>(json, "file_name");
    if (json.contains("file_name")) return make_error("manifest: both \"file_name\" and \"file_name_hex\" are given");
    auto hex = field<std::string>(json, "file_name_hex");
    if (!hex) return hex.error();
    auto bytes = bytes_from_hex(hex.value());
    if (!bytes) return make_error("manifest: \"file_name_hex\" must be an even number of hex digits");
    return *bytes;
}

// The fields of manifest_head_to_json, checked against each other; chunk hashes left empty.
Result<Manifest> manifest_head_from_json(const nlohmann::json& json)
{
    if (!json.is_object()) {
        return make_error("manifest: not a JSON object");
    }
    auto name = file_name_field(json);
    auto size = field<std::uint64_t>(json, "file_size");
    auto chunk_size = field<std::uint64_t>(json, "chunk_size");
    auto count = field<std::uint64_t>(json, "chunk_count");
    for (const Error* e : {name.ok() ? nullptr : &name.error(), size.ok() ? nullptr : &size.error(),
                           chunk_size.ok() ? nullptr : &chunk_size.error(), count.ok() ? nullptr : &count.error()}) {
        if (e) return *e;
    }
    if (auto r = check_file_name(name.value()); !r) return make_error("manifest: " + r.error().message);
    if (auto r = check_chunk_size(chunk_size.value()); !r) return make_error("manifest: " + r.error().message);
    auto planned = plan_chunk_count(size.value(), static_cast<std::uint32_t>(chunk_size.value()));
    if (!planned) return make_error("manifest: " + planned.error().message);
    if (planned.value() != count.value())
        return make_error("manifest: chunk_count does not match file_size / chunk_size");

    Manifest m;
    m.file_name = name.value();
    m.file_size = size.value();
    m.chunk_size = static_cast<std::uint32_t>(chunk_size.value());
    m.chunk_count = planned.value();
    return m;
}

}  // namespace

Result<Manifest> manifest_from_wire(const nlohmann::json& head, std::span<const std::uint8_t> chunk_hashes)
{
    auto manifest = manifest_head_from_json(head);
    if (!manifest) return manifest;
    Manifest& m = manifest.value();
    if (chunk_hashes.size() != std::size_t{m.chunk_count} * sizeof(Digest)) {
        return make_error("manifest: the payload must hold 32 bytes of SHA-256 per chunk");
    }
    m.chunk_sha256.resize(m.chunk_count);
    std::memcpy(m.chunk_sha256.data(), chunk_hashes.data(), chunk_hashes.size());
    return manifest;
}

Result<Manifest> manifest_from_json(const nlohmann::json& json)
{
    auto manifest = manifest_head_from_json(json);
    if (!manifest) return manifest;
    Manifest& m = manifest.value();
    auto chunks = json.find("chunk_sha256");
    if (chunks == json.end() || !chunks->is_array() || chunks->size() != m.chunk_count) {
        return make_error("manifest: chunk_sha256 must be an array with one hash per chunk");
    }
    m.chunk_sha256.reserve(m.chunk_count);
    for (const auto& entry : *chunks) {
        auto d = entry.is_string() ? digest_from_hex(entry.get_ref<const std::string&>()) : std::nullopt;
        if (!d) return make_error("manifest: chunk_sha256 entries must be 64 hex digits");
        m.chunk_sha256.push_back(*d);
    }
    return manifest;
}

Result<Manifest> load_manifest(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error("cannot open manifest " + path.string());
    }
    nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded()) {
        return make_error(path.string() + " is not valid JSON");
    }
    return manifest_from_json(json);
}

Result<void> save_manifest(const Manifest& manifest, const std::filesystem::path& path)
{
    // Written as text directly: a JSON tree of every hash costs about 150 bytes per chunk.
    std::string head = manifest_head_to_json(manifest).dump(1);
    head.pop_back();  // the closing brace
    std::string text;
    text.reserve(head.size() + manifest.chunk_sha256.size() * 70 + 32);
    text += head + ",\n \"chunk_sha256\": [";
    for (std::size_t i = 0; i < manifest.chunk_sha256.size(); ++i)
        text += (i ? ",\n  \"" : "\n  \"") + to_hex(manifest.chunk_sha256[i]) + "\"";
    text += "\n ]\n}\n";
    return write_file_atomically(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace chunkswarm
