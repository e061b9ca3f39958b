// A peer's download side: its own loop on its own thread, downloading what the peer lacks from its
// download neighbour, or, when that peer is gone, from the next live peer upstream, with the owner
// for what only gone peers held and as the last resort. Everything about a gone neighbour is here.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chunkswarm/core/helper_policy.hpp"
#include "chunkswarm/core/upstream_route.hpp"
#include "chunkswarm/net/chunk_client.hpp"
#include "chunkswarm/net/loop_thread.hpp"
#include "chunkswarm/net/presence_link.hpp"
#include "peer_core.hpp"
#include "upload_side.hpp"

namespace chunkswarm::peer {

class DownloadSide {
public:
    DownloadSide(PeerCore& core, UploadSide& upload);
    DownloadSide(const DownloadSide&) = delete;
    DownloadSide& operator=(const DownloadSide&) = delete;

    struct Start {
        // The bootstrap could not reach the owner, so completion is not reported to it.
        bool owner_unreachable = false;
        // The bootstrap has its whole share already (or ended); otherwise share_held() says so later.
        bool share_held = false;
    };
    // Main thread, once the manifest is settled.
    void start(Start start);
    void join();

    // Any thread (the bootstrap's owner session, with early trading): a chunk of the share
    // stored, and the whole share held.
    void stored_from_owner(ChunkId id);
    void share_held(std::size_t from_owner);
    // Chunks just requested (by any client): announced as on their way here.
    void expect(const std::vector<ChunkId>& ids);

private:
    // The kinds of client it runs (download_kinds.hpp).
    class Neighbour;
    class Helper;
    class OwnerRescue;
    class GoneRescue;
    class DamagedRescue;
    struct HelperSlot;

    void start_downloading();
    void connect_upstream();
    void on_upstream_end(const Result<void>& result);
    void reroute(const std::string& reason);
    void start_gone_rescue(const std::vector<PeerId>& gone);
    void request_rescue(ChunkId id);
    void start_rescue();
    void on_rescue_end(const Result<void>& result);
    void watch_progress();
    void on_complete();
    void complete_here();
    Result<void> finish_file_once();
    void start_presence();
    // What the owner is told each second: held chunks, whether this peer heads a chain, the
    // upload it leaves unused.
    Report presence_report();
    void report_complete();
    void fail(Error error);
    void end();
    // Which client a chunk came through, for the rates the helper policy weighs.
    enum class Source { neighbour = 0, helper = 1, other = 2 };
    // A chunk that came through `via`: stored, and no longer asked of the other clients.
    Result<void> store_chunk(ChunkId id, std::span<const std::uint8_t> bytes, Source source,
                             const net::ChunkClient* via);
    void note_stored(ChunkId id, const net::ChunkClient* via);
    void review_sources();
    // `owes`: the neighbour owes answers for chunks it holds (a slow upload), else it waits for
    // its own downloads.
    void start_helper(bool owes);
    // Why a helper is added, for the log: which share of which rate fell short.
    std::string why_helper(bool owes, bool owner) const;
    // The next peer to help: the first the owner hinted at that is known beyond the neighbour and
    // not helping yet, else the next such peer upstream (nullptr: none known).
    const PeerRef* next_helper_peer() const;
    bool is_helping(PeerId peer) const;
    // Every helper goes (the neighbour keeps up again, the route changes, the peer is complete).
    void drop_helpers(const std::string& why);
    // One helper ended by itself (done, or failed: its peer gone or refusing).
    void on_helper_end(std::uint64_t generation, const Result<void>& result);
    void log_helper_dropped(const HelperSlot& slot, const std::string& why) const;
    // A helper runs because the neighbour is slow to send what it owes: this peer heads a chain
    // that must take the whole file from outside it, and asks the owner to deal to it first.
    bool heads_chain() const;
    // Whether a helper other than `except` has this chunk in flight.
    bool helper_requested(ChunkId id, const net::ChunkClient* except = nullptr) const;
    void write_summary_soon();
    std::string upstream_label() const { return route_.current() ? route_.current()->label() : "owner"; }
    // Once no peer upstream is left; the route never goes back from there.
    bool downloading_from_owner() const { return route_.current() == nullptr; }

    PeerCore& core_;
    UploadSide& upload_;
    // Declared before the handles living on it, so the loop is closed last.
    net::LoopThread thread_{"download"};
    // Download loop only (made on the main thread before the loop starts).
    UpstreamRoute route_;
    bool owner_unreachable_ = false;
    // Whom it downloads from: a peer on the route, or the owner once none is left.
    std::unique_ptr<net::ChunkClient> upstream_;
    // The owner, serving what only the gone peers held (routing around them).
    std::unique_ptr<net::ChunkClient> gone_rescue_;
    // The owner, serving chunks the upstream kept sending damaged.
    std::unique_ptr<net::ChunkClient> rescue_;
    ChunkSet rescue_wanted_;
    // The owner, told how far this peer is while it downloads, and that it is complete.
    std::unique_ptr<net::PresenceLink> presence_;
    // The upload's byte count and time at the last report, for the spare share in the next.
    std::uint64_t sent_at_report_ = 0;
    std::uint64_t report_ms_ = 0;
    // The owner's last hint: where the chunks this peer lacks are to be had (HelperHints).
    std::vector<PeerId> hinted_helpers_;
    // Beside a slow download neighbour: peers further upstream and the owner, see HelperPolicy.
    struct HelperSlot {
        std::unique_ptr<net::ChunkClient> client;
        HelperPolicy::Helper which;
        std::optional<PeerId> peer;  // none for the owner
        std::string label;
        std::uint64_t generation;
        bool neighbour_owed;  // started because the neighbour was slow to send what it owes
    };
    std::vector<HelperSlot> helpers_;
    // The owner has dealt this peer its whole share: only then may it also be a helper.
    bool share_held_ = false;
    // Counts helpers started, so each helper's end finds its own slot.
    std::uint64_t helper_generation_ = 0;
    HelperPolicy helper_policy_;
    std::unique_ptr<net::Timer> source_timer_;
    // Bytes stored since the last review, by Source.
    std::array<std::uint64_t, 3> tick_bytes_{};
    std::unique_ptr<net::Timer> summary_timer_;
    // The joined file is finished (once, by whichever path gets there first), and the peer complete.
    std::optional<Result<void>> file_finished_;
    bool completed_ = false;
    // Nothing stored for a while on a detour: back to the first peer of the route; then, after
    // give_up_s, the owner.
    std::unique_ptr<net::Timer> progress_timer_;
    std::uint64_t last_progress_ms_ = 0;
    std::uint32_t last_progress_count_ = 0;
    std::uint32_t stalls_ = 0;
};

}  // namespace chunkswarm::peer
