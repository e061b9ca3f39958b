// The kinds of client a peer's download side runs, one class each: where a chunk from each source
// goes, and what each does when it ends. All run on the download loop and belong to DownloadSide
// (nested classes, so they reach its state without widening its interface).
#pragma once

#include <string>
#include <vector>

#include "chunkswarm/net/client_kind.hpp"
#include "download_side.hpp"

namespace chunkswarm::peer {

// The download neighbour (a peer on the route), or the owner once no peer upstream is left. Its
// end decides the peer's: complete, reroute, or fail.
class DownloadSide::Neighbour final : public net::ClientKind {
public:
    Neighbour(DownloadSide& side, Ask ask) : side_(side), ask_(std::move(ask)) {}
    Ask ask() const override { return ask_; }
    Result<void> accept_manifest(const Manifest& manifest) override;
    ChunkSet local_chunks() override { return side_.core_.inventory().snapshot(); }
    Result<void> store_chunk(ChunkId id, std::span<const std::uint8_t> bytes) override;
    void on_requested(const std::vector<ChunkId>& ids) override { side_.expect(ids); }
    bool requested_elsewhere(ChunkId id) const override { return side_.core_.inventory().is_coming(id); }
    bool claimed_elsewhere(ChunkId id) const override { return side_.helper_requested(id); }
    bool take_given_up(ChunkId id) override;
    void on_upstream(const Upstream& next) override;
    bool is_finished(const RequestPlanner& planner) const override { return planner.complete(); }
    Result<void> on_finished(const RequestPlanner&) override { return side_.finish_file_once(); }
    void on_end(const Result<void>& result) override;

private:
    DownloadSide& side_;
    Ask ask_;
};

// Beside a slow download neighbour: a peer further upstream, or the owner (HelperPolicy); each
// chunk is asked of one source only.
class DownloadSide::Helper final : public net::ClientKind {
public:
    Helper(DownloadSide& side, bool owner, std::uint64_t generation)
        : side_(side),
          owner_(owner),
          generation_(generation)
    {
    }
    Ask ask() const override { return Ask{.rescue = owner_, .skipped = {}, .helper = true}; }
    Result<void> accept_manifest(const Manifest& manifest) override;
    ChunkSet local_chunks() override { return side_.core_.inventory().snapshot(); }
    Result<void> store_chunk(ChunkId id, std::span<const std::uint8_t> bytes) override;
    void on_requested(const std::vector<ChunkId>& ids) override { side_.expect(ids); }
    bool requested_elsewhere(ChunkId id) const override { return side_.core_.inventory().is_coming(id); }
    bool claimed_elsewhere(ChunkId id) const override;
    bool is_finished(const RequestPlanner& planner) const override { return planner.complete(); }
    void on_end(const Result<void>& result) override;

private:
    // The client this kind belongs to (nullptr once it has left the helpers).
    const net::ChunkClient* client() const;

    DownloadSide& side_;
    const bool owner_;
    // Its slot among the helpers.
    const std::uint64_t generation_;
};

// A short session with the owner beside the upstream, fetching what it offers and this peer
// lacks of the chunks named by local_chunks().
class DownloadSide::OwnerRescue : public net::ClientKind {
public:
    explicit OwnerRescue(DownloadSide& side) : side_(side) {}
    Result<void> accept_manifest(const Manifest& manifest) override;
    void on_requested(const std::vector<ChunkId>& ids) override { side_.expect(ids); }
    bool is_finished(const RequestPlanner& planner) const override { return planner.remote_exhausted(); }

protected:
    DownloadSide& side_;
};

// What only the gone peers held (routing around them): the owner deals it again.
class DownloadSide::GoneRescue final : public OwnerRescue {
public:
    GoneRescue(DownloadSide& side, std::vector<PeerId> gone) : OwnerRescue(side), gone_(std::move(gone)) {}
    Ask ask() const override { return Ask{.rescue = true, .skipped = gone_, .helper = false}; }
    ChunkSet local_chunks() override { return side_.core_.inventory().snapshot(); }
    Result<void> store_chunk(ChunkId id, std::span<const std::uint8_t> bytes) override;
    void on_end(const Result<void>& result) override;

private:
    std::vector<PeerId> gone_;
};

// Chunks the upstream kept sending damaged: asks for every chunk but pretends to hold all the
// others, so it requests exactly those.
class DownloadSide::DamagedRescue final : public OwnerRescue {
public:
    using OwnerRescue::OwnerRescue;
    Ask ask() const override { return Ask{.rescue = true, .skipped = {}, .helper = false}; }
    ChunkSet local_chunks() override;
    Result<void> store_chunk(ChunkId id, std::span<const std::uint8_t> bytes) override;
    void on_end(const Result<void>& result) override { side_.on_rescue_end(result); }
};

}  // namespace chunkswarm::peer
