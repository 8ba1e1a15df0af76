// ONNX export (issue 23): the exported graph, run by OpenCV's DNN module in C++ and by Python's
// cv2 (/usr/bin/python3, scripts/onnx_scores.py), gives the station's NG scores (Model::predict)
// within 1e-3 for SqueezeNet and ResNet-18 classifiers and defect-map models (square and
// native aspect, with the top-1 % feature over one place and over several), on synthetic
// images and on BSData photos; a defect-map model's map matches Model::defectMap; the errors
// name what to do.
// kizu-test-timeout: 600
// kizu-test-no-asan: 174 s under ASan on 2 cores (the exporter also runs under ASan in test_cli_models, kizu-cli model export --onnx)
#include "core/common/error.h"
#include "core/common/paths.h"
#include "core/learn/model.h"
#include "core/learn/onnx_export.h"
#include "tests/common/test_support.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

using namespace kizu;
using namespace kizu::learn;

namespace {
constexpr double kTolerance = 1e-3;

// Textured BGR images of the given size with a dark or bright blob on some, so that a trained
// model's scores spread.
std::vector<cv::Mat> synthetic(cv::Size size, int count)
{
    std::vector<cv::Mat> out;
    for (int i = 0; i < count; ++i) {
        cv::Mat im(size, CV_8UC3);
        cv::RNG rng(std::uint64_t(1000 + i));
        rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(50), cv::Scalar::all(200));
        cv::GaussianBlur(im, im, cv::Size(0, 0), 1.0 + i % 3);
        if (i % 2)
            cv::circle(im, {size.width * (i + 1) / (count + 1), size.height / 2},
                       std::max(2, size.height / 10), cv::Scalar::all(i % 4 == 1 ? 10 : 245), -1);
        if (i % 3 == 2)
            cv::line(im, {0, size.height / 3}, {size.width, size.height * 2 / 3},
                     cv::Scalar(20, 30, 40), 2);
        out.push_back(im);
    }
    return out;
}

// Eight BSData photos (four OK, four NG, test split first); empty when BSData is absent.
std::vector<cv::Mat> bsdataPhotos(std::vector<QString>* paths = nullptr)
{
    const QString dir = kizu::test::bsdataDir();
    if (dir.isEmpty()) return {};
    std::vector<cv::Mat> out;
    int ok = 0, ng = 0;
    const auto rows = kizu::test::readCsv(dir + "/manifest.csv");
    for (qsizetype i = 1; i < rows.size() && (ok < 4 || ng < 4); ++i) {
        if (rows[i].size() < 2) continue;
        int& n = rows[i][1] == "ng" ? ng : ok;
        if (n >= 4) continue;
        const QString path = dir + "/" + rows[i][0];
        cv::Mat im = cv::imread(path.toStdString(), cv::IMREAD_COLOR);
        if (im.empty()) continue;
        ++n;
        out.push_back(im);
        if (paths) paths->push_back(path);
    }
    return out;
}

struct OnnxRun {
    std::vector<float> scores, logitsNg;
    std::vector<cv::Mat> maps;
};

OnnxRun runOnnx(const std::string& file, const std::vector<cv::Mat>& images, cv::Size canvas,
                bool withMap)
{
    cv::dnn::Net net = cv::dnn::readNetFromONNX(file);
    OnnxRun r;
    for (const auto& im : images) {
        net.setInput(cv::dnn::blobFromImage(resizeForOnnx(im, canvas)), "image");
        std::vector<cv::Mat> outs;
        std::vector<cv::String> names{"logits", "scores"};
        if (withMap) names.push_back("defect_map");
        net.forward(outs, names);
        r.logitsNg.push_back(outs[0].at<float>(0, 1) - outs[0].at<float>(0, 0));
        r.scores.push_back(outs[1].at<float>(0, 1));
        if (withMap) {
            const cv::Mat& m = outs[2]; // [1, 1, h, w]
            r.maps.push_back(cv::Mat(m.size[2], m.size[3], CV_32F, (void*)m.ptr<float>()).clone());
        }
    }
    return r;
}

double maxDiff(const std::vector<float>& a, const std::vector<float>& b)
{
    double d = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
        d = std::max(d, double(std::abs(a[i] - b[i])));
    return d;
}

double spread(const std::vector<float>& v)
{
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return v.empty() ? 0.0 : double(*hi - *lo);
}

std::filesystem::path shipped(const char* name)
{
    for (const auto& p : shippedModels())
        if (p.filename() == name) return p;
    return {};
}

// Exports `model`, runs the graph in cv::dnn on `images` and compares with the station.
// Returns the largest |score difference|.
double exportAndCompare(const Model& model, const std::vector<cv::Mat>& images, const QString& what,
                        cv::Size imageSize = {})
{
    QTemporaryDir dir;
    const std::string file = dir.filePath("model.onnx").toStdString();
    OnnxExportOptions options;
    options.imageSize = imageSize;
    const OnnxExportInfo info = exportOnnx(model, file, options);
    const bool map = model.info().defectMap();
    const auto onnx = runOnnx(file, images, info.canvas, map);
    const auto station = model.predict(images);
    if (onnx.scores.size() != station.size()) {
        qWarning() << what << "ran" << onnx.scores.size() << "of" << station.size();
        return 1;
    }
    const double d = maxDiff(onnx.scores, station);
    // The logits too, where the station's score is not saturated: a near-constant score would
    // hide a wrong graph.
    for (std::size_t i = 0; i < station.size(); ++i) {
        const double p = std::clamp(double(station[i]), 1e-6, 1 - 1e-6);
        if (p > 1e-3 && p < 1 - 1e-3) {
            const double z = std::log(p / (1 - p));
            if (std::abs(z - onnx.logitsNg[i]) > 1e-2 * std::max(1.0, std::abs(z))) {
                qWarning() << what << "image" << i << "NG logit: station" << z << "ONNX"
                           << onnx.logitsNg[i];
                return 1;
            }
        }
    }
    if (map) {
        for (std::size_t i = 0; i < images.size(); ++i) {
            const cv::Mat expected = model.defectMap(images[i]);
            if (expected.size() != onnx.maps[i].size() ||
                cv::norm(expected, onnx.maps[i], cv::NORM_INF) > kTolerance) {
                qWarning() << what << "image" << i << "defect map differs";
                return 1;
            }
        }
    }
    qInfo().noquote() << what << ": canvas" << info.canvas.width << "x" << info.canvas.height
                      << (map ? QString(" map %1 x %2, top k %3")
                                    .arg(info.mapSize.width)
                                    .arg(info.mapSize.height)
                                    .arg(info.topK)
                              : QString())
                      << ", scores"
                      << QString::number(*std::min_element(station.begin(), station.end()), 'f', 4)
                      << "-"
                      << QString::number(*std::max_element(station.begin(), station.end()), 'f', 4)
                      << ", max |score difference|" << d;
    return d;
}

ModelInfo infoFor(const std::string& arch, const std::string& head, int size, bool keepAspect)
{
    ModelInfo i;
    i.arch = arch;
    i.head = head;
    i.inputSize = size;
    i.keepAspect = keepAspect;
    return i;
}

QString python()
{
    return qEnvironmentVariable("KIZU_PYTHON", "/usr/bin/python3");
}

bool pythonHasCv2()
{
    QProcess check;
    check.start(python(), {"-c", "import cv2"});
    return check.waitForFinished(60000) && check.exitStatus() == QProcess::NormalExit &&
           check.exitCode() == 0;
}
} // namespace

class TestLearnOnnx : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { setTorchThreads(2); }

    void squeezenetClassifierMatchesTheStation()
    {
        auto images = synthetic({200, 150}, 6);
        const auto file = shipped("squeezenet1_1-cg128.kizumodel");
        QVERIFY2(!file.empty(), "models/squeezenet1_1-cg128.kizumodel is missing");
        Model m = Model::load(file);
        QVERIFY2(spread(m.predict(images)) > 1e-3, "the trained model's scores should differ");
        QVERIFY(exportAndCompare(m, images, "squeezenet1_1-cg128") < kTolerance);
        // Scratch weights at another input size (and a non-default normalisation).
        ModelInfo info = infoFor("squeezenet1_1", "classifier", 96, false);
        info.mean = {0.5f, 0.4f, 0.3f};
        info.std = {0.2f, 0.25f, 0.3f};
        Model scratch = Model::create(info, "scratch", 3);
        QVERIFY(exportAndCompare(scratch, images, "squeezenet1_1 scratch 96") < kTolerance);
    }

    void resnetClassifierMatchesTheStation()
    {
        auto images = synthetic({160, 160}, 4);
        const auto file = shipped("resnet18-cg128.kizumodel");
        QVERIFY2(!file.empty(), "models/resnet18-cg128.kizumodel is missing");
        Model m = Model::load(file);
        QVERIFY2(spread(m.predict(images)) > 1e-3, "the trained model's scores should differ");
        QVERIFY(exportAndCompare(m, images, "resnet18-cg128") < kTolerance);
        // ResNet-50's bottleneck blocks (scratch weights, small input).
        Model r50 = Model::create(infoFor("resnet50", "classifier", 64, false), "scratch", 4);
        QVERIFY(exportAndCompare(r50, images, "resnet50 scratch 64") < kTolerance);
    }

    void defectMapModelsMatchTheStation()
    {
        const cv::Size photo(1130, 460); // BSData's photos
        auto images = synthetic(photo, 4);
        const auto file = shipped("squeezenet1_1-cgmap.kizumodel");
        QVERIFY2(!file.empty(), "models/squeezenet1_1-cgmap.kizumodel is missing");
        Model m = Model::load(file);
        // Square at its size: a 7 x 7 map, the top 1 % is its maximum.
        QVERIFY(exportAndCompare(m, images, "squeezenet1_1-cgmap 128") < kTolerance);
        // Native aspect at 512: a 31 x 12 map, the top 1 % averages 3 places (the pairwise path).
        m.info().inputSize = 512;
        m.info().keepAspect = true;
        QVERIFY(exportAndCompare(m, images, "squeezenet1_1-cgmap 512 aspect", photo) < kTolerance);
        // ResNet-18's map head on layer3, native aspect (BatchNorm folded, scratch weights).
        Model r = Model::create(infoFor("resnet18", "defect_map", 512, true), "scratch", 5);
        QVERIFY(exportAndCompare(r, images, "resnet18 map 512 aspect", photo) < kTolerance);
    }

    // The batch dimension is free ("N"): three photos in one forward pass, through the top-1 %
    // subgraph's reshapes and transpose, give the scores of three single passes.
    void aBatchRunsInOneForwardPass()
    {
        const auto file = shipped("squeezenet1_1-cgmap.kizumodel");
        QVERIFY2(!file.empty(), "models/squeezenet1_1-cgmap.kizumodel is missing");
        Model m = Model::load(file);
        m.info().inputSize = 512;
        m.info().keepAspect = true;
        const auto images = synthetic({1130, 460}, 3);
        QTemporaryDir dir;
        const std::string onnx = dir.filePath("batch.onnx").toStdString();
        OnnxExportOptions options;
        options.imageSize = images.front().size();
        const auto info = exportOnnx(m, onnx, options);
        QVERIFY(info.topK > 1);
        std::vector<cv::Mat> resized;
        for (const auto& im : images)
            resized.push_back(resizeForOnnx(im, info.canvas));
        cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx);
        net.setInput(cv::dnn::blobFromImages(resized), "image");
        const cv::Mat scores = net.forward("scores");
        QCOMPARE(scores.size[0], 3);
        const auto station = m.predict(images);
        for (int i = 0; i < 3; ++i)
            QVERIFY2(std::abs(scores.at<float>(i, 1) - station[std::size_t(i)]) < kTolerance,
                     qPrintable(QString("image %1: %2 vs %3")
                                    .arg(i)
                                    .arg(scores.at<float>(i, 1))
                                    .arg(station[std::size_t(i)])));
        QVERIFY(spread(station) > 1e-4);
    }

    void bsdataPhotosMatchTheStation()
    {
        KIZU_REQUIRE_BSDATA(dir);
        const auto photos = bsdataPhotos();
        QCOMPARE(int(photos.size()), 8);
        for (const char* name : {"squeezenet1_1-cg128.kizumodel", "resnet18-cg128.kizumodel",
                                 "squeezenet1_1-cgmap.kizumodel"}) {
            const auto file = shipped(name);
            QVERIFY2(!file.empty(), name);
            Model m = Model::load(file);
            QVERIFY(exportAndCompare(m, photos, QString(name) + " on BSData") < kTolerance);
            if (m.info().defectMap()) {
                m.info().inputSize = 384;
                m.info().keepAspect = true;
                QVERIFY(exportAndCompare(m, photos, QString(name) + " 384 aspect on BSData",
                                         photos.front().size()) < kTolerance);
            }
        }
    }

    void pythonCv2GivesTheSameScores()
    {
        if (!pythonHasCv2())
            KIZU_SKIP_REQUIRED("Python's OpenCV is absent (/usr/bin/python3 -c 'import cv2' "
                               "failed); scripts/setup.sh installs python3-opencv");
        QTemporaryDir dir;
        std::vector<QString> paths;
        std::vector<cv::Mat> images = bsdataPhotos(&paths);
        if (images.empty()) { // synthetic photos, written losslessly
            images = synthetic({1130, 460}, 6);
            for (std::size_t i = 0; i < images.size(); ++i) {
                paths.push_back(dir.filePath(QString("synthetic%1.png").arg(i)));
                QVERIFY(cv::imwrite(paths.back().toStdString(), images[i]));
            }
        }
        struct Variant {
            const char* file;
            int size;
            bool aspect;
        };
        for (const Variant& v : {Variant{"resnet18-cg128.kizumodel", 128, false},
                                 Variant{"squeezenet1_1-cgmap.kizumodel", 128, false},
                                 Variant{"squeezenet1_1-cgmap.kizumodel", 512, true}}) {
            const auto file = shipped(v.file);
            QVERIFY2(!file.empty(), v.file);
            const int size = v.size;
            const bool aspect = v.aspect;
            Model m = Model::load(file);
            m.info().inputSize = size;
            m.info().keepAspect = aspect;
            const QString onnx = dir.filePath(QString("map%1.onnx").arg(size));
            OnnxExportOptions options;
            options.imageSize = images.front().size();
            const auto info = exportOnnx(m, onnx.toStdString(), options);
            QStringList args{QStringLiteral(KIZU_SOURCE_DIR) + "/scripts/onnx_scores.py", onnx,
                             QString::number(info.canvas.width),
                             QString::number(info.canvas.height)};
            for (const auto& p : paths)
                args << p;
            QProcess py;
            py.start(python(), args);
            QVERIFY(py.waitForFinished(120000));
            QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
            const auto lines =
                QString::fromUtf8(py.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
            QCOMPARE(lines.size(), qsizetype(paths.size()));
            const auto station = m.predict(images);
            double d = 0;
            for (qsizetype i = 0; i < lines.size(); ++i) {
                QVERIFY(lines[i].endsWith(paths[std::size_t(i)]));
                bool ok = false;
                const double s = lines[i].section(' ', 0, 0).toDouble(&ok);
                QVERIFY(ok);
                d = std::max(d, std::abs(s - double(station[std::size_t(i)])));
            }
            qInfo().noquote() << "python cv2" << cv2Version() << v.file << size
                              << (aspect ? "aspect" : "square") << ": max |score difference|" << d;
            QVERIFY(d < kTolerance);
        }
    }

    // The ONNX project's own checker (full check: types and shapes inferred through the graph)
    // accepts the files, including the top-1 % subgraph and ResNet's map head.
    void onnxCheckerAcceptsTheFiles()
    {
        QProcess check;
        check.start(python(), {"-c", "import onnx"});
        if (!check.waitForFinished(60000) || check.exitCode() != 0)
            KIZU_SKIP_REQUIRED("Python's onnx is absent (/usr/bin/python3 -c 'import onnx' "
                               "failed); scripts/setup.sh installs python3-onnx");
        QTemporaryDir dir;
        OnnxExportOptions options;
        options.imageSize = {1130, 460};
        QStringList files;
        ModelInfo map = infoFor("squeezenet1_1", "defect_map", 512, true);
        files << dir.filePath("map.onnx");
        QCOMPARE(
            exportOnnx(Model::create(map, "scratch", 1), files.back().toStdString(), options).topK,
            3);
        files << dir.filePath("resnet_map.onnx");
        exportOnnx(Model::create(infoFor("resnet18", "defect_map", 320, true), "scratch", 1),
                   files.back().toStdString(), options);
        files << dir.filePath("resnet.onnx");
        exportOnnx(Model::create(infoFor("resnet18", "classifier", 64, false), "scratch", 1),
                   files.back().toStdString(), options);
        const QString script = "import sys, onnx\n"
                               "for f in sys.argv[1:]:\n"
                               "    m = onnx.load(f)\n"
                               "    onnx.checker.check_model(m, full_check=True)\n"
                               "    print(f, m.opset_import[0].version, len(m.graph.node))\n";
        QProcess py;
        py.start(python(), QStringList{"-c", script} + files);
        QVERIFY(py.waitForFinished(120000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        QCOMPARE(QString::fromUtf8(py.readAllStandardOutput()).count(" 13 "), 3);
    }

    void errorsSayWhatToDo()
    {
        Model m = Model::create(infoFor("squeezenet1_1", "defect_map", 128, true), "scratch", 1);
        QTemporaryDir dir;
        // A native-aspect model needs the photos' size.
        try {
            exportOnnx(m, dir.filePath("a.onnx").toStdString());
            QFAIL("exported a native-aspect model without a canvas");
        } catch (const InvalidArgument& e) {
            QVERIFY2(QString(e.what()).contains("--aspect"), e.what());
        }
        QVERIFY(!QFile::exists(dir.filePath("a.onnx")));
        // An unwritable target: IoError naming the file; nothing is left behind.
        const QString target = dir.filePath("missing/folder/model.onnx");
        OnnxExportOptions options;
        options.imageSize = {300, 100};
        try {
            exportOnnx(m, target.toStdString(), options);
            QFAIL("wrote into a folder that does not exist");
        } catch (const IoError& e) {
            QVERIFY2(QString(e.what()).contains("model.onnx"), e.what());
        }
        QVERIFY(!QFile::exists(target));
        // A map too large for the pairwise top-1 % (4096 places): refused with the reason.
        m.info().inputSize = 2048;
        try {
            exportOnnx(m, dir.filePath("big.onnx").toStdString(), options);
            QFAIL("exported a map too large for the top-1 % graph");
        } catch (const InvalidArgument& e) {
            QVERIFY2(QString(e.what()).contains("places"), e.what());
        }
    }

    void metadataDescribesThePreprocessing()
    {
        Model m = Model::create(infoFor("squeezenet1_1", "classifier", 64, false), "scratch", 2);
        m.info().threshold = 0.37;
        QTemporaryDir dir;
        const QString file = dir.filePath("m.onnx");
        const auto info = exportOnnx(m, file.toStdString());
        QCOMPARE(info.canvas, cv::Size(64, 64));
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        QCOMPARE(qint64(bytes.size()), qint64(info.bytes));
        for (const char* needle : {"channel_order", "BGR", "input_width", "0.37", "mean", "std",
                                   "INTER_AREA", "weights_sha256", "kizu_version"})
            QVERIFY2(bytes.contains(needle), needle);
        QVERIFY(bytes.contains(m.weightsHash().c_str()));
    }

private:
    static QString cv2Version()
    {
        QProcess p;
        p.start(python(), {"-c", "import cv2; print(cv2.__version__)"});
        p.waitForFinished(60000);
        return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
    }
};

QTEST_APPLESS_MAIN(TestLearnOnnx)
#include "test_learn_onnx.moc"
