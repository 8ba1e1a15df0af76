// Tests of the CG generator: parameters and presets, determinism, labels and masks, OBJ
// output, the in-memory stream, and batches (sharding, resume, settings guard).
// kizu-test-timeout: 120
#include "core/cg/cg_batch.h"
#include "core/cg/cg_generator.h"
#include "core/cg/cg_project_batch.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/sha256.h"
#include "core/project/project_store.h"

#include "common/project_rows.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>

namespace fs = std::filesystem;
using namespace kizu;
using namespace kizu::cg;

namespace {
CgParams smallParams(int size = 96)
{
    CgParams p;
    p.camera.imageSize = size;
    return p;
}

std::string expectInvalid(const std::function<void()>& f)
{
    try {
        f();
    } catch (const InvalidArgument& e) {
        return e.what();
    }
    return "<no InvalidArgument thrown>";
}

std::map<std::string, std::string> hashTree(const fs::path& dir)
{
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && e.path().filename() != "cg_batch.json")
            out[fs::relative(e.path(), dir).string()] = sha256File(e.path());
    return out;
}
} // namespace

class TestCg : public QObject {
    Q_OBJECT

private slots:
    void paramTableRoundTrip()
    {
        std::set<std::string> keys;
        for (const auto& p : paramTable()) {
            QVERIFY2(keys.insert(p.path()).second, p.path().c_str());
            QVERIFY2(!p.tooltip.empty(), p.path().c_str());
            QVERIFY(p.hardMin <= p.hardMax);
            QVERIFY(p.isRange ? bool(p.getRange && p.setRange) : bool(p.getValue && p.setValue));
        }
        QVERIFY(keys.count("scratch.widthUm") && keys.count("lights.temperatureK") &&
                keys.count("material.anisotropy") && keys.count("sensor.grayscaleProbability"));
        CgParams p;
        p.scratch.widthUm = {11, 22};
        p.pit.probability = 0.25;
        p.camera.imageSize = 128;
        const auto j = paramsToJson(p);
        QCOMPARE(j["scratch"]["widthUm"][1].get<double>(), 22.0);
        CgParams back = paramsFromJson(j);
        QCOMPARE(paramsToJson(back), j);
        // A single number is a degenerate range; fields not given keep the base.
        CgParams partial = paramsFromJson(nlohmann::json::parse(R"({"dent": {"depthUm": 3}})"));
        QCOMPARE(partial.dent.depthUm, (Range{3, 3}));
        QCOMPARE(partial.scratch.widthUm, CgParams{}.scratch.widthUm);
    }

    void presets()
    {
        const auto names = presetNames();
        for (const char* want : {"default", "pitting", "scratches", "steel_bright"})
            QVERIFY2(std::find(names.begin(), names.end(), want) != names.end(), want);
        QCOMPARE(paramsToJson(loadPreset("default")), paramsToJson(CgParams{}));
        for (const auto& n : names) {
            QVERIFY(!presetDescription(n).empty());
            loadPreset(n); // validates
        }
        QVERIFY(loadPreset("pitting").pit.probability > CgParams{}.pit.probability);
        QCOMPARE(loadPreset("scratches").pit.probability, 0.0);
        // The curriculum's first stage: every scratch wider, every field of view closer.
        const auto large = loadPreset("large_defects");
        QVERIFY(large.scratch.widthUm.min > CgParams{}.scratch.widthUm.min);
        QVERIFY(large.camera.fieldOfViewMm.max < CgParams{}.camera.fieldOfViewMm.max);
        QCOMPARE(large.material.steelWeight, CgParams{}.material.steelWeight);
    }

    void invalidParameters()
    {
        CgParams p;
        p.scratch.widthUm = {-5, 20};
        std::string m = expectInvalid([&] { validate(p); });
        QVERIFY2(m.find("scratch.widthUm") != std::string::npos &&
                     m.find("-5") != std::string::npos,
                 m.c_str());

        p = CgParams{};
        p.lights.elevationDeg = {60, 30};
        m = expectInvalid([&] { CgGenerator g(p, 1); });
        QVERIFY2(m.find("lights.elevationDeg") != std::string::npos &&
                     m.find("empty range") != std::string::npos,
                 m.c_str());

        m = expectInvalid(
            [] { paramsFromJson(nlohmann::json::parse(R"({"pit": {"probability": 1.5}})")); });
        QVERIFY2(m.find("pit.probability") != std::string::npos, m.c_str());

        m = expectInvalid(
            [] { paramsFromJson(nlohmann::json::parse(R"({"scratch": {"widht": [1, 2]}})")); });
        QVERIFY2(m.find("scratch.widht") != std::string::npos, m.c_str());

        m = expectInvalid([] { loadPreset("no_such_preset"); });
        QVERIFY2(m.find("no_such_preset") != std::string::npos &&
                     m.find("pitting") != std::string::npos,
                 m.c_str());

        p = CgParams{};
        p.scratch.probability = p.pit.probability = p.dent.probability = p.crack.probability = 0;
        m = expectInvalid([&] { validate(p); });
        QVERIFY2(m.find("probability") != std::string::npos, m.c_str());

        m = expectInvalid([] { parseShard("3/3"); });
        QVERIFY2(m.find("3/3") != std::string::npos, m.c_str());
        QCOMPARE(parseShard("2/5").index, 2);
        QCOMPARE(parseShard("2/5").count, 5);
    }

    void deterministic()
    {
        const CgParams p = smallParams();
        const CgGenerator a(p, 7), b(p, 7), other(p, 8);
        for (std::uint64_t i : {0, 1, 5}) {
            const CgSample sa = a.render(i), sb = b.render(i);
            QCOMPARE(sha256Hex(encodePng(sa.image)), sha256Hex(encodePng(sb.image)));
            QCOMPARE(sha256Hex(encodePng(sa.mask)), sha256Hex(encodePng(sb.mask)));
            QCOMPARE(sa.sampled, sb.sampled);
            QVERIFY(sha256Hex(encodePng(sa.image)) != sha256Hex(encodePng(other.render(i).image)));
        }
        // Independent of the thread count and of the order of rendering.
        const int threads = cv::getNumThreads();
        cv::setNumThreads(1);
        auto one = renderRange(a, 0, 8);
        cv::setNumThreads(std::max(2, threads));
        auto many = renderRange(a, 0, 8);
        cv::setNumThreads(threads);
        for (int i = 7; i >= 0; --i) {
            const auto single = a.render(std::uint64_t(i));
            QCOMPARE(cv::norm(one[i].image, many[i].image, cv::NORM_INF), 0.0);
            QCOMPARE(cv::norm(one[i].image, single.image, cv::NORM_INF), 0.0);
        }
    }

    void pngRoundTrip()
    {
        const CgSample s = CgGenerator(smallParams(72), 2).render(0, true);
        for (const cv::Mat& m : {s.image, s.mask}) {
            const std::string png = encodePng(m);
            cv::Mat back =
                cv::imdecode(std::vector<uchar>(png.begin(), png.end()), cv::IMREAD_UNCHANGED);
            QCOMPARE(back.type(), m.type());
            QCOMPARE(cv::norm(back, m, cv::NORM_INF), 0.0);
        }
        QVERIFY(encodePng(s.mask).size() < 2000); // masks compress to almost nothing
    }

    void labelsAndMasks()
    {
        const CgGenerator gen(smallParams(80), 3);
        const auto samples = renderRange(gen, 0, 64);
        int ng = 0;
        for (const auto& s : samples) {
            QCOMPARE(s.image.type(), CV_8UC3);
            QCOMPARE(s.image.size(), cv::Size(80, 80));
            QCOMPARE(s.mask.type(), CV_8U);
            QCOMPARE(s.mask.size(), cv::Size(80, 80));
            QCOMPARE(s.heightMap.type(), CV_32F);
            QCOMPARE(s.ng, gen.isNg(s.index));
            QCOMPARE(s.sampled["label"].get<std::string>(), std::string(s.ng ? "ng" : "ok"));
            const int defectPixels = cv::countNonZero(s.mask);
            const int binary = cv::countNonZero(s.mask == 0) + cv::countNonZero(s.mask == 255);
            QCOMPARE(binary, 80 * 80);
            if (s.ng) {
                ++ng;
                QVERIFY2(defectPixels > 0,
                         ("empty mask for NG index " + std::to_string(s.index)).c_str());
                QVERIFY(!s.sampled["defects"].empty());
            } else {
                QCOMPARE(defectPixels, 0);
                QVERIFY(s.sampled["defects"].empty());
            }
        }
        QCOMPARE(ng, 32); // exactly one NG per pair of indices
        // Forcing the label keeps everything but the defects.
        const CgSample forced = gen.render(0, true);
        QVERIFY(forced.ng && cv::countNonZero(forced.mask) > 0);
        QCOMPARE(forced.sampled["lights"], gen.render(0, false).sampled["lights"]);
        // Every defect kind on its own still gives a visible mask.
        for (const char* kind : {"scratch", "pit", "dent", "crack"}) {
            CgParams p = smallParams(64);
            p.scratch.probability = p.pit.probability = p.dent.probability = p.crack.probability =
                0;
            nlohmann::json j = paramsToJson(p);
            j[kind]["probability"] = 1.0;
            const CgGenerator g(paramsFromJson(j), 11);
            for (std::uint64_t i = 0; i < 6; ++i) {
                const CgSample s = g.render(i, true);
                QVERIFY2(cv::countNonZero(s.mask) > 0, kind);
                QCOMPARE(s.sampled["defects"][0]["kind"].get<std::string>(), std::string(kind));
            }
        }
    }

    void objReadsBack()
    {
        QTemporaryDir tmp;
        const CgSample s = CgGenerator(smallParams(40), 5).render(1);
        const fs::path obj = fs::path(tmp.path().toStdString()) / "surface.obj";
        writeObj(s.heightMap, s.pixelSizeUm, obj);
        std::ifstream in(obj);
        std::string line;
        int v = 0, vn = 0, f = 0;
        double maxX = 0;
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            std::string tag;
            ls >> tag;
            if (tag == "v") {
                double x, y, z;
                QVERIFY(bool(ls >> x >> y >> z));
                maxX = std::max(maxX, x);
                ++v;
            } else if (tag == "vn") {
                double x, y, z;
                QVERIFY(bool(ls >> x >> y >> z));
                QVERIFY(std::abs(x * x + y * y + z * z - 1) < 1e-3);
                QVERIFY(z > 0);
                ++vn;
            } else if (tag == "f") {
                for (int k = 0; k < 3; ++k) {
                    std::string corner;
                    QVERIFY(bool(ls >> corner));
                    const auto sep = corner.find("//");
                    QVERIFY(sep != std::string::npos);
                    const int a = std::stoi(corner.substr(0, sep)),
                              b = std::stoi(corner.substr(sep + 2));
                    QCOMPARE(a, b);
                    QVERIFY(a >= 1 && a <= 40 * 40);
                }
                ++f;
            }
        }
        QCOMPARE(v, 40 * 40);
        QCOMPARE(vn, 40 * 40);
        QCOMPARE(f, 2 * 39 * 39);
        QVERIFY(std::abs(maxX - 39 * s.pixelSizeUm / 1000.0) < 1e-4); // millimetres
    }

    void streamAndEncoded()
    {
        const CgParams p = smallParams(64);
        CgStream stream(p, 9, 10);
        const CgSample first = stream.next();
        QCOMPARE(first.index, std::uint64_t(10));
        auto batch = stream.nextBatch(5);
        QCOMPARE(int(batch.size()), 5);
        QCOMPARE(stream.position(), std::uint64_t(16));
        const CgGenerator gen(p, 9);
        QCOMPARE(cv::norm(batch[2].image, gen.render(13).image, cv::NORM_INF), 0.0);

        CancelToken cancel;
        auto enc = renderEncoded(p, 9, 6, {}, &cancel);
        QCOMPARE(int(enc.size()), 6);
        int ng = 0;
        for (const auto& e : enc) {
            cv::Mat img =
                cv::imdecode(std::vector<uchar>(e.png.begin(), e.png.end()), cv::IMREAD_UNCHANGED);
            cv::Mat mask = cv::imdecode(std::vector<uchar>(e.maskPng.begin(), e.maskPng.end()),
                                        cv::IMREAD_UNCHANGED);
            QCOMPARE(img.type(), CV_8UC3);
            QCOMPARE(mask.type(), CV_8U);
            QCOMPARE(cv::countNonZero(mask) > 0, e.ng);
            ng += e.ng;
        }
        QCOMPARE(ng, 3);
        cancel.cancel();
        QVERIFY(renderEncoded(p, 9, 100, {}, &cancel).empty());
    }

    void batchShardsAndResume()
    {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        const CgParams p = smallParams(48);
        const int count = 14;
        auto full = generateBatch(p, 5, count, root / "full");
        QCOMPARE(full.rendered, std::int64_t(count));
        QVERIFY(!full.cancelled);
        const auto want = hashTree(root / "full");
        QCOMPARE(int(want.size()), 3 * count);
        QVERIFY(want.count("ng/" + batchStem(0, count) + ".png") +
                    want.count("ok/" + batchStem(0, count) + ".png") ==
                1);

        // Three shards into one folder: no gap, no overlap, same bytes.
        std::int64_t total = 0;
        for (int i = 0; i < 3; ++i) {
            auto r = generateBatch(p, 5, count, root / "sharded", {i, 3});
            QCOMPARE(r.skipped, std::int64_t(0));
            total += r.rendered;
        }
        QCOMPARE(total, std::int64_t(count));
        QCOMPARE(hashTree(root / "sharded"), want);

        // Resume: a missing image, a truncated mask and a stray temp file are repaired; the
        // rest is skipped.
        const fs::path dir = root / "sharded";
        fs::path victim;
        for (const auto& [rel, h] : want)
            if (!rel.starts_with("masks/") && rel.ends_with(".png")) {
                victim = dir / rel;
                break;
            }
        fs::remove(victim);
        fs::path truncated;
        for (const auto& [rel, h] : want)
            if (rel.starts_with("masks/") && dir / rel != victim) truncated = dir / rel;
        fs::resize_file(truncated, 10);
        std::ofstream(victim.parent_path() / ".cg_000003.png.tmp999_1") << "junk";
        CancelToken none;
        auto again = generateBatch(p, 5, count, dir, {}, {}, &none);
        QCOMPARE(again.rendered, std::int64_t(2));
        QCOMPARE(again.skipped, std::int64_t(count - 2));
        QCOMPARE(hashTree(dir), want);

        // A cancelled run stops early without error and without partial files.
        CancelToken cancel;
        cancel.cancel();
        auto stopped = generateBatch(p, 5, count, root / "cancelled", {}, {}, &cancel);
        QVERIFY(stopped.cancelled);
        QCOMPARE(stopped.rendered, std::int64_t(0));

        // Other settings in the same folder are refused.
        const std::string m = expectInvalid([&] { generateBatch(p, 6, count, dir); });
        QVERIFY2(m.find("other settings") != std::string::npos, m.c_str());
    }

    // The CG batch into the project (CG Studio's and `cg batch --to-project`'s workflow): the
    // same files as a plain batch, one cg_batches row with the settings, every image imported
    // with its label; a second run resumes, imports nothing new and records its own row.
    void batchIntoProjectRecordsAndImports()
    {
        QTemporaryDir tmp;
        const fs::path projectDir = fs::path(tmp.path().toStdString()) / "project";
        project::ProjectStore::create(projectDir);
        const CgParams p = smallParams(64);
        std::vector<std::string> stages;
        const auto r = generateBatchIntoProject(projectDir, p, 3, 6, [&](const Progress& pr) {
            if (stages.empty() || stages.back() != pr.stage) stages.push_back(pr.stage);
        });
        QCOMPARE(stages, (std::vector<std::string>{"render", "import"}));
        QVERIFY(!r.render.cancelled);
        QCOMPARE(r.render.rendered, std::int64_t(6));
        QCOMPARE(r.imported, 6);
        QCOMPARE(r.newImages, 6);
        QCOMPARE(r.folder, projectBatchFolder(projectDir, p, 3, 6));
        QCOMPARE(r.folder.parent_path(), projectDir / "cg");
        QVERIFY(r.folder.filename().string().rfind("batch_s3_n6_", 0) == 0);
        QVERIFY(projectBatchFolder(projectDir, smallParams(80), 3, 6) != r.folder);

        // The same files, byte for byte, as a plain batch with the same settings.
        const fs::path plain = fs::path(tmp.path().toStdString()) / "plain";
        generateBatch(p, 3, 6, plain);
        QCOMPARE(hashTree(r.folder), hashTree(plain));

        const QString dir = QString::fromStdString(projectDir.string());
        const QStringList batches = kizu::test::cgBatchRows(dir);
        QCOMPARE(batches.size(), 1);
        const QStringList row = batches[0].split('\t');
        QCOMPARE(row.size(), 5);
        QCOMPARE(row[0].toLongLong(), r.batchId);
        QCOMPARE(row[1], QStringLiteral("3"));
        QCOMPARE(row[2], QStringLiteral("6"));
        QCOMPARE(nlohmann::json::parse(row[3].toStdString()), paramsToJson(p));
        QCOMPARE(row[4].toStdString(), r.folder.string());

        const QStringList images = kizu::test::cgImageRows(dir);
        QCOMPARE(images.size(), 6);
        std::map<std::string, std::string> labelOfHash;
        for (const char* sub : {"ok", "ng"})
            for (const auto& e : fs::directory_iterator(plain / sub))
                if (e.path().extension() == ".png")
                    labelOfHash[sha256File(e.path())] = std::string(sub) == "ok" ? "1" : "2";
        QCOMPARE(labelOfHash.size(), std::size_t(6));
        for (const QString& img : images) {
            const QStringList c = img.split('\t');
            QVERIFY2(labelOfHash.count(c[0].toStdString()), qPrintable(img));
            QCOMPARE(c[1].toStdString(), labelOfHash[c[0].toStdString()]);
            QCOMPARE(c[2], QStringLiteral("cg_batch_%1").arg(r.batchId));
        }

        const auto again = generateBatchIntoProject(projectDir, p, 3, 6);
        QCOMPARE(again.render.rendered, std::int64_t(0));
        QCOMPARE(again.render.skipped, std::int64_t(6));
        QCOMPARE(again.imported, 6);
        QCOMPARE(again.newImages, 0);
        QVERIFY(again.batchId > r.batchId);
        QCOMPARE(kizu::test::cgBatchRows(dir).size(), 2);
        QCOMPARE(kizu::test::cgImageRows(dir), images);
    }

    void batchIntoProjectCancelledOrNoProject()
    {
        QTemporaryDir tmp;
        const fs::path projectDir = fs::path(tmp.path().toStdString()) / "project";
        project::ProjectStore::create(projectDir);
        CancelToken cancel;
        cancel.cancel();
        const auto r = generateBatchIntoProject(projectDir, smallParams(64), 3, 6, {}, &cancel);
        QVERIFY(r.render.cancelled);
        QCOMPARE(r.batchId, std::int64_t(0));
        QCOMPARE(r.imported, 0);
        const QString dir = QString::fromStdString(projectDir.string());
        QVERIFY(kizu::test::cgBatchRows(dir).isEmpty());
        QVERIFY(kizu::test::cgImageRows(dir).isEmpty());

        // Not a project: refused before anything is rendered.
        const fs::path none = fs::path(tmp.path().toStdString()) / "none";
        fs::create_directories(none);
        QVERIFY_THROWS_EXCEPTION(StoreError, generateBatchIntoProject(none, smallParams(64), 3, 6));
        QVERIFY(!fs::exists(none / "cg"));
    }
};

QTEST_APPLESS_MAIN(TestCg)
#include "test_cg.moc"
