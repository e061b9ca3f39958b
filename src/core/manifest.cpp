#include "chunkswarm/core/manifest.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <set>

#include "chunkswarm/core/data_dir_names.hpp"
#include "chunkswarm/core/json_util.hpp"

namespace chunkswarm {
namespace {

std::string bytes_to_hex(std::string_view bytes);
std::optional<std::string> bytes_from_hex(std::string_view hex);

// A path as JSON has it: UTF-8 as it is, other bytes in hex (as file_name).
nlohmann::json path_json(const std::string& path)
{
    return is_valid_utf8(path) ? nlohmann::json{{"path", path}} : nlohmann::json{{"path_hex", bytes_to_hex(path)}};
}

nlohmann::json tree_json(const std::vector<TreeEntry>& tree)
{
    nlohmann::json entries = nlohmann::json::array();
    for (const TreeEntry& e : tree) {
        nlohmann::json entry = path_json(e.path);
        if (e.directory) {
            entry["dir"] = true;
        } else if (e.is_link()) {
            if (is_valid_utf8(e.link)) {
                entry["link"] = e.link;
            } else {
                entry["link_hex"] = bytes_to_hex(e.link);
            }
        } else {
            entry["size"] = e.size;
        }
        entry["mode"] = e.mode;
        entry["mtime_ns"] = e.mtime_ns;
        entries.push_back(std::move(entry));
    }
    return entries;
}

// The tree as one compact JSON array, entries in order: what the content id covers and what the
// wire carries.
std::string tree_listing(const std::vector<TreeEntry>& tree) { return tree_json(tree).dump(); }

Result<TreeEntry> tree_entry_from_json(const nlohmann::json& json)
{
    if (!json.is_object()) return make_error("manifest: a tree entry must be an object");
    TreeEntry entry;
    const bool hex = json.contains("path_hex");
    auto path = json.find(hex ? "path_hex" : "path");
    if (path == json.end() || !path->is_string() || (hex && json.contains("path"))) {
        return make_error("manifest: a tree entry needs one string \"path\" (or \"path_hex\")");
    }
    if (hex) {
        auto bytes = bytes_from_hex(path->get_ref<const std::string&>());
        if (!bytes) return make_error("manifest: \"path_hex\" must be an even number of hex digits");
        entry.path = *bytes;
    } else {
        entry.path = path->get<std::string>();
    }
    auto dir = json.find("dir");
    entry.directory = dir != json.end() && dir->is_boolean() && dir->get<bool>();
    const bool link_hex = json.contains("link_hex");
    if (auto link = json.find(link_hex ? "link_hex" : "link"); link != json.end()) {
        if (link->is_string() && !link_hex) {
            entry.link = link->get<std::string>();
        } else if (link->is_string() && !json.contains("link")) {
            entry.link = bytes_from_hex(link->get_ref<const std::string&>()).value_or(std::string());
        }
        if (entry.link.empty()) {
            return make_error("manifest: tree entry \"" + printable_name(entry.path) +
                              "\" has a \"link\" that is not one non-empty string (or \"link_hex\")");
        }
    }
    auto size = json.find("size");
    auto mode = json.find("mode");
    auto mtime = json.find("mtime_ns");
    auto size_value = size == json.end() ? std::nullopt : as_unsigned(*size);
    auto mode_value = mode == json.end() ? std::nullopt : as_unsigned(*mode);
    // Exactly one kind: a directory, a link, or a file with its size.
    const bool file = !entry.directory && !entry.is_link();
    if ((entry.directory && entry.is_link()) || file != (size != json.end()) || (file && !size_value) || !mode_value ||
        mtime == json.end() || !mtime->is_number_integer()) {
        return make_error("manifest: tree entry \"" + printable_name(entry.path) +
                          "\" needs a size (files), \"dir\": true or a \"link\", a mode and an integer mtime_ns");
    }
    entry.size = size_value.value_or(0);
    entry.mode = static_cast<std::uint32_t>(std::min<std::uint64_t>(*mode_value, 0xFFFFFFFF));
    entry.mtime_ns = mtime->get<std::int64_t>();
    return entry;
}

Result<std::vector<TreeEntry>> tree_from_json(const nlohmann::json& json)
{
    if (!json.is_array() || json.empty()) return make_error("manifest: \"tree\" must be a non-empty array");
    if (json.size() > kMaxTreeEntries) {
        return make_error("manifest: the tree has more than " + std::to_string(kMaxTreeEntries) + " entries");
    }
    std::vector<TreeEntry> tree;
    tree.reserve(json.size());
    for (const nlohmann::json& item : json) {
        auto entry = tree_entry_from_json(item);
        if (!entry) return entry.error();
        tree.push_back(std::move(entry).value());
    }
    return tree;
}

Result<void> check_tree_path(const std::string& path)
{
    const std::string shown = "\"" + printable_name(path) + "\"";
    if (path.empty() || path.size() > 4096) return make_error("tree path " + shown + " must be 1..4096 bytes long");
    if (path.front() == '/') return make_error("tree path " + shown + " is absolute");
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        const std::string_view part = std::string_view(path).substr(start, end - start);
        if (part.empty()) return make_error("tree path " + shown + " has an empty component");
        if (part == "." || part == "..") return make_error("tree path " + shown + " has a \".\" or \"..\" component");
        if (part.size() > 255) return make_error("tree path " + shown + " has a component longer than 255 bytes");
        if (part.find('\0') != std::string_view::npos) return make_error("tree path " + shown + " has a NUL byte");
        start = end + 1;
    }
    return {};
}

}  // namespace

nlohmann::json tree_to_json(const std::vector<TreeEntry>& tree) { return tree_json(tree); }

Result<void> check_link_target(const std::string& path, const std::string& target)
{
    const std::string shown = "\"" + printable_name(path) + "\" links to \"" + printable_name(target) + "\"";
    if (target.empty() || target.size() > 4096 || target.find('\0') != std::string::npos) {
        return make_error("tree path " + shown + ": a link's target must be 1..4096 bytes without NUL");
    }
    if (target.front() == '/') return make_error("tree path " + shown + ", an absolute path: it leaves the tree");
    // Leading ".." climb the link's own directories, which are real ones (nothing lies under a
    // link), so they may climb only to the root; after them the target only descends. A ".."
    // later would climb out of whatever link it passed through, whose depth is not its path's.
    std::int64_t depth = static_cast<std::int64_t>(std::count(path.begin(), path.end(), '/'));
    bool climbing = true;
    std::string_view rest = target;
    while (true) {
        const std::size_t slash = rest.find('/');
        const std::string_view part = rest.substr(0, slash);
        if (part == ".." && climbing) {
            if (--depth < 0) return make_error("tree path " + shown + ", which leaves the tree");
        } else if (part.empty() || part == "." || part == "..") {
            return make_error("tree path " + shown +
                              ": a link's target must be \"../\" steps, then names (no "
                              "\".\", no \"..\" after a name, no empty step)");
        } else {
            climbing = false;
        }
        if (slash == std::string_view::npos) break;
        rest = rest.substr(slash + 1);
    }
    if (climbing) return make_error("tree path " + shown + ": a link's target must end in a name");
    return {};
}

TreeCounts count_tree(const std::vector<TreeEntry>& tree)
{
    TreeCounts counts;
    for (const TreeEntry& entry : tree) {
        counts.files += entry.directory || entry.is_link() ? 0 : 1;
        counts.directories += entry.directory ? 1 : 0;
        counts.links += entry.is_link() ? 1 : 0;
        counts.bytes += entry.size;
    }
    return counts;
}

Result<void> check_tree(const std::vector<TreeEntry>& tree, std::uint64_t file_size)
{
    std::set<std::string_view> files;
    std::set<std::string_view> seen;
    std::uint64_t total = 0;
    for (const TreeEntry& entry : tree) {
        CS_TRY(check_tree_path(entry.path));
        const std::string shown = "\"" + printable_name(entry.path) + "\"";
        if (!seen.insert(entry.path).second) return make_error("tree path " + shown + " is listed twice");
        if (entry.mode > 0777) return make_error("tree path " + shown + " has mode bits beyond 0777");
        if (entry.is_link()) CS_TRY(check_link_target(entry.path, entry.link));
        if (!entry.directory) {
            files.insert(entry.path);  // and links: nothing may be written through one
            if (entry.size > file_size - std::min(total, file_size)) {
                return make_error("the tree's file sizes add up to more than file_size");
            }
            total += entry.size;
        }
    }
    if (total != file_size) return make_error("the tree's file sizes add up to less than file_size");
    // A file or a link may not stand where another entry needs a directory.
    for (const TreeEntry& entry : tree) {
        for (std::size_t slash = entry.path.find('/'); slash != std::string::npos;
             slash = entry.path.find('/', slash + 1)) {
            if (files.count(std::string_view(entry.path).substr(0, slash))) {
                return make_error("tree path \"" + printable_name(entry.path) + "\" lies under a file or a link");
            }
        }
    }
    return {};
}

std::uint32_t Manifest::chunk_length(ChunkId id) const
{
    if (id.value() + 1 < chunk_count) {
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
    if (is_tree()) {
        const std::string listing = tree_listing(tree);
        hash.update(std::span(reinterpret_cast<const std::uint8_t*>(listing.data()), listing.size()));
    }
    return hash.finish();
}

Result<std::string> parse_content_id(std::string_view text)
{
    std::string id(text);
    std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
    const bool hex =
        std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (!hex || id.size() < 16 || id.size() > 64) {
        return make_error("content id '" + std::string(text) +
                          "' must be 16 to 64 hex digits (the owner prints it: the content_id of its split event, "
                          "or the 16 digits after 'content id' in its log)");
    }
    return id;
}

bool has_content_id(const Manifest& manifest, std::string_view pinned)
{
    return to_hex(manifest.content_id()).starts_with(pinned);
}

Result<void> check_chunk_size(std::uint64_t chunk_size)
{
    if (chunk_size < kMinChunkSize || chunk_size > kMaxChunkSize) {
        return make_error("chunk size " + std::to_string(chunk_size) + " is outside " + std::to_string(kMinChunkSize) +
                          ".." + std::to_string(kMaxChunkSize) + " bytes");
    }
    return {};
}

std::uint32_t fit_chunk_size(std::uint64_t file_size, std::uint32_t preferred, std::uint32_t max_chunks)
{
    if (max_chunks == 0 || (file_size + preferred - 1) / preferred <= max_chunks) return preferred;
    constexpr std::uint64_t kPage = 4096;
    const std::uint64_t needed = (file_size + max_chunks - 1) / max_chunks;
    const std::uint64_t rounded = (needed + kPage - 1) / kPage * kPage;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(rounded, kMaxChunkSize));
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

std::vector<std::uint8_t> manifest_payload(const Manifest& m)
{
    const auto* hashes = reinterpret_cast<const std::uint8_t*>(m.chunk_sha256.data());
    std::vector<std::uint8_t> payload(hashes, hashes + m.chunk_sha256.size() * sizeof(Digest));
    if (m.is_tree()) {
        const std::string listing = tree_listing(m.tree);
        payload.insert(payload.end(), listing.begin(), listing.end());
    }
    return payload;
}

bool agrees_so_far(const Manifest& a, const Manifest& b)
{
    if (a.file_name != b.file_name || a.file_size != b.file_size || a.chunk_size != b.chunk_size ||
        a.chunk_count != b.chunk_count || a.tree != b.tree) {
        return false;
    }
    const std::size_t both = std::min(a.chunk_sha256.size(), b.chunk_sha256.size());
    return std::equal(a.chunk_sha256.begin(), a.chunk_sha256.begin() + static_cast<std::ptrdiff_t>(both),
                      b.chunk_sha256.begin());
}

Result<void> check_hashes_follow(const Manifest& manifest, std::uint64_t first, std::uint64_t count)
{
    if (first != manifest.hashed() || count > manifest.chunk_count - manifest.hashed()) {
        return make_error("chunk hashes " + std::to_string(first) + ".." + std::to_string(first + count) +
                          " do not follow the " + std::to_string(manifest.hashed()) + " held (of " +
                          std::to_string(manifest.chunk_count) + ")");
    }
    return {};
}

Result<void> append_hashes(Manifest& manifest, std::uint32_t first, std::span<const Digest> hashes)
{
    CS_TRY(check_hashes_follow(manifest, first, hashes.size()));
    manifest.chunk_sha256.insert(manifest.chunk_sha256.end(), hashes.begin(), hashes.end());
    return {};
}

nlohmann::json manifest_to_json(const Manifest& m)
{
    nlohmann::json json = manifest_head_to_json(m);
    if (m.is_tree()) json["tree"] = tree_json(m.tree);
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

Result<Manifest> manifest_from_wire(const nlohmann::json& head, std::span<const std::uint8_t> payload)
{
    auto manifest = manifest_head_from_json(head);
    if (!manifest) return manifest;
    Manifest& m = manifest.value();
    std::uint64_t tree_bytes = 0;
    if (auto it = head.find("tree_bytes"); it != head.end()) {
        auto value = as_unsigned(*it);
        if (!value || *value == 0 || *value > kMaxTreeListingBytes) {
            return make_error("manifest: \"tree_bytes\" must be 1.." + std::to_string(kMaxTreeListingBytes));
        }
        tree_bytes = *value;
    }
    std::uint32_t hashed = m.chunk_count;
    if (auto it = head.find("hashed"); it != head.end()) {
        auto value = as_unsigned(*it);
        if (!value || *value >= m.chunk_count) {
            return make_error("manifest: \"hashed\" must be 0.." + std::to_string(m.chunk_count - 1) +
                              " (left out when every chunk is)");
        }
        hashed = static_cast<std::uint32_t>(*value);
    }
    const std::size_t hash_bytes = std::size_t{hashed} * sizeof(Digest);
    if (payload.size() != hash_bytes + tree_bytes) {
        return make_error(
            "manifest: the payload must hold 32 bytes of SHA-256 per chunk hashed, then tree_bytes of tree");
    }
    m.chunk_sha256.resize(hashed);
    // With none hashed yet, data() may be null, which memcpy must not be given even for 0 bytes.
    if (hash_bytes > 0) std::memcpy(m.chunk_sha256.data(), payload.data(), hash_bytes);
    if (tree_bytes > 0) {
        auto listing = nlohmann::json::parse(payload.begin() + static_cast<std::ptrdiff_t>(hash_bytes), payload.end(),
                                             nullptr, false);
        if (listing.is_discarded()) return make_error("manifest: the tree listing is not valid JSON");
        CS_TRY_ASSIGN(m.tree, tree_from_json(listing));
        if (auto checked = check_tree(m.tree, m.file_size); !checked) {
            return make_error("manifest: " + checked.error().message);
        }
    }
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
    if (auto tree = json.find("tree"); tree != json.end()) {
        CS_TRY_ASSIGN(m.tree, tree_from_json(*tree));
        if (auto checked = check_tree(m.tree, m.file_size); !checked) {
            return make_error("manifest: " + checked.error().message);
        }
    }
    return manifest;
}

}  // namespace chunkswarm
