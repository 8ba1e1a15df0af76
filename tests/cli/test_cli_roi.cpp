// kizu-cli project roi (set, print, clear, bad input) and the synthetic images in stats and
// split: the real binary on a small project.
#include "common/test_support.h"
#include "core/project/project_roi.h"
#include "core/project/project_store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <opencv2/imgcodecs.hpp>

using namespace kizu::project;
using kizu::test::runCli;

namespace {
std::string pngBytes(int index, int w = 200, int h = 100)
{
    cv::Mat m(h, w, CV_8UC3, cv::Scalar(index % 256, (index / 256) % 256, 90));
    m.at<cv::Vec3b>(index % h, index % w) = {255, 255, 255};
    std::vector<uchar> buf;
    cv::imencode(".png", m, buf);
    return std::string(buf.begin(), buf.end());
}
} // namespace

class TestCliRoi : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString tmp(const QString& sub) const { return m_tmp.filePath(sub); }

private Q_SLOTS:
    // kizu-cli project scale: the photos' scale for CG defect transplants.
    void scaleSetPrintClear()
    {
        const QString dir = tmp("scale");
        { auto s = ProjectStore::create(dir.toStdString()); }
        auto r = runCli({"-p", dir, "project", "scale"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("not set"), r.out.constData());
        r = runCli({"-p", dir, "project", "scale", "--px-per-mm", "80"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("80 px per mm"), r.out.constData());
        QVERIFY2(r.out.contains("12.5 um per px"), r.out.constData());
        for (const QString bad : {"0", "-4", "eighty", "80px"}) {
            r = runCli({"-p", dir, "project", "scale", "--px-per-mm", bad});
            QVERIFY2(r.exitCode != 0, qPrintable(bad));
            QVERIFY2(r.err.contains("per mm") || r.err.contains("millimetre"), r.err.constData());
        }
        r = runCli({"-p", dir, "project", "scale"});
        QVERIFY2(r.out.contains("80 px per mm"), r.out.constData()); // unchanged by bad input
        r = runCli({"-p", dir, "project", "scale", "--px-per-mm", "80", "--clear"});
        QCOMPARE(r.exitCode, 2);
        r = runCli({"-p", dir, "project", "scale", "--clear"});
        QCOMPARE(r.exitCode, 0);
        r = runCli({"-p", dir, "project", "scale"});
        QVERIFY2(r.out.contains("not set"), r.out.constData());
    }

    void roiSetPrintClear()
    {
        const QString dir = tmp("p1");
        {
            auto s = ProjectStore::create(dir.toStdString());
            for (int k = 0; k < 3; ++k)
                s.addEncodedImage(pngBytes(k), ".png", "import");
        }
        auto r = runCli({"-p", dir, "project", "roi"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("none"), r.out.constData());

        r = runCli({"-p", dir, "project", "roi", "--rect", "20,10,100,50"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("rectangle") && r.out.contains("20,10,100,50"), r.out.constData());
        {
            auto s = ProjectStore::open(dir.toStdString());
            const auto roi = projectRoi(s);
            QVERIFY(roi);
            QCOMPARE(roi->boundingBox({200, 100}), cv::Rect(20, 10, 100, 50));
        }
        r = runCli({"-p", dir, "project", "roi", "--json"});
        QCOMPARE(r.exitCode, 0);
        const auto j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["kind"].toString(), QString("rect"));
        QCOMPARE(j["points"].toArray().size(), 4);
        QCOMPARE(j["reference_size"].toArray()[0].toInt(), 200);

        r = runCli({"-p", dir, "project", "roi", "--polygon", "0,0,200,0,100,100"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("polygon"), r.out.constData());
        r = runCli(
            {"-p", dir, "project", "roi", "--polygon", "0.1,0.1,0.9,0.1,0.5,0.9", "--fraction"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("0.9,0.1"), r.out.constData());

        r = runCli({"-p", dir, "project", "roi", "--clear"});
        QCOMPARE(r.exitCode, 0);
        r = runCli({"-p", dir, "project", "roi"});
        QVERIFY2(r.out.contains("none"), r.out.constData());
    }

    void roiBadInput()
    {
        const QString dir = tmp("p2");
        {
            auto s = ProjectStore::create(dir.toStdString());
            s.addEncodedImage(pngBytes(1), ".png", "import");
        }
        const struct {
            QStringList args;
            const char* says;
        } cases[] = {
            {{"--rect", "1,2,3"}, "4 numbers"},
            {{"--rect", "1,2,x,4"}, "numbers separated by commas"},
            {{"--rect", "150,10,100,50"}, "outside"},
            {{"--rect", "10,10,0,50"}, "positive"},
            {{"--polygon", "0,0,10,10"}, "at least 3 points"},
            {{"--polygon", "0,0,10,10,5"}, "pairs"},
            {{"--polygon", "0,0,300,0,0,50"}, "outside"},
            {{"--polygon", "0,0,100,0,200,0"}, "no area"},
            {{"--polygon", "0,0,100,100,100,0,0,100"}, "cross"},
            {{"--rect", "1,1,5,5", "--clear"}, "one of"},
        };
        for (const auto& c : cases) {
            auto r = runCli(QStringList{"-p", dir, "project", "roi"} + c.args);
            QVERIFY2(r.exitCode != 0, qPrintable(c.args.join(' ')));
            QVERIFY2(r.err.contains(c.says), qPrintable(c.args.join(' ') + ": " + r.err));
        }
        // Nothing was stored by the failures.
        auto s = ProjectStore::open(dir.toStdString());
        QVERIFY(!projectRoi(s));
        // Pixels need images to measure against.
        const QString empty = tmp("p3");
        ProjectStore::create(empty.toStdString());
        auto r = runCli({"-p", empty, "project", "roi", "--rect", "1,1,5,5"});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("--fraction"), r.err.constData());
        r = runCli({"-p", empty, "project", "roi", "--rect", "0.1,0.1,0.5,0.5", "--fraction"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }

    void syntheticImagesInStatsAndSplit()
    {
        const QString dir = tmp("p4");
        {
            auto s = ProjectStore::create(dir.toStdString());
            int idx = 0;
            for (int k = 0; k < 12; ++k, ++idx)
                s.addEncodedImage(pngBytes(idx), ".png", "import", "r" + std::to_string(k),
                                  k % 3 == 0 ? Label::Ng : Label::Ok);
            for (int k = 0; k < 5; ++k, ++idx)
                s.addEncodedImage(pngBytes(idx), ".png", kSourceCg, "cg_batch_1", Label::Ng);
            for (int k = 0; k < 2; ++k, ++idx)
                s.addEncodedImage(pngBytes(idx), ".png", kSourceTransplant, "t" + std::to_string(k),
                                  Label::Ng);
        }
        auto r = runCli({"-p", dir, "split", "--test-fraction", "0.5"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("7 synthetic images") && r.out.contains("kept in train"),
                 r.out.constData());
        r = runCli({"-p", dir, "stats"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("real: 8 OK, 4 NG; synthetic (cg, transplant): 0 OK, 7 NG"),
                 r.out.constData());
        r = runCli({"-p", dir, "stats", "--json"});
        const auto j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["synthetic"].toObject()["ng"].toInt(), 7);
        QCOMPARE(j["real"].toObject()["ng"].toInt(), 4);
        QCOMPARE(j["synthetic_sources"].toArray().size(), 2);
        r = runCli({"-p", dir, "list", "--split", "test", "--json"});
        for (const auto& v : QJsonDocument::fromJson(r.out).array()) {
            const QString src = v.toObject()["source"].toString();
            QVERIFY2(src == "import", qPrintable(src));
        }
    }
};

QTEST_APPLESS_MAIN(TestCliRoi)
#include "test_cli_roi.moc"
