// The inspection results log read back for people and other programs: time arguments
// ("2026-12-03T08:00", "8h" ago), one CSV layout, and counts with the NG rate per time bucket.
// `kizu-cli results` and the Inspect page's Results tab use the same functions.
#pragma once

#include "core/project/project_store.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace kizu::inspect {

// Unix ms from "2026-12-03", "2026-12-03T08:00[:00][Z]" (local time without Z), a Unix time in
// ms (13 digits or more), or a duration before `nowMs`: "90s", "30m", "8h", "2d". Throws
// InvalidArgument naming the forms it accepts.
std::int64_t parseTimeArg(const std::string& text, std::int64_t nowMs);

// "ok", "ng", "fault", "dropped" (any case) -> State; throws InvalidArgument otherwise.
State parseVerdict(const std::string& text);

// One header line and one row per record: id, time (UTC ISO 8601 with ms), at_ms, verdict,
// score, threshold, part_id, frame, camera_timestamp_ns, camera_frame_id, model_sha256, method,
// latency_ms, source, image_id, message. Fields are quoted when they need it (RFC 4180).
void writeResultsCsv(const std::vector<project::InspectionRecord>& records, std::ostream& out);

// "2026-12-03T08:00:00.123Z"
std::string isoUtcMs(std::int64_t unixMs);

struct ResultBucket {
    std::int64_t start = 0; // unix ms
    std::int64_t ok = 0, ng = 0, faults = 0, dropped = 0;
    double ngRate() const { return ok + ng > 0 ? double(ng) / double(ok + ng) : 0; }
};

// Counts per bucket of `bucketMs` from the first record's bucket to the last's (empty buckets
// included), oldest first.
std::vector<ResultBucket> bucketResults(const std::vector<project::InspectionRecord>& records,
                                        std::int64_t bucketMs);

// A bucket width that gives at most about `maxBuckets` buckets over [from, to]: 1 s, 10 s,
// 1 min, 10 min, 1 h, 6 h or 1 day.
std::int64_t bucketWidthMs(std::int64_t from, std::int64_t to, int maxBuckets = 200);

} // namespace kizu::inspect
