#include "core/inspect/retention.h"

#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/inspect/results_export.h"

#include <cmath>
#include <cstdio>
#include <sys/statvfs.h>
#include <vector>

namespace kizu::inspect {
namespace {
constexpr const char* kDays = "retention.days";
constexpr const char* kMaxGb = "retention.max_gb";
constexpr const char* kMinFreeGb = "retention.min_free_gb";
constexpr double kGb = 1e9;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kAgeCheckMs = 60'000;

double metaNumber(const project::ProjectStore& store, const char* key, double fallback)
{
    const auto text = store.meta(key);
    if (!text || text->empty()) return fallback;
    try {
        std::size_t used = 0;
        const double v = std::stod(*text, &used);
        return used == text->size() && std::isfinite(v) && v >= 0 ? v : fallback;
    } catch (const std::exception&) {
        return fallback;
    }
}

std::string settingNumber(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}
} // namespace

RetentionPolicy loadRetentionPolicy(const project::ProjectStore& store)
{
    const RetentionPolicy d;
    RetentionPolicy p;
    p.days = metaNumber(store, kDays, d.days);
    p.maxGb = metaNumber(store, kMaxGb, d.maxGb);
    p.minFreeGb = metaNumber(store, kMinFreeGb, d.minFreeGb);
    return p;
}

void validateRetentionPolicy(const RetentionPolicy& p)
{
    auto check = [](double v, const char* what) {
        if (!std::isfinite(v) || v < 0)
            throw InvalidArgument(std::string(what) + " must be a number of 0 or more (0: no " +
                                  "limit), not " + settingNumber(v) + ".");
    };
    check(p.days, "The days NG frames are kept");
    check(p.maxGb, "The GB NG frames may take");
    check(p.minFreeGb, "The free disk floor in GB");
}

void saveRetentionPolicy(project::ProjectStore& store, const RetentionPolicy& p)
{
    validateRetentionPolicy(p);
    store.setMeta(kDays, settingNumber(p.days));
    store.setMeta(kMaxGb, settingNumber(p.maxGb));
    store.setMeta(kMinFreeGb, settingNumber(p.minFreeGb));
}

std::optional<std::uint64_t> freeDiskBytes(const std::filesystem::path& path)
{
    struct statvfs st {};
    if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
    return std::uint64_t(st.f_bavail) * std::uint64_t(st.f_frsize);
}

std::string formatBytes(double bytes)
{
    char buf[32];
    if (bytes >= 1e9)
        std::snprintf(buf, sizeof buf, "%.2f GB", bytes / 1e9);
    else if (bytes >= 1e6)
        std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%.0f kB", bytes / 1e3);
    return buf;
}

FrameRetention::FrameRetention(project::ProjectStore& store, RetentionPolicy policy,
                               std::string source)
    : m_store(store), m_policy(policy), m_source(std::move(source))
{
}

RetentionReport FrameRetention::usage() const
{
    RetentionReport r;
    r.keptFrames = std::int64_t(m_frames.size());
    r.keptBytes = m_bytes;
    return r;
}

RetentionReport FrameRetention::start(std::int64_t now)
{
    m_frames.clear();
    m_ids.clear();
    m_bytes = 0;
    for (const auto& f : m_store.removableFrames(m_source)) {
        m_frames.push_back(f);
        m_ids.insert(f.id);
        m_bytes += f.bytes;
    }
    return apply(now ? now : unixMs(), true);
}

bool FrameRetention::mayKeep(std::uint64_t bytes)
{
    if (m_policy.minFreeGb <= 0) return true;
    const auto free = freeDiskBytes(m_store.dir());
    if (!free) return true; // unknown: the write itself will tell
    const double floor = m_policy.minFreeGb * kGb;
    const bool below = double(*free) - double(bytes) < floor;
    if (below != m_below) {
        m_below = below;
        m_notice = below ? "Free disk space for " + m_store.dir().string() + " is " +
                               formatBytes(double(*free)) + ", under the floor of " +
                               formatBytes(floor) +
                               ": NG frames are no longer kept. Inspection goes on and verdicts "
                               "are still recorded. Free some disk space, or lower the limits "
                               "with 'kizu-cli project retention' (docs/station_retention.md)."
                         : "Free disk space for " + m_store.dir().string() + " is " +
                               formatBytes(double(*free)) + " again, above the floor of " +
                               formatBytes(floor) + ": NG frames are kept again.";
    }
    return !below;
}

std::string FrameRetention::takeNotice()
{
    std::string out;
    out.swap(m_notice);
    return out;
}

RetentionReport FrameRetention::kept(std::int64_t imageId, std::int64_t now,
                                     const std::function<void()>& beforeRemoving)
{
    if (!now) now = unixMs();
    if (!m_ids.count(imageId)) {
        const auto image = m_store.image(imageId);
        if (image && image->source == m_source && image->split == project::Split::None &&
            image->label == project::Label::Unlabeled) {
            std::error_code ec;
            const auto n = std::filesystem::file_size(m_store.imagePath(*image), ec);
            m_frames.push_back({imageId, image->importedAt, ec ? 0 : std::int64_t(n)});
            m_ids.insert(imageId);
            m_bytes += m_frames.back().bytes;
        }
    }
    return apply(now, now - m_lastAgeCheck >= kAgeCheckMs, beforeRemoving);
}

RetentionReport FrameRetention::apply(std::int64_t now, bool checkAge,
                                      const std::function<void()>& beforeRemoving)
{
    const double maxBytes = m_policy.maxGb * kGb;
    const bool overSize = m_policy.maxGb > 0 && double(m_bytes) > maxBytes;
    std::int64_t cutoff = 0;
    if (checkAge) {
        m_lastAgeCheck = now;
        if (m_policy.days > 0) cutoff = now - std::int64_t(m_policy.days * double(kDayMs));
    }
    const bool tooOld = cutoff > 0 && !m_frames.empty() && m_frames.front().keptAt < cutoff;
    if (!overSize && !tooOld) return usage();
    // Oldest first: every frame past the age limit, then more until the size is 95 % of the
    // limit, so that the next removal comes only after 5 % of it was kept again.
    std::vector<std::int64_t> ids;
    std::int64_t age = 0, size = 0;
    double bytes = double(m_bytes);
    for (const auto& f : m_frames) {
        if (cutoff > 0 && f.keptAt < cutoff)
            ++age;
        else if (overSize && bytes > 0.95 * maxBytes && &f != &m_frames.back())
            ++size;
        else
            break;
        ids.push_back(f.id);
        bytes -= double(f.bytes);
    }
    if (ids.empty()) return usage();
    if (beforeRemoving) beforeRemoving();
    std::string why;
    if (age) why = "older than " + settingNumber(m_policy.days) + " days";
    if (size)
        why += std::string(why.empty() ? "" : ", or ") + "kept NG frames over " +
               settingNumber(m_policy.maxGb) + " GB";
    const auto removed = m_store.removeKeptFrames(
        ids, m_source, "removed by retention at " + isoUtcMs(now) + " (" + why + ")");
    RetentionReport r;
    // The tally forgets every frame it meant to remove: one the store kept (labeled since) is
    // part of the dataset now.
    for (std::size_t k = 0; k < ids.size(); ++k) {
        m_bytes -= m_frames.front().bytes;
        m_ids.erase(m_frames.front().id);
        m_frames.pop_front();
    }
    for (const auto& f : removed) {
        ++r.removed;
        r.freedBytes += f.bytes;
    }
    r.keptFrames = std::int64_t(m_frames.size());
    r.keptBytes = m_bytes;
    return r;
}

} // namespace kizu::inspect
