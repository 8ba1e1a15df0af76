// Synthetic images (CG renders, transplanted defects) never reach the test split, and the
// project's statistics count them apart from the real photos.
#include "core/common/error.h"
#include "core/project/internal/sqlite_db.h"
#include "core/project/project_store.h"

#include <QTemporaryDir>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace kizu::project;
namespace fs = std::filesystem;

namespace {
std::string pngBytes(int index)
{
    cv::Mat m(24, 32, CV_8UC3, cv::Scalar(index % 256, (index / 256) % 256, 90));
    cv::line(m, {index % 32, 0}, {31 - index % 32, 23}, cv::Scalar(255, 255, 255), 2);
    std::vector<uchar> buf;
    cv::imencode(".png", m, buf);
    return std::string(buf.begin(), buf.end());
}
} // namespace

class TestSyntheticSplit : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path tmp(const char* sub) const { return fs::path(m_tmp.path().toStdString()) / sub; }

    // 40 real images (a quarter NG), 20 CG renders in two batches, 10 transplants.
    ProjectStore makeProject(const char* name, std::vector<std::int64_t>& synthetic)
    {
        auto s = ProjectStore::create(tmp(name));
        int idx = 0;
        for (int k = 0; k < 40; ++k, ++idx)
            s.addEncodedImage(pngBytes(idx), ".png", "import", "real" + std::to_string(k),
                              k % 4 == 0 ? Label::Ng : Label::Ok);
        for (int k = 0; k < 20; ++k, ++idx)
            synthetic.push_back(s.addEncodedImage(pngBytes(idx), ".png", kSourceCg,
                                                  "cg_batch_" + std::to_string(k % 2), Label::Ng));
        for (int k = 0; k < 10; ++k, ++idx)
            synthetic.push_back(s.addEncodedImage(pngBytes(idx), ".png", kSourceTransplant,
                                                  "tr" + std::to_string(k), Label::Ng));
        return s;
    }

private slots:
    void sourcesAreNamed()
    {
        QVERIFY(isSyntheticSource("cg"));
        QVERIFY(isSyntheticSource("transplant"));
        QVERIFY(!isSyntheticSource("import"));
        QVERIFY(!isSyntheticSource("camera"));
        QVERIFY(!isSyntheticSource(""));
    }

    void assignSplitKeepsSyntheticInTrain()
    {
        std::vector<std::int64_t> synthetic;
        auto s = makeProject("p1", synthetic);
        for (std::uint64_t seed : {1ull, 2ull, 3ull, 99ull}) {
            const auto preview = s.previewSplit(0.5, seed);
            const auto rep = s.assignSplit(0.5, seed);
            QCOMPARE(preview.testImages, rep.testImages);
            QCOMPARE(rep.syntheticImages, std::int64_t(30));
            QCOMPARE(rep.trainImages + rep.testImages, std::int64_t(70));
            // The fraction is of the real images: about 20 of 40.
            QVERIFY2(rep.testImages >= 16 && rep.testImages <= 24,
                     qPrintable(QString::number(rep.testImages)));
            for (const auto& r : s.images()) {
                if (isSyntheticSource(r.source))
                    QCOMPARE(r.split, Split::Train);
                else
                    QVERIFY(r.split != Split::None);
            }
        }
        // Even a test fraction of 1 leaves them in train.
        s.assignSplit(1.0, 5);
        ImageFilter f;
        f.split = Split::Test;
        for (const auto& r : s.images(f))
            QVERIFY(!isSyntheticSource(r.source));
        QCOMPARE(s.countImages(f), std::int64_t(40));
    }

    void setSplitToTestRefusesSynthetic()
    {
        std::vector<std::int64_t> synthetic;
        auto s = makeProject("p2", synthetic);
        const auto real = s.images(ImageFilter{.source = std::string("import")});
        try {
            s.setSplit({real[0].id, synthetic[0]}, Split::Test);
            QFAIL("no exception");
        } catch (const kizu::InvalidArgument& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("synthetic") && msg.contains("test split"), qPrintable(msg));
        }
        // Nothing changed, not even the real image.
        QCOMPARE(s.image(real[0].id)->split, Split::None);
        s.setSplit({real[0].id}, Split::Test);
        QCOMPARE(s.image(real[0].id)->split, Split::Test);
        s.setSplit({synthetic[0]}, Split::Train);
        QCOMPARE(s.image(synthetic[0])->split, Split::Train);
    }

    void aSyntheticImageAlreadyInTestLeavesIt()
    {
        // An older project may hold a CG render in test (from before this rule): the next
        // assignment moves it out, even with the test split locked.
        std::vector<std::int64_t> synthetic;
        auto s = makeProject("p3", synthetic);
        s.assignSplit(0.3, 1);
        // Written behind the store's back, as an older version might have.
        {
            Database db((tmp("p3") / ProjectStore::kDatabaseName).string(), false);
            db.exec("UPDATE images SET split = 2 WHERE id = " + std::to_string(synthetic[3]));
        }
        QCOMPARE(s.image(synthetic[3])->split, Split::Test);
        s.setTestSplitLocked(true);
        const auto rep = s.assignSplit(0.3, 2);
        QVERIFY(rep.changedImages >= 1);
        QCOMPARE(rep.syntheticImages, std::int64_t(30));
        for (const auto& r : s.images())
            if (isSyntheticSource(r.source)) QCOMPARE(r.split, Split::Train);
    }

    void statsCountSyntheticApart()
    {
        std::vector<std::int64_t> synthetic;
        auto s = makeProject("p4", synthetic);
        s.assignSplit(0.25, 4);
        const auto st = s.stats();
        QCOMPARE(st.total(), std::int64_t(70));
        QCOMPARE(st.syntheticTotal(), std::int64_t(30));
        QCOMPARE(st.syntheticByLabel(Label::Ng), std::int64_t(30));
        QCOMPARE(st.syntheticByLabel(Label::Ok), std::int64_t(0));
        QCOMPARE(st.realByLabel(Label::Ng), std::int64_t(10));
        QCOMPARE(st.realByLabel(Label::Ok), std::int64_t(30));
        QCOMPARE(st.synthetic[int(Label::Ng)][int(Split::Test)], std::int64_t(0));
        QCOMPARE(st.synthetic[int(Label::Ng)][int(Split::Train)], std::int64_t(30));
        // The filter the Dataset page's source combo uses.
        ImageFilter f;
        f.synthetic = true;
        QCOMPARE(s.countImages(f), std::int64_t(30));
        for (const auto& b : s.images(f))
            QVERIFY(isSyntheticSource(b.source));
        f.synthetic = false;
        QCOMPARE(s.countImages(f), std::int64_t(40));
        f.label = Label::Ng;
        QCOMPARE(int(s.imageBriefs(f).size()), 10);
    }
};

QTEST_APPLESS_MAIN(TestSyntheticSplit)
#include "test_synthetic_split.moc"
