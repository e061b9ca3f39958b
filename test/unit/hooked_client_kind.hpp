// A ClientKind whose answers are lambdas, so that each loopback test sets only what it watches.
// Product code gives each kind its own class instead (src/peer/download_kinds.hpp).
#pragma once

#include <functional>
#include <memory>

#include "chunkswarm/net/client_kind.hpp"

namespace chunkswarm::test {

struct Hooks {
    net::ClientKind::Ask ask;
    std::function<Result<void>(const Manifest&)> accept_manifest = [](const Manifest&) -> Result<void> { return {}; };
    // Empty: hashes frames are refused.
    std::function<Result<void>(const Manifest&, std::uint32_t)> accept_hashes;
    std::function<ChunkSet()> local_chunks = [] { return ChunkSet(); };
    std::function<Result<void>(ChunkId, std::span<const std::uint8_t>)> store_chunk =
        [](ChunkId, std::span<const std::uint8_t>) -> Result<void> { return {}; };
    std::function<void(const std::vector<ChunkId>&)> on_requested = [](const std::vector<ChunkId>&) {};
    std::function<void(ChunkId)> on_bad_chunk = [](ChunkId) {};
    std::function<bool(const RequestPlanner&)> is_finished = [](const RequestPlanner& p) { return p.complete(); };
    std::function<Result<void>(const RequestPlanner&)> on_finished = [](const RequestPlanner&) -> Result<void> {
        return {};
    };
    std::function<void(const Result<void>&)> on_end = [](const Result<void>&) {};
};

class HookedKind final : public net::ClientKind {
public:
    explicit HookedKind(Hooks hooks) : hooks_(std::move(hooks)) {}
    Ask ask() const override { return hooks_.ask; }
    Result<void> accept_manifest(const Manifest& m) override { return hooks_.accept_manifest(m); }
    bool takes_hashes() const override { return static_cast<bool>(hooks_.accept_hashes); }
    Result<void> accept_hashes(const Manifest& m, std::uint32_t first) override
    {
        return hooks_.accept_hashes(m, first);
    }
    ChunkSet local_chunks() override { return hooks_.local_chunks(); }
    Result<void> store_chunk(ChunkId id, std::span<const std::uint8_t> bytes) override
    {
        return hooks_.store_chunk(id, bytes);
    }
    void on_requested(const std::vector<ChunkId>& ids) override { hooks_.on_requested(ids); }
    void on_bad_chunk(ChunkId id) override { hooks_.on_bad_chunk(id); }
    bool is_finished(const RequestPlanner& p) const override { return hooks_.is_finished(p); }
    Result<void> on_finished(const RequestPlanner& p) override { return hooks_.on_finished(p); }
    void on_end(const Result<void>& r) override { hooks_.on_end(r); }

private:
    Hooks hooks_;
};

inline std::unique_ptr<net::ClientKind> kind(Hooks hooks) { return std::make_unique<HookedKind>(std::move(hooks)); }

}  // namespace chunkswarm::test
