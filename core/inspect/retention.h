// Retention of the NG frames that live inspection keeps (docs/station_retention.md): per
// project, frames older than N days or beyond N GB in all are removed, oldest first (their
// verdict rows stay and say so), and below a free-disk floor no frame is kept while inspection
// goes on. The settings live in the project's key/value settings.
#pragma once

#include "core/project/project_store.h"

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>

namespace kizu::inspect {

// GB here is 10^9 bytes.
struct RetentionPolicy {
    double days = 30;     // keep a frame at most this many days; 0: no age limit
    double maxGb = 20;    // the kept frames take at most this much; 0: no size limit
    double minFreeGb = 2; // keep no frame while the disk has less free space; 0: no floor
    bool operator==(const RetentionPolicy&) const = default;
};

// The project's policy (the defaults above where it has none).
RetentionPolicy loadRetentionPolicy(const project::ProjectStore& store);
// Checks (validateRetentionPolicy) and stores the policy.
void saveRetentionPolicy(project::ProjectStore& store, const RetentionPolicy& policy);
// Throws InvalidArgument, saying what to give, for a negative or non-finite number.
void validateRetentionPolicy(const RetentionPolicy& policy);

// Free bytes for an ordinary user on the file system that holds `path`; none when unknown.
std::optional<std::uint64_t> freeDiskBytes(const std::filesystem::path& path);

// "1.25 GB", "340 MB": a byte count for messages.
std::string formatBytes(double bytes);

struct RetentionReport {
    std::int64_t removed = 0;    // frames removed by this call
    std::int64_t freedBytes = 0; // their bytes
    std::int64_t keptFrames = 0; // frames kept now (that retention may remove)
    std::int64_t keptBytes = 0;  // their bytes
};

// One project's kept frames as a running tally: read from the store once (start()), then
// updated with each kept frame, so that the check per frame costs no directory walk. Removal
// is amortised: over the size limit, frames go down to 95 % of it in one transaction; the age
// limit is looked at on start and then at most once a minute. Synchronous; one thread.
class FrameRetention {
public:
    // `source`: the kept frames' source (inspect::kNgFrameSource).
    FrameRetention(project::ProjectStore& store, RetentionPolicy policy, std::string source);
    // Reads the kept frames and applies the policy (now: unix ms, 0 for the clock).
    RetentionReport start(std::int64_t now = 0);
    // Whether a frame of about `bytes` may be kept now: false while the disk's free space less
    // `bytes` is under the floor. A change either way leaves a notice (takeNotice).
    bool mayKeep(std::uint64_t bytes);
    // Adds a kept frame (an image of another source, or one counted already, is ignored) and
    // applies the policy; beforeRemoving runs first when frames are about to be removed (the
    // inspection step writes its pending results, which may name them). The frame just kept
    // is never removed for size: one frame larger than the limit stays until the next.
    RetentionReport kept(std::int64_t imageId, std::int64_t now = 0,
                         const std::function<void()>& beforeRemoving = {});
    // The message of the floor's last crossing, once; empty when there is none new.
    std::string takeNotice();
    bool belowFloor() const { return m_below; }
    const RetentionPolicy& policy() const { return m_policy; }
    // A changed policy: its limits apply with the next kept frame, its floor with the next check.
    void setPolicy(const RetentionPolicy& policy) { m_policy = policy; }
    RetentionReport usage() const;

private:
    RetentionReport apply(std::int64_t now, bool checkAge,
                          const std::function<void()>& beforeRemoving = {});

    project::ProjectStore& m_store;
    RetentionPolicy m_policy;
    std::string m_source;
    std::deque<project::KeptFrame> m_frames; // oldest first
    std::set<std::int64_t> m_ids;
    std::int64_t m_bytes = 0;
    std::int64_t m_lastAgeCheck = 0;
    bool m_below = false;
    std::string m_notice;
};

} // namespace kizu::inspect
