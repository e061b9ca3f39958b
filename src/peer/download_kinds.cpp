#include "download_kinds.hpp"

#include "chunkswarm/log.hpp"

namespace chunkswarm::peer {

Result<void> DownloadSide::Neighbour::accept_manifest(const Manifest& manifest)
{
    return side_.core_.accept_manifest(manifest,
                                       side_.downloading_from_owner() ? ManifestFrom::owner : ManifestFrom::peer);
}

Result<void> DownloadSide::Neighbour::store_chunk(ChunkId id, std::span<const std::uint8_t> bytes)
{
    const Source source = side_.downloading_from_owner() ? Source::other : Source::neighbour;
    return side_.store_chunk(id, bytes, source, side_.upstream_.get());
}

bool DownloadSide::Neighbour::take_given_up(ChunkId id)
{
    side_.request_rescue(id);
    return true;
}

void DownloadSide::Neighbour::on_upstream(const Upstream& next)
{
    UpstreamRoute& route = side_.route_;
    if (!route.current()) return;
    // A copy: learning may grow the route and move what current() points at.
    const std::string label = route.current()->label();
    if (route.learn(route.current()->id, PeerRef{next.id, Endpoint{next.host, next.port}})) {
        log::debug("{} downloads from peer {} at {}:{}; that is where this peer goes if {} is gone", label, next.id,
                   next.host, next.port, label);
    }
}

void DownloadSide::Neighbour::on_end(const Result<void>& result)
{
    side_.thread_.post([&side = side_, result] { side.on_upstream_end(result); });
}

Result<void> DownloadSide::Helper::accept_manifest(const Manifest& manifest)
{
    return side_.core_.accept_manifest(manifest, owner_ ? ManifestFrom::owner : ManifestFrom::peer);
}

Result<void> DownloadSide::Helper::store_chunk(ChunkId id, std::span<const std::uint8_t> bytes)
{
    return side_.store_chunk(id, bytes, Source::helper, client());
}

// What the neighbour holds or is already getting is left to it unless it is slow to send what it
// owes: taking what the neighbour is about to relay spends the helper's upload, which the helper's
// own downstream needs, twice on each chunk (at 100 peers with equal capped links every peer took
// a helper early on, and each then served two downstreams at half the rate).
bool DownloadSide::Helper::claimed_elsewhere(ChunkId id) const
{
    if (side_.helper_requested(id, client())) return true;
    const net::ChunkClient* neighbour = side_.upstream_.get();
    return neighbour &&
           (neighbour->requested(id) || (!neighbour->owes_answers() && neighbour->remote_has_or_expects(id)));
}

const net::ChunkClient* DownloadSide::Helper::client() const
{
    for (const HelperSlot& slot : side_.helpers_)
        if (slot.generation == generation_) return slot.client.get();
    return nullptr;
}

void DownloadSide::Helper::on_end(const Result<void>& result)
{
    side_.thread_.post([&side = side_, result, generation = generation_] { side.on_helper_end(generation, result); });
}

Result<void> DownloadSide::OwnerRescue::accept_manifest(const Manifest& manifest)
{
    return side_.core_.accept_manifest(manifest, ManifestFrom::owner);
}

Result<void> DownloadSide::GoneRescue::store_chunk(ChunkId id, std::span<const std::uint8_t> bytes)
{
    return side_.store_chunk(id, bytes, Source::other, side_.gone_rescue_.get());
}

void DownloadSide::GoneRescue::on_end(const Result<void>& result)
{
    if (!result) {
        log::warn(
            "the owner cannot give what only the gone peer(s) held ({}); the peer goes on with the others, and "
            "gives up if those chunks never come",
            result.error().message);
    }
    // Only this client: a newer one may have taken its place by the time the task runs.
    side_.thread_.post([&side = side_, ended = static_cast<const net::ClientKind*>(this)] {
        if (side.gone_rescue_ && &side.gone_rescue_->kind() == ended) side.gone_rescue_.reset();
    });
}

ChunkSet DownloadSide::DamagedRescue::local_chunks()
{
    ChunkSet pretend_held = ChunkSet::all(side_.core_.manifest().chunk_count);
    for (ChunkId id : side_.rescue_wanted_.ids())
        pretend_held.erase(id);
    return pretend_held;
}

Result<void> DownloadSide::DamagedRescue::store_chunk(ChunkId id, std::span<const std::uint8_t> bytes)
{
    CS_TRY(side_.store_chunk(id, bytes, Source::other, side_.rescue_.get()));
    side_.rescue_wanted_.erase(id);
    return {};
}

}  // namespace chunkswarm::peer
