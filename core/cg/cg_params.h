// Parameters of the domain-randomized CG generator: every quantity is a range that is sampled
// per image. paramTable() describes every field (group, key, tooltip, unit, hard limits,
// accessors) so the GUI and the JSON presets edit all of them the same generic way.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kizu::cg {

// A closed interval sampled uniformly (integers: uniformly among the whole numbers inside).
struct Range {
    double min = 0;
    double max = 0;
    bool operator==(const Range&) const = default;
};

// Lengths in the plane are micrometres (um) or millimetres (mm) of the imaged surface; heights
// are micrometres; angles are degrees; the grinding direction 0 deg is the image x axis.
struct GeometryParams {
    Range grindAngleDeg{-25, 25};      // grinding direction against the image x axis, deg
    Range angleJitterDeg{0.2, 1.2};    // std. dev. of each striation's angle around it, deg
    Range striationRadiusUm{5, 16};    // half width of one grinding striation (a cylinder), um
    Range striationLengthMm{0.4, 3.0}; // length of one striation, mm
    Range striationReliefUm{0.3, 1.5}; // height of a striation's crest above its edges, um
    Range coverage{1.0, 2.0};          // how many striations cover a surface point on average
    Range wavinessUm{0.0, 4.0};        // amplitude of low-frequency form deviation, um
};

struct ScratchParams {
    double probability = 0.6;      // chance that an NG image has scratches
    Range count{1, 2};             // scratches per image (whole number)
    Range segments{2, 6};          // cylinders in the chain, joined by spheres (whole number)
    Range lengthMm{0.6, 2.5};      // total length of a scratch, mm
    Range widthUm{25, 90};         // groove width at its widest, um
    Range depthUm{3, 15};          // groove depth at its deepest, um
    Range bendDeg{0, 25};          // direction change at each joint, deg
    Range angleToGrainDeg{15, 90}; // angle between scratch and grinding direction, deg
};

struct PitParams {
    double probability = 0.4;         // chance that an NG image has a cluster of pits
    Range count{1, 7};                // pits in the cluster (whole number)
    Range radiusUm{35, 110};          // radius of one pit's opening, um
    Range depthUm{5, 30};             // depth of one pit, um
    Range clusterSpreadMm{0.05, 0.4}; // radius of the cluster, mm
    Range darkening{0.3, 0.75};       // reflectance lost inside a pit (corrosion), 0..1
};

struct DentParams {
    double probability = 0.2; // chance that an NG image has dents
    Range count{1, 2};        // dents per image (whole number)
    Range radiusUm{100, 300}; // radius of a dent's footprint, um
    Range depthUm{4, 14};     // depth of a dent (a pressed-in sphere cap), um
};

struct CrackParams {
    double probability = 0.15;           // chance that an NG image has a crack
    Range lengthMm{0.4, 1.6};            // length of the main crack line, mm
    Range widthUm{6, 16};                // crack width, um
    Range depthUm{10, 30};               // crack depth, um
    Range branchProbability{0.02, 0.12}; // chance of a branch at each step of the polyline
    Range wiggleDeg{5, 20};              // direction change between steps, deg
};

struct LightParams {
    Range count{1, 4};              // number of lights (whole number, 1..4)
    Range azimuthDeg{0, 360};       // light direction around the camera axis, deg
    Range elevationDeg{25, 75};     // light elevation above the surface, deg
    Range temperatureK{3200, 6500}; // colour temperature of a light, kelvin
    Range intensity{0.6, 1.5};      // light intensity, relative
    Range size{0.02, 0.25};         // angular size of a light (softens highlights), rad
    Range ambient{0.03, 0.12};      // diffuse ambient light, relative
    Range environment{0.25, 0.9};   // brightness of the reflected surroundings, relative
    Range environmentBands{1.5, 6}; // stripes of the reflected surroundings (softboxes), count
    Range occlusion{0.4, 1.2};      // darkening of cavities (grooves, pits), relative
};

struct MaterialParams {
    double steelWeight = 0.6;        // relative chance of a steel base colour
    double aluminiumWeight = 0.2;    // relative chance of an aluminium base colour
    double brassWeight = 0.2;        // relative chance of a brass-like (warm) base colour
    Range colorJitter{0.0, 0.06};    // random deviation of the base colour, 0..1
    Range metallic{0.85, 1.0};       // metalness, 0 dielectric .. 1 metal
    Range roughness{0.12, 0.35};     // microfacet roughness across the grain, 0..1
    Range anisotropy{0.5, 0.9};      // how much smoother along the grain than across, 0..1
    Range textureNoise{0.04, 0.18};  // amplitude of streaky reflectance noise, relative
    Range textureScaleMm{0.15, 0.8}; // size of the reflectance noise across the grain, mm
};

struct CameraParams {
    double imageSize = 224;        // output width and height, px
    double oversample = 1;         // render at this multiple and downscale (1..4)
    Range fieldOfViewMm{2.0, 4.5}; // width of the imaged surface (zoom), mm
    Range tiltDeg{0, 18};          // camera tilt away from the surface normal, deg
    Range focusBlurPx{0.0, 0.6};   // Gaussian blur sigma of the sharp part, px at 224
    Range depthOfField{0.0, 1.0};  // extra blur towards the far edge when tilted, px at 224
    Range exposureEv{-0.6, 0.5};   // exposure change, stops
    Range vignetting{0.0, 0.35};   // brightness lost in the corners, 0..1
};

struct SensorParams {
    Range readNoise{0.002, 0.015};      // std. dev. of additive noise, fraction of full scale
    Range shotNoise{0.0, 0.03};         // signal-dependent noise, fraction at full scale
    double grayscaleProbability = 0.15; // chance of a monochrome camera image
};

struct CgParams {
    GeometryParams geometry;
    ScratchParams scratch;
    PitParams pit;
    DentParams dent;
    CrackParams crack;
    LightParams lights;
    MaterialParams material;
    CameraParams camera;
    SensorParams sensor;
};

// One editable field of CgParams, for generic editors and JSON I/O.
struct ParamInfo {
    std::string group;   // JSON object and GUI section, e.g. "scratch"
    std::string key;     // field name inside the group, e.g. "widthUm"
    std::string tooltip; // meaning and unit, one line
    std::string unit;    // "um", "mm", "deg", "K", "px", "" ...
    double hardMin = 0;  // values outside [hardMin, hardMax] are refused
    double hardMax = 0;
    bool isRange = true;  // Range field, else a single number
    bool integer = false; // whole numbers only
    std::function<Range(const CgParams&)> getRange;
    std::function<void(CgParams&, Range)> setRange;
    std::function<double(const CgParams&)> getValue;
    std::function<void(CgParams&, double)> setValue;

    std::string path() const { return group + "." + key; }
};

const std::vector<ParamInfo>& paramTable();

// Throws InvalidArgument naming the field when a range is empty (min > max), a value lies
// outside its hard limits (e.g. a negative width, a probability outside [0, 1]) or the
// material weights are all zero.
void validate(const CgParams& params);

// Every field, grouped: {"scratch": {"widthUm": [25, 90], "probability": 0.6, ...}, ...}.
nlohmann::json paramsToJson(const CgParams& params);
// Overlays the fields present in `json` on `base` and validates. A range may be [min, max] or
// one number. Unknown groups or keys throw InvalidArgument (a typo must not be ignored); the
// top-level keys "name" and "description" are allowed for presets.
CgParams paramsFromJson(const nlohmann::json& json, const CgParams& base = CgParams{});
// Reads a parameter file; IoError when unreadable, FormatError when not JSON.
CgParams loadParamsFile(const std::string& path);

// Presets are JSON files from resources/presets/, compiled into the binary. Each overlays the
// defaults of CgParams.
std::vector<std::string> presetNames();
std::string presetDescription(const std::string& name);
// Throws InvalidArgument listing the known presets when `name` is unknown.
CgParams loadPreset(const std::string& name);

} // namespace kizu::cg
