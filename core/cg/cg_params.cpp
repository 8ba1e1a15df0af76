#include "core/cg/cg_params.h"

#include "core/cg/internal/presets_data.h"
#include "core/common/error.h"
#include "core/common/memory_budget.h"
#include "core/common/fs_util.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace kizu::cg {
namespace {

std::string fmt(double v)
{
    std::ostringstream s;
    s << v;
    return s.str();
}

// The table is built from the struct with these two macros so a new field needs one line.
#define KIZU_CG_RANGE(grp, member, unitText, lo, hi, isInt, tip)                                   \
    {                                                                                              \
        ParamInfo p;                                                                               \
        p.group = #grp;                                                                            \
        p.key = #member;                                                                           \
        p.tooltip = tip;                                                                           \
        p.unit = unitText;                                                                         \
        p.hardMin = lo;                                                                            \
        p.hardMax = hi;                                                                            \
        p.isRange = true;                                                                          \
        p.integer = isInt;                                                                         \
        p.getRange = [](const CgParams& c) { return c.grp.member; };                               \
        p.setRange = [](CgParams& c, Range r) { c.grp.member = r; };                               \
        t.push_back(std::move(p));                                                                 \
    }
#define KIZU_CG_VALUE(grp, member, unitText, lo, hi, isInt, tip)                                   \
    {                                                                                              \
        ParamInfo p;                                                                               \
        p.group = #grp;                                                                            \
        p.key = #member;                                                                           \
        p.tooltip = tip;                                                                           \
        p.unit = unitText;                                                                         \
        p.hardMin = lo;                                                                            \
        p.hardMax = hi;                                                                            \
        p.isRange = false;                                                                         \
        p.integer = isInt;                                                                         \
        p.getValue = [](const CgParams& c) { return double(c.grp.member); };                       \
        p.setValue = [](CgParams& c, double v) { c.grp.member = v; };                              \
        t.push_back(std::move(p));                                                                 \
    }

std::vector<ParamInfo> buildTable()
{
    std::vector<ParamInfo> t;
    KIZU_CG_RANGE(geometry, grindAngleDeg, "deg", -180, 180, false,
                  "Grinding direction against the image x axis (deg)");
    KIZU_CG_RANGE(geometry, angleJitterDeg, "deg", 0, 20, false,
                  "Std. dev. of each striation's angle around the grinding direction (deg)");
    KIZU_CG_RANGE(geometry, striationRadiusUm, "um", 1, 500, false,
                  "Half width of one grinding striation, a thin cylinder (um)");
    KIZU_CG_RANGE(geometry, striationLengthMm, "mm", 0.01, 100, false,
                  "Length of one grinding striation (mm)");
    KIZU_CG_RANGE(geometry, striationReliefUm, "um", 0, 50, false,
                  "Height of a striation's crest above its edges (um)");
    KIZU_CG_RANGE(geometry, coverage, "", 0.1, 10, false,
                  "How many striations cover a surface point on average");
    KIZU_CG_RANGE(geometry, wavinessUm, "um", 0, 100, false,
                  "Amplitude of the low-frequency form deviation (um)");

    KIZU_CG_VALUE(scratch, probability, "", 0, 1, false,
                  "Chance that an NG image has scratches (0..1)");
    KIZU_CG_RANGE(scratch, count, "", 1, 20, true, "Scratches per image");
    KIZU_CG_RANGE(scratch, segments, "", 1, 50, true,
                  "Cylinders in a scratch's chain, joined by spheres");
    KIZU_CG_RANGE(scratch, lengthMm, "mm", 0.01, 100, false, "Total length of a scratch (mm)");
    KIZU_CG_RANGE(scratch, widthUm, "um", 1, 5000, false, "Groove width at its widest (um)");
    KIZU_CG_RANGE(scratch, depthUm, "um", 0.5, 1000, false, "Groove depth at its deepest (um)");
    KIZU_CG_RANGE(scratch, bendDeg, "deg", 0, 90, false,
                  "Direction change at each joint of the chain (deg)");
    KIZU_CG_RANGE(scratch, angleToGrainDeg, "deg", 0, 90, false,
                  "Angle between a scratch and the grinding direction (deg)");

    KIZU_CG_VALUE(pit, probability, "", 0, 1, false,
                  "Chance that an NG image has a cluster of pits (0..1)");
    KIZU_CG_RANGE(pit, count, "", 1, 100, true, "Pits in the cluster");
    KIZU_CG_RANGE(pit, radiusUm, "um", 1, 5000, false, "Radius of one pit's opening (um)");
    KIZU_CG_RANGE(pit, depthUm, "um", 0.5, 1000, false, "Depth of one pit (um)");
    KIZU_CG_RANGE(pit, clusterSpreadMm, "mm", 0, 50, false, "Radius of the pit cluster (mm)");
    KIZU_CG_RANGE(pit, darkening, "", 0, 1, false,
                  "Reflectance lost inside a pit, corrosion (0..1)");

    KIZU_CG_VALUE(dent, probability, "", 0, 1, false, "Chance that an NG image has dents (0..1)");
    KIZU_CG_RANGE(dent, count, "", 1, 20, true, "Dents per image");
    KIZU_CG_RANGE(dent, radiusUm, "um", 1, 20000, false, "Radius of a dent's footprint (um)");
    KIZU_CG_RANGE(dent, depthUm, "um", 0.5, 1000, false,
                  "Depth of a dent, a pressed-in sphere cap (um)");

    KIZU_CG_VALUE(crack, probability, "", 0, 1, false,
                  "Chance that an NG image has a crack (0..1)");
    KIZU_CG_RANGE(crack, lengthMm, "mm", 0.01, 100, false, "Length of the main crack line (mm)");
    KIZU_CG_RANGE(crack, widthUm, "um", 1, 1000, false, "Crack width (um)");
    KIZU_CG_RANGE(crack, depthUm, "um", 0.5, 1000, false, "Crack depth (um)");
    KIZU_CG_RANGE(crack, branchProbability, "", 0, 1, false,
                  "Chance of a branch at each step of the crack (0..1)");
    KIZU_CG_RANGE(crack, wiggleDeg, "deg", 0, 90, false,
                  "Direction change between steps of the crack (deg)");

    KIZU_CG_RANGE(lights, count, "", 1, 4, true, "Number of lights (1..4)");
    KIZU_CG_RANGE(lights, azimuthDeg, "deg", -360, 720, false,
                  "Light direction around the camera axis (deg)");
    KIZU_CG_RANGE(lights, elevationDeg, "deg", 1, 90, false,
                  "Light elevation above the surface (deg)");
    KIZU_CG_RANGE(lights, temperatureK, "K", 1000, 20000, false,
                  "Colour temperature of a light (K)");
    KIZU_CG_RANGE(lights, intensity, "", 0, 20, false, "Intensity of a light (relative)");
    KIZU_CG_RANGE(lights, size, "rad", 0, 1.5, false,
                  "Angular size of a light; larger lights give softer highlights (rad)");
    KIZU_CG_RANGE(lights, ambient, "", 0, 5, false, "Diffuse ambient light (relative)");
    KIZU_CG_RANGE(lights, environment, "", 0, 5, false,
                  "Brightness of the reflected surroundings (relative)");
    KIZU_CG_RANGE(lights, environmentBands, "", 0, 50, false,
                  "Bright stripes in the reflected surroundings, softboxes (count)");
    KIZU_CG_RANGE(lights, occlusion, "", 0, 5, false,
                  "Darkening of cavities such as grooves and pits (relative)");

    KIZU_CG_VALUE(material, steelWeight, "", 0, 1000, false,
                  "Relative chance of a steel base colour");
    KIZU_CG_VALUE(material, aluminiumWeight, "", 0, 1000, false,
                  "Relative chance of an aluminium base colour");
    KIZU_CG_VALUE(material, brassWeight, "", 0, 1000, false,
                  "Relative chance of a warm, brass-like base colour");
    KIZU_CG_RANGE(material, colorJitter, "", 0, 1, false,
                  "Random deviation of the base colour (0..1)");
    KIZU_CG_RANGE(material, metallic, "", 0, 1, false, "Metalness, 0 dielectric .. 1 metal");
    KIZU_CG_RANGE(material, roughness, "", 0.01, 1, false,
                  "Microfacet roughness across the grinding direction (0..1)");
    KIZU_CG_RANGE(material, anisotropy, "", 0, 0.98, false,
                  "How much smoother along the grain than across (0 isotropic .. 1)");
    KIZU_CG_RANGE(material, textureNoise, "", 0, 1, false,
                  "Amplitude of the streaky reflectance noise (relative)");
    KIZU_CG_RANGE(material, textureScaleMm, "mm", 0.001, 100, false,
                  "Size of the reflectance noise across the grain (mm)");

    KIZU_CG_VALUE(camera, imageSize, "px", 16, 4096, true, "Output width and height (px)");
    KIZU_CG_VALUE(camera, oversample, "", 1, 4, true,
                  "Render at this multiple of the size and downscale (1..4)");
    KIZU_CG_RANGE(camera, fieldOfViewMm, "mm", 0.05, 1000, false,
                  "Width of the imaged surface; smaller is more zoom (mm)");
    KIZU_CG_RANGE(camera, tiltDeg, "deg", 0, 40, false,
                  "Camera tilt away from the surface normal (deg)");
    KIZU_CG_RANGE(camera, focusBlurPx, "px", 0, 10, false,
                  "Gaussian blur sigma of the sharp part, in pixels of a 224 px image");
    KIZU_CG_RANGE(camera, depthOfField, "px", 0, 10, false,
                  "Extra blur towards the far edge of a tilted view, pixels of a 224 px image");
    KIZU_CG_RANGE(camera, exposureEv, "EV", -5, 5, false, "Exposure change (stops)");
    KIZU_CG_RANGE(camera, vignetting, "", 0, 1, false,
                  "Brightness lost in the image corners (0..1)");

    KIZU_CG_RANGE(sensor, readNoise, "", 0, 0.5, false,
                  "Std. dev. of additive sensor noise (fraction of full scale)");
    KIZU_CG_RANGE(sensor, shotNoise, "", 0, 0.5, false,
                  "Signal-dependent sensor noise (fraction at full scale)");
    KIZU_CG_VALUE(sensor, grayscaleProbability, "", 0, 1, false,
                  "Chance of a monochrome camera image (0..1)");
    return t;
}

#undef KIZU_CG_RANGE
#undef KIZU_CG_VALUE

const ParamInfo* findParam(const std::string& group, const std::string& key)
{
    for (const auto& p : paramTable())
        if (p.group == group && p.key == key) return &p;
    return nullptr;
}

} // namespace

const std::vector<ParamInfo>& paramTable()
{
    // Never destroyed: worker threads (the CG Studio's preview and strip pools) read it, and a
    // static destructor at exit would race with a thread the UI has not joined yet.
    static const std::vector<ParamInfo>* table = new std::vector<ParamInfo>(buildTable());
    return *table;
}

// Measured: 42 bytes per rendered pixel at 16384^2 (11.3 GB), 59 at 2048^2 (RSS less start-up).
constexpr double kCgBytesPerPixel = 50;

void validate(const CgParams& params)
{
    auto refuse = [](const ParamInfo& p, const std::string& what) {
        throw InvalidArgument("CG parameter " + p.path() + " " + what + " (" + p.tooltip +
                              "). Fix the preset or parameter file.");
    };
    auto checkValue = [&](const ParamInfo& p, double v, const char* which) {
        if (!std::isfinite(v)) refuse(p, std::string(which) + " is not a finite number");
        if (v < p.hardMin || v > p.hardMax)
            refuse(p, std::string(which) + " " + fmt(v) + " is outside the allowed [" +
                          fmt(p.hardMin) + ", " + fmt(p.hardMax) + "]");
        if (p.integer && v != std::floor(v))
            refuse(p, std::string(which) + " " + fmt(v) + " must be a whole number");
    };
    for (const auto& p : paramTable()) {
        if (p.isRange) {
            Range r = p.getRange(params);
            checkValue(p, r.min, "min");
            checkValue(p, r.max, "max");
            if (r.min > r.max)
                refuse(p, "is an empty range: min " + fmt(r.min) + " is greater than max " +
                              fmt(r.max));
        } else {
            checkValue(p, p.getValue(params), "value");
        }
    }
    // One render holds about kCgBytesPerPixel bytes per pixel at the oversampled size (height
    // map, normals, shading buffers): 4096 px x 4 is 16384^2 px, 11.3 GB measured.
    const double side = params.camera.imageSize * params.camera.oversample;
    checkMemoryBudget("One CG render of " + fmt(side) + " x " + fmt(side) + " px", kCgBytesPerPixel * side * side,
                      "camera.imageSize x camera.oversample = " + fmt(params.camera.imageSize) +
                          " x " + fmt(params.camera.oversample));
    const auto& m = params.material;
    if (m.steelWeight + m.aluminiumWeight + m.brassWeight <= 0)
        throw InvalidArgument("CG parameters material.steelWeight, aluminiumWeight and "
                              "brassWeight are all 0: give at least one base colour a weight.");
    if (params.scratch.probability + params.pit.probability + params.dent.probability +
            params.crack.probability <=
        0)
        throw InvalidArgument("CG parameters scratch/pit/dent/crack.probability are all 0: NG "
                              "images need at least one defect kind with a probability above 0.");
}

nlohmann::json paramsToJson(const CgParams& params)
{
    nlohmann::json j = nlohmann::json::object();
    for (const auto& p : paramTable()) {
        if (p.isRange) {
            Range r = p.getRange(params);
            j[p.group][p.key] = {r.min, r.max};
        } else {
            j[p.group][p.key] = p.getValue(params);
        }
    }
    return j;
}

CgParams paramsFromJson(const nlohmann::json& json, const CgParams& base)
{
    if (!json.is_object())
        throw InvalidArgument("CG parameters must be a JSON object of groups, e.g. "
                              "{\"scratch\": {\"widthUm\": [20, 80]}}.");
    CgParams out = base;
    for (const auto& [group, fields] : json.items()) {
        if (group == "name" || group == "description") continue;
        if (!fields.is_object())
            throw InvalidArgument("CG parameter group '" + group +
                                  "' must be a JSON object of fields.");
        for (const auto& [key, value] : fields.items()) {
            const ParamInfo* p = findParam(group, key);
            if (!p)
                throw InvalidArgument("Unknown CG parameter " + group + "." + key +
                                      ". Run 'kizu-cli cg preset show default' for the list.");
            auto number = [&](const nlohmann::json& v) {
                if (!v.is_number())
                    throw InvalidArgument("CG parameter " + p->path() + " must be a number, got " +
                                          v.dump() + ".");
                return v.get<double>();
            };
            if (p->isRange) {
                Range r;
                if (value.is_array()) {
                    if (value.size() != 2)
                        throw InvalidArgument("CG parameter " + p->path() +
                                              " must be [min, max] or one number, got " +
                                              value.dump() + ".");
                    r = {number(value[0]), number(value[1])};
                } else {
                    double v = number(value);
                    r = {v, v};
                }
                p->setRange(out, r);
            } else {
                p->setValue(out, number(value));
            }
        }
    }
    validate(out);
    return out;
}

CgParams loadParamsFile(const std::string& path)
{
    std::string text = readFile(path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError("The CG parameter file " + path + " is not valid JSON (" + e.what() +
                          "). Start from 'kizu-cli cg preset show default'.");
    }
    try {
        return paramsFromJson(j);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument(std::string(e.what()) + " File: " + path + ".");
    }
}

namespace {
const detail::EmbeddedPreset* findPreset(const std::string& name)
{
    for (std::size_t i = 0; i < detail::kEmbeddedPresetCount; ++i)
        if (name == detail::kEmbeddedPresets[i].name) return &detail::kEmbeddedPresets[i];
    return nullptr;
}

nlohmann::json presetJson(const std::string& name)
{
    const auto* p = findPreset(name);
    if (!p) {
        std::string known;
        for (const auto& n : presetNames())
            known += (known.empty() ? "" : ", ") + n;
        throw InvalidArgument("Unknown CG preset '" + name + "'. Known presets: " + known +
                              ". Or pass your own file with --params FILE.json.");
    }
    try {
        return nlohmann::json::parse(p->json);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError("The built-in CG preset '" + name + "' is not valid JSON: " + e.what());
    }
}
} // namespace

std::vector<std::string> presetNames()
{
    std::vector<std::string> names;
    for (std::size_t i = 0; i < detail::kEmbeddedPresetCount; ++i)
        names.emplace_back(detail::kEmbeddedPresets[i].name);
    std::sort(names.begin(), names.end());
    return names;
}

std::string presetDescription(const std::string& name)
{
    auto j = presetJson(name);
    return j.value("description", std::string());
}

CgParams loadPreset(const std::string& name)
{
    auto j = presetJson(name);
    try {
        return paramsFromJson(j);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument(std::string(e.what()) + " Built-in preset: " + name + ".");
    }
}

} // namespace kizu::cg
