// The height map: grinding cylinders, waviness, and the defects cut into it with their mask.
#include "core/cg/internal/scene.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace kizu::cg::detail {

// The grinding surface: many thin cylinders (elliptic cross-section of height `relief`) at
// random positions along the grinding direction; the nearest (highest) surface wins.
void grindSurface(const Scene& s, std::uint64_t seed, std::uint64_t index, cv::Mat& height)
{
    Rng rng(seed, index, kSurface + 100);
    const int w = height.cols, h = height.rows;
    const double r0 = std::max(0.5, s.striationRadiusUm / s.pixelUm);
    const double len0 = std::max(2.0, s.striationLengthMm * 1000.0 / s.pixelUm);
    // Striations are placed on the canvas square the view covers, extended so that those
    // sticking in from outside are not missing at the border.
    const double spillX = std::abs(std::cos(s.grindAngle)) * len0 * 0.75 + 3 * r0;
    const double spillY = std::abs(std::sin(s.grindAngle)) * len0 * 0.75 + 3 * r0;
    const double side = s.canvas;
    const double count = s.coverage * (side + 2 * spillX) * (side + 2 * spillY) / (2 * r0 * len0);
    const cv::Matx33d& g = s.canvasToOut;
    const double detG = std::abs(cv::determinant(g));
    const int striations = int(std::min(200000.0, std::ceil(count)));
    // Cross-section of a cylinder, sqrt(1 - q), tabulated over q = (d / r)^2.
    static const std::array<float, 257> profile = [] {
        std::array<float, 257> t{};
        for (int i = 0; i <= 256; ++i)
            t[std::size_t(i)] = float(std::sqrt(std::max(0.0, 1 - i / 255.0)));
        return t;
    }();
    for (int i = 0; i < striations; ++i) {
        const double r = r0 * rng.uniform(0.6, 1.4);
        const double len = len0 * rng.uniform(0.5, 1.5);
        const double a = s.grindAngle + s.jitter * rng.normal();
        const double cx = rng.uniform(-spillX, side + spillX);
        const double cy = rng.uniform(-spillY, side + spillY);
        const double ex = std::cos(a) * len / 2, ey = std::sin(a) * len / 2;
        const float relief = float(s.reliefUm * rng.uniform(0.3, 1.0));
        const float base = float(-s.reliefUm * rng.uniform(0.0, 0.4));
        // Into the image: a homography keeps segments straight; the width follows the local
        // scale, sqrt(det J) = sqrt(det G / w^3).
        const cv::Point2d pa = applyH(g, cx - ex, cy - ey), pb = applyH(g, cx + ex, cy + ey);
        const double wc = g(2, 0) * cx + g(2, 1) * cy + g(2, 2);
        const double ri = r * std::sqrt(detG / std::abs(wc * wc * wc));
        // The crest fades out over the last sixth at each end, so that overlapping striations
        // blend into long grooves instead of showing steps where one ends; so the ends need no
        // caps, and a striation is scanned column by column (or row by row when steep) with
        // the distance to its axis growing linearly across it.
        const bool alongX = std::abs(pb.x - pa.x) >= std::abs(pb.y - pa.y);
        double am = alongX ? pa.x : pa.y, an = alongX ? pa.y : pa.x;
        double bm = alongX ? pb.x : pb.y, bn = alongX ? pb.y : pb.x;
        if (am > bm) std::swap(am, bm), std::swap(an, bn);
        const double lenM = bm - am;
        if (lenM < 1e-6) continue;
        const double slope = (bn - an) / lenM;
        const double cos2 = 1 / (1 + slope * slope); // squared cosine of the axis' angle
        const double span = ri / std::sqrt(cos2);
        const double k = cos2 / (ri * ri) * 255.0; // (distance / r)^2 * 255 per minor step^2
        const int mExtent = alongX ? w : h, nExtent = alongX ? h : w;
        const int m0 = std::max(0, ceilInt(std::clamp(am, -1.0, double(mExtent))));
        const int m1 = std::min(mExtent - 1, floorInt(std::clamp(bm, -1.0, double(mExtent))));
        for (int mi = m0; mi <= m1; ++mi) {
            const double t = (mi - am) / lenM;
            const float crest = relief * float(std::min(1.0, 6 * t * (1 - t)));
            const double nc = an + (mi - am) * slope;
            if (nc + span < 0 || nc - span > nExtent - 1) continue;
            const int n0 = std::max(0, ceilInt(nc - span));
            const int n1 = std::min(nExtent - 1, floorInt(nc + span));
            for (int ni = n0; ni <= n1; ++ni) {
                const double dn = ni - nc;
                const float z = base + crest * profile[std::size_t(dn * dn * k)];
                float& hv = alongX ? height.at<float>(ni, mi) : height.at<float>(mi, ni);
                if (z > hv) hv = z;
            }
        }
    }
}

// Low-frequency form deviation, added after the defects are cut so that they are cut relative
// to the grinding marks, not to a hill or valley of the form.
void addWaviness(const Scene& s, std::uint64_t seed, std::uint64_t index, cv::Mat& height)
{
    if (s.wavinessUm <= 0) return;
    Rng rng(seed, index, kSurface + 200);
    cv::Mat coarse(4, 4, CV_32F);
    for (int i = 0; i < 16; ++i)
        coarse.at<float>(i / 4, i % 4) = float(rng.uniform(-1, 1));
    cv::Mat& wave = scratch().wave;
    cv::resize(coarse, wave, height.size(), 0, 0, cv::INTER_CUBIC);
    cv::scaleAdd(wave, s.wavinessUm, height, height);
}

namespace {

// Lowers the height to `target` (min: material removed) and marks the mask where the surface
// went down by more than `visible` um.
inline void carveMin(Carving& c, int x, int y, float target, float visible)
{
    float& hv = c.height.at<float>(y, x);
    if (target < hv) {
        if (hv - target > visible) c.mask.at<std::uint8_t>(y, x) = 255;
        hv = target;
    }
}

void darken(Carving& c, int x, int y, float factor)
{
    if (c.dark.empty()) c.dark = cv::Mat(c.height.size(), CV_32F, cv::Scalar(1));
    float& v = c.dark.at<float>(y, x);
    v = std::min(v, factor);
}

// What every defect kind draws with: the canvas, its scale, the surface's top and the random
// stream (drawn from in a fixed order, so the same seed gives the same image).
struct DefectCanvas {
    const Scene& s;
    Carving& c;
    Rng& rng;
    int w, h;
    double um; // 1 / pixel size: um -> image px
    double top;

    // Centres are drawn inside the image so that the defect is in view. A defect is small, so
    // it is drawn at the scale of the image centre (the perspective across it is neglected).
    cv::Point2d centre(nlohmann::json& d) const
    {
        double ox = rng.uniform(0.18, 0.82) * (s.n - 1), oy = rng.uniform(0.18, 0.82) * (s.n - 1);
        d["centerPx"] = {ox / s.oversample, oy / s.oversample};
        return cv::Point2d(ox, oy);
    }
};

// The kinds of one NG image, each by its probability; at least one.
std::vector<DefectKind> chooseKinds(const CgParams& p, Rng& rng)
{
    std::vector<DefectKind> kinds;
    const std::array<std::pair<DefectKind, double>, 4> probs{
        {{DefectKind::Scratch, p.scratch.probability},
         {DefectKind::Pit, p.pit.probability},
         {DefectKind::Dent, p.dent.probability},
         {DefectKind::Crack, p.crack.probability}}};
    for (auto [k, pr] : probs)
        if (rng.chance(pr)) kinds.push_back(k);
    if (kinds.empty()) {
        double total = 0;
        for (auto [k, pr] : probs)
            total += pr;
        double pick = rng.uniform(0, total);
        for (auto [k, pr] : probs) {
            if (pick < pr || k == DefectKind::Crack) {
                kinds.push_back(k);
                break;
            }
            pick -= pr;
        }
    }
    return kinds;
}

// Scratches: chains of tapered grooves, each drawn at an angle to the grain.
void cutScratches(const DefectCanvas& dc, const ScratchParams& p, nlohmann::json& list)
{
    const int w = dc.w, h = dc.h;
    const double um = dc.um;
    const double top = dc.top;
    Rng& rng = dc.rng;
    Carving& c = dc.c;
    const Scene& s = dc.s;
    const int count = rng.integer(p.count);
    for (int i = 0; i < count; ++i) {
        nlohmann::json d{{"kind", kindName(DefectKind::Scratch)}};
        cv::Point2d ctr = dc.centre(d);
        const int segs = std::max(1, rng.integer(p.segments));
        const double lengthPx = rng.uniform(p.lengthMm) * 1000.0 * um;
        const double width = rng.uniform(p.widthUm);
        const double depth = rng.uniform(p.depthUm);
        const double bend = rng.uniform(p.bendDeg) * kDeg;
        const double toGrain = rng.uniform(p.angleToGrainDeg) * kDeg;
        double a = s.grindAngle + (rng.chance(0.5) ? toGrain : -toGrain);
        d.update({{"segments", segs},
                  {"lengthMm", lengthPx / um / 1000.0},
                  {"widthUm", width},
                  {"depthUm", depth},
                  {"bendDeg", bend / kDeg},
                  {"angleToGrainDeg", toGrain / kDeg}});
        // The chain's joints, then shifted so that its middle lies on the centre.
        std::vector<cv::Point2d> pts{{0, 0}};
        const double step = lengthPx / segs;
        for (int k = 0; k < segs; ++k) {
            pts.push_back(pts.back() + cv::Point2d(std::cos(a), std::sin(a)) * step);
            a += bend * rng.uniform(-1, 1);
        }
        cv::Point2d mid = (pts[segs / 2] + pts[(segs + 1) / 2]) * 0.5;
        for (auto& q : pts)
            q += ctr - mid;
        // Width and depth taper towards the ends, as a tool point entering and leaving.
        auto taper = [&](double t) { return std::max(0.3, std::sqrt(std::sin(kPi * t))); };
        const double rPx = std::max(0.6, width / 2 * um);
        for (int k = 0; k < segs; ++k) {
            const double ta = taper(double(k) / segs), tb = taper(double(k + 1) / segs);
            const double ra = rPx * ta, rb = rPx * tb;
            const double rMax = std::max(ra, rb);
            forCapsule(w, h, pts[k].x, pts[k].y, pts[k + 1].x, pts[k + 1].y, rMax,
                       [&](int x, int y, double t, double d2) {
                           const double dist = std::sqrt(d2);
                           double r = ra + (rb - ra) * t;
                           if (dist >= r) return;
                           double dp = depth * (ta + (tb - ta) * t);
                           double q = dist / r;
                           float z = float(top - dp * std::sqrt(1 - q * q));
                           carveMin(c, x, y, z, float(0.15 * dp));
                       });
        }
        list.push_back(d);
    }
}

// A cluster of pits: irregular spherical hollows with rough, darkened bottoms.
void cutPits(const DefectCanvas& dc, const PitParams& p, nlohmann::json& list)
{
    const int w = dc.w, h = dc.h;
    const double um = dc.um;
    const double top = dc.top;
    Rng& rng = dc.rng;
    Carving& c = dc.c;
    nlohmann::json cluster{{"kind", kindName(DefectKind::Pit)}};
    cv::Point2d ctr = dc.centre(cluster);
    const int count = rng.integer(p.count);
    const double spreadPx = rng.uniform(p.clusterSpreadMm) * 1000.0 * um;
    const double darkening = rng.uniform(p.darkening);
    nlohmann::json pits = nlohmann::json::array();
    for (int i = 0; i < count; ++i) {
        // The first pit sits on the centre so the cluster is always in view.
        double rr = i == 0 ? 0 : spreadPx * std::sqrt(rng.uniform());
        double th = rng.uniform(0, 2 * kPi);
        cv::Point2d pc = ctr + cv::Point2d(std::cos(th), std::sin(th)) * rr;
        const double a = rng.uniform(p.radiusUm);
        const double dp = rng.uniform(p.depthUm);
        const double sphere = (a * a + dp * dp) / (2 * dp);
        const double aPx = std::max(0.8, a * um);
        // An irregular outline: two random harmonics of the radius.
        const double h2 = rng.uniform(0, 0.25), h3 = rng.uniform(0, 0.2);
        const double p2 = rng.uniform(0, 2 * kPi), p3 = rng.uniform(0, 2 * kPi);
        const std::uint64_t bumps = rng.next();
        pits.push_back({{"radiusUm", a}, {"depthUm", dp}});
        forCapsule(w, h, pc.x, pc.y, pc.x, pc.y, aPx * 1.5, [&](int x, int y, double, double d2) {
            const double dist = std::sqrt(d2);
            double ang = std::atan2(y - pc.y, x - pc.x);
            double edge = aPx * (1 + h2 * std::sin(2 * ang + p2) + h3 * std::sin(3 * ang + p3));
            if (dist >= edge) return;
            double q = dist / edge; // 0 centre .. 1 rim
            double du = q * a;
            double z = top - dp + sphere - std::sqrt(sphere * sphere - du * du);
            // A rough, corroded bottom.
            std::uint64_t hsh = hashCombine(bumps, std::uint64_t(y) * 65536 + x);
            z += 0.2 * dp * (double(hsh >> 11) * 0x1.0p-53 - 0.5) * (1 - q);
            carveMin(c, x, y, float(z), float(0.15 * dp));
            darken(c, x, y, float(1 - darkening * (1 - q * q)));
        });
    }
    cluster.update({{"count", count},
                    {"clusterSpreadMm", spreadPx / um / 1000.0},
                    {"darkening", darkening},
                    {"pits", pits}});
    list.push_back(cluster);
}

// Dents: pressed-in sphere caps that flatten the grinding marks.
void cutDents(const DefectCanvas& dc, const DentParams& p, nlohmann::json& list)
{
    const int w = dc.w, h = dc.h;
    const double um = dc.um;
    Rng& rng = dc.rng;
    Carving& c = dc.c;
    const int count = rng.integer(p.count);
    for (int i = 0; i < count; ++i) {
        nlohmann::json d{{"kind", kindName(DefectKind::Dent)}};
        cv::Point2d pc = dc.centre(d);
        const double a = rng.uniform(p.radiusUm);
        const double dp = rng.uniform(p.depthUm);
        const double sphere = (a * a + dp * dp) / (2 * dp);
        d.update({{"radiusUm", a}, {"depthUm", dp}});
        // Pressed in: lowered by the sphere cap, the grinding marks inside flattened
        // (the pressure smooths their crests) and the spot slightly burnished.
        forCapsule(w, h, pc.x, pc.y, pc.x, pc.y, std::max(0.8, a * um),
                   [&](int x, int y, double, double d2) {
                       double du = std::sqrt(d2) / um;
                       double carve = std::sqrt(sphere * sphere - du * du) - (sphere - dp);
                       if (carve <= 0) return;
                       const double q = carve / dp; // 1 at the centre, 0 at the rim
                       float& hv = c.height.at<float>(y, x);
                       hv = float(hv * (1 - 0.8 * q) - carve);
                       darken(c, x, y, float(1 - 0.15 * q));
                       if (carve > 0.3 * dp) c.mask.at<std::uint8_t>(y, x) = 255;
                   });
        list.push_back(d);
    }
}

// A crack: random walks both ways from its centre, with branches.
void cutCrack(const DefectCanvas& dc, const CrackParams& p, nlohmann::json& list)
{
    const int w = dc.w, h = dc.h;
    const double um = dc.um;
    const double top = dc.top;
    Rng& rng = dc.rng;
    Carving& c = dc.c;
    nlohmann::json d{{"kind", kindName(DefectKind::Crack)}};
    cv::Point2d start = dc.centre(d);
    const double lengthPx = rng.uniform(p.lengthMm) * 1000.0 * um;
    const double width = rng.uniform(p.widthUm);
    const double depth = rng.uniform(p.depthUm);
    const double branch = rng.uniform(p.branchProbability);
    const double wiggle = rng.uniform(p.wiggleDeg) * kDeg;
    d.update({{"lengthMm", lengthPx / um / 1000.0},
              {"widthUm", width},
              {"depthUm", depth},
              {"branchProbability", branch},
              {"wiggleDeg", wiggle / kDeg}});
    const double rPx = std::max(0.7, width / 2 * um);
    const double step = std::max(2.0, 3 * rPx);
    // Random walks: the main line grows both ways from the centre; branches split off.
    struct Walk {
        cv::Point2d p;
        double angle, length;
        int level;
    };
    const double a0 = rng.uniform(0, 2 * kPi);
    std::vector<Walk> walks{{start, a0, lengthPx / 2, 0}, {start, a0 + kPi, lengthPx / 2, 0}};
    int segments = 0;
    while (!walks.empty() && segments < 4000) {
        Walk wk = walks.back();
        walks.pop_back();
        for (double done = 0; done < wk.length && segments < 4000; done += step) {
            cv::Point2d q = wk.p + cv::Point2d(std::cos(wk.angle), std::sin(wk.angle)) * step;
            const double fade = 1 - 0.6 * done / wk.length;
            const double r = rPx * fade * (wk.level ? 0.7 : 1.0);
            forCapsule(w, h, wk.p.x, wk.p.y, q.x, q.y, r, [&](int x, int y, double, double d2) {
                const double dist = std::sqrt(d2);
                double dp = depth * fade * (1 - dist / r);
                carveMin(c, x, y, float(top - dp), float(0.1 * depth));
                darken(c, x, y, float(0.35 + 0.4 * dist / r));
            });
            ++segments;
            wk.p = q;
            wk.angle += wiggle * rng.uniform(-1, 1);
            if (wk.level < 2 && rng.chance(branch))
                walks.push_back({q,
                                 wk.angle + (rng.chance(0.5) ? 1 : -1) * rng.uniform(20, 60) * kDeg,
                                 (wk.length - done) * rng.uniform(0.3, 0.7), wk.level + 1});
        }
    }
    list.push_back(d);
}

} // namespace

// Cuts the defects of an NG image into the surface; returns their description.
nlohmann::json cutDefects(const Scene& s, const CgParams& p, Rng& rng, Carving& c)
{
    double top = 0;
    {
        double mn, mx;
        cv::minMaxLoc(c.height, &mn, &mx);
        top = mx;
    }
    const std::vector<DefectKind> kinds = chooseKinds(p, rng);
    const DefectCanvas canvas{s, c, rng, c.height.cols, c.height.rows, 1.0 / s.pixelUm, top};
    nlohmann::json list = nlohmann::json::array();
    for (DefectKind kind : kinds) {
        switch (kind) {
        case DefectKind::Scratch:
            cutScratches(canvas, p.scratch, list);
            break;
        case DefectKind::Pit:
            cutPits(canvas, p.pit, list);
            break;
        case DefectKind::Dent:
            cutDents(canvas, p.dent, list);
            break;
        case DefectKind::Crack:
            cutCrack(canvas, p.crack, list);
            break;
        }
    }
    return list;
}

} // namespace kizu::cg::detail
