#include "core/project/project_scale.h"

#include "core/common/error.h"
#include "core/project/project_store.h"

#include <cmath>
#include <cstdlib>
#include <locale>
#include <sstream>

namespace kizu::project {

namespace {
constexpr double kMaxPxPerMm = 100000;
}

std::optional<double> projectPxPerMm(const ProjectStore& store)
{
    const auto text = store.meta(kPxPerMmKey);
    if (!text || text->empty()) return std::nullopt;
    std::istringstream in(*text);
    in.imbue(std::locale::classic());
    double v = 0;
    if (!(in >> v) || !(v > 0) || v > kMaxPxPerMm || !std::isfinite(v)) return std::nullopt;
    return v;
}

void setProjectPxPerMm(ProjectStore& store, std::optional<double> pxPerMm)
{
    if (!pxPerMm) {
        store.setMeta(kPxPerMmKey, "");
        return;
    }
    if (!(*pxPerMm > 0) || *pxPerMm > kMaxPxPerMm || !std::isfinite(*pxPerMm))
        throw InvalidArgument("The photos' scale must be a number of pixels per millimetre above "
                              "0 (e.g. 80 for a 14 mm wide view on a 1130 px image).");
    std::ostringstream out;
    out.imbue(std::locale::classic());
    out.precision(10);
    out << *pxPerMm;
    store.setMeta(kPxPerMmKey, out.str());
}

} // namespace kizu::project
