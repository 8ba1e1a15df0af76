#include "core/inspect/results_export.h"

#include "core/common/error.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>

namespace kizu::inspect {
namespace {
std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string number(double v)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}
} // namespace

std::string isoUtcMs(std::int64_t unixMs)
{
    const std::time_t t = std::time_t(unixMs / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, int(unixMs % 1000));
    return out;
}

std::int64_t parseTimeArg(const std::string& text, std::int64_t nowMs)
{
    const auto bad = [&] {
        return InvalidArgument("'" + text +
                               "' is not a time: give 2026-12-03, 2026-12-03T08:00 (local; add Z "
                               "for UTC), Unix milliseconds, or a time ago such as 30m, 8h, 2d.");
    };
    if (text.empty()) throw bad();
    const bool digits =
        std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(unsigned(c)); });
    if (digits && text.size() >= 13) return std::stoll(text);
    // A duration before now.
    const char unit = text.back();
    if (text.size() >= 2 && std::string("smhd").find(unit) != std::string::npos &&
        std::all_of(text.begin(), text.end() - 1,
                    [](char c) { return std::isdigit(unsigned(c)); })) {
        const std::int64_t n = std::stoll(text.substr(0, text.size() - 1));
        const std::int64_t ms = unit == 's'   ? 1000
                                : unit == 'm' ? 60000
                                : unit == 'h' ? 3600000
                                              : 86400000;
        return nowMs - n * ms;
    }
    std::tm tm{};
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    char tail[8] = {};
    const int n = std::sscanf(text.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%7s", &y, &mo, &d, &h,
                              &mi, &sec, tail);
    bool utc = false;
    if (n == 3 && text.size() == 10) {
        // a date alone: its midnight
    } else if (n >= 5) {
        std::string rest;
        if (n == 5) {
            // "...T08:00" or "...T08:00Z"
            const auto colon = text.rfind(':');
            rest = text.substr(colon + 3);
        } else if (n == 7) {
            rest = tail;
        }
        if (rest == "Z")
            utc = true;
        else if (!rest.empty())
            throw bad();
    } else {
        throw bad();
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) throw bad();
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    const std::time_t t = utc ? timegm(&tm) : std::mktime(&tm);
    if (t == std::time_t(-1)) throw bad();
    return std::int64_t(t) * 1000;
}

State parseVerdict(const std::string& text)
{
    std::string s = text;
    for (char& c : s)
        c = char(std::tolower(unsigned(c)));
    if (s == "ok") return State::Ok;
    if (s == "ng") return State::Ng;
    if (s == "fault") return State::Fault;
    if (s == "dropped") return State::Dropped;
    throw InvalidArgument("'" + text + "' is not a verdict: give ok, ng, fault or dropped.");
}

void writeResultsCsv(const std::vector<project::InspectionRecord>& records, std::ostream& out)
{
    out << "id,time,at_ms,verdict,score,threshold,part_id,frame,camera_timestamp_ns,"
           "camera_frame_id,model_sha256,method,latency_ms,source,image_id,message\n";
    for (const auto& r : records) {
        const bool judged = r.state == State::Ok || r.state == State::Ng;
        out << r.id << ',' << isoUtcMs(r.at) << ',' << r.at << ',' << stateName(r.state) << ','
            << (judged ? number(r.score) : "") << ',' << (judged ? number(r.threshold) : "") << ','
            << csvField(r.partId) << ',' << (r.frame ? std::to_string(*r.frame) : "") << ','
            << (r.cameraTimestampNs ? std::to_string(*r.cameraTimestampNs) : "") << ','
            << (r.cameraFrameId ? std::to_string(*r.cameraFrameId) : "") << ','
            << csvField(r.modelSha) << ',' << csvField(r.method) << ','
            << (judged ? number(r.latencyMs) : "") << ',' << csvField(r.source) << ','
            << (r.imageId ? std::to_string(*r.imageId) : "") << ',' << csvField(r.message) << '\n';
    }
}

std::vector<ResultBucket> bucketResults(const std::vector<project::InspectionRecord>& records,
                                        std::int64_t bucketMs)
{
    if (records.empty() || bucketMs <= 0) return {};
    std::map<std::int64_t, ResultBucket> by;
    std::int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (const auto& r : records) {
        const std::int64_t b = r.at - ((r.at % bucketMs) + bucketMs) % bucketMs;
        lo = std::min(lo, b);
        hi = std::max(hi, b);
        auto& k = by[b];
        k.start = b;
        switch (r.state) {
        case State::Ok:
            ++k.ok;
            break;
        case State::Ng:
            ++k.ng;
            break;
        case State::Fault:
            ++k.faults;
            break;
        case State::Dropped:
            ++k.dropped;
            break;
        }
    }
    std::vector<ResultBucket> out;
    for (std::int64_t b = lo; b <= hi; b += bucketMs) {
        auto it = by.find(b);
        ResultBucket k = it != by.end() ? it->second : ResultBucket{};
        k.start = b;
        out.push_back(k);
    }
    return out;
}

std::int64_t bucketWidthMs(std::int64_t from, std::int64_t to, int maxBuckets)
{
    const std::int64_t span = std::max<std::int64_t>(1, to - from);
    for (std::int64_t w : {1000LL, 10000LL, 60000LL, 600000LL, 3600000LL, 21600000LL})
        if (span / w <= maxBuckets) return w;
    return 86400000;
}

} // namespace kizu::inspect
