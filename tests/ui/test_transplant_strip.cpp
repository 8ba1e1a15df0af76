// CG Studio's "On your photos" strip offscreen: it fills with six transplants onto a project's
// OK photos, follows a change of the ranges, outlines the masks on demand, exports a contact
// sheet of the documented size, and says what to do without OK photos or without a project.
// kizu-test-timeout: 180
#include "core/cg/cg_transplant_batch.h"
#include "core/project/project_store.h"
#include "ui/cg_param_panel.h"
#include "ui/cg_studio_page.h"
#include "ui/transplant_strip.h"

#include <QDoubleSpinBox>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

using kizu::ui::CgStudioPage;
using kizu::ui::TransplantStrip;

namespace {
constexpr int kPhotoW = 240, kPhotoH = 100;

// Ground-looking photos: fine marks at an angle with noise, each photo different.
void writePhotos(const QString& dir, int n)
{
    QDir().mkpath(dir);
    cv::RNG rng(77);
    for (int k = 0; k < n; ++k) {
        cv::Mat img(kPhotoH, kPhotoW, CV_8UC3);
        const double angle = 0.3 * k, period = 5 + k % 3;
        for (int y = 0; y < kPhotoH; ++y)
            for (int x = 0; x < kPhotoW; ++x) {
                const double u = x * std::cos(angle) + y * std::sin(angle);
                const int v = int(120 + 25 * std::sin(2 * CV_PI * u / period) + rng.gaussian(4));
                img.at<cv::Vec3b>(y, x) = cv::Vec3b::all(cv::saturate_cast<uchar>(v));
            }
        cv::imwrite(QStringLiteral("%1/p%2.png").arg(dir).arg(k).toStdString(), img);
    }
}

kizu::project::ProjectStore makeProject(const QString& dir, const QString& photos,
                                        kizu::project::Label label)
{
    auto store = kizu::project::ProjectStore::create(dir.toStdString());
    kizu::project::ImportOptions opt;
    opt.label = label;
    opt.groupNearDuplicates = false;
    store.importPaths({photos.toStdString()}, opt);
    return store;
}

bool waitForStrip(TransplantStrip* strip, int ms = 60000)
{
    return QTest::qWaitFor(
        [&] {
            return !strip->busy() && strip->shownGeneration() == strip->requestedGeneration() &&
                   strip->tileCount() > 0;
        },
        ms);
}

bool anyTileDiffers(const QList<QImage>& a, TransplantStrip* strip)
{
    for (int i = 0; i < a.size(); ++i)
        if (a[i] != strip->tileImage(i)) return true;
    return false;
}
} // namespace

class TestTransplantStrip : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("KizuTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_transplant_strip"));
        writePhotos(m_tmp.filePath("photos"), 4);
    }

    void fillsFollowsRangesOutlinesAndExports()
    {
        QTemporaryDir dir;
        auto store =
            makeProject(dir.filePath("p"), m_tmp.filePath("photos"), kizu::project::Label::Ok);
        CgStudioPage page;
        page.setStore(&store);
        TransplantStrip* strip = page.transplantStrip();
        QVERIFY(strip);
        QVERIFY(waitForStrip(strip));
        QCOMPARE(strip->okPhotoCount(), 4);
        QCOMPARE(strip->tileCount(), TransplantStrip::kCount);
        QVERIFY2(strip->message().contains(QStringLiteral("seed 1")), qPrintable(strip->message()));
        QList<QImage> before;
        for (int i = 0; i < strip->tileCount(); ++i) {
            QVERIFY(!strip->tileImage(i).isNull());
            before << strip->tileImage(i);
        }

        // Wider scratches and steep lights: the transplants change.
        const quint64 asked = strip->requestedGeneration();
        auto* panel = page.paramPanel();
        panel->maxEditor(QStringLiteral("scratch.widthUm"))->setValue(120);
        panel->minEditor(QStringLiteral("scratch.widthUm"))->setValue(100);
        panel->minEditor(QStringLiteral("lights.elevationDeg"))->setValue(80);
        QVERIFY(strip->requestedGeneration() > asked);
        QVERIFY(waitForStrip(strip));
        QCOMPARE(strip->tileCount(), TransplantStrip::kCount);
        QVERIFY(anyTileDiffers(before, strip));

        // A new sample seed is not a change of the ranges: nothing is redone.
        const quint64 now = strip->requestedGeneration();
        page.setSeed(page.seed() + 1);
        QCOMPARE(strip->requestedGeneration(), now);

        // The mask toggle outlines the defects in red.
        QList<QImage> plain;
        for (int i = 0; i < strip->tileCount(); ++i)
            plain << strip->tileImage(i);
        strip->setMaskShown(true);
        QVERIFY(anyTileDiffers(plain, strip));
        int red = 0;
        for (int i = 0; i < strip->tileCount(); ++i) {
            const QImage img = strip->tileImage(i).convertToFormat(QImage::Format_RGB32);
            for (int y = 0; y < img.height(); ++y)
                for (int x = 0; x < img.width(); ++x) {
                    const QRgb c = img.pixel(x, y);
                    red += qRed(c) == 255 && qGreen(c) == 0 && qBlue(c) == 0;
                }
        }
        QVERIFY(red > 0);
        strip->setMaskShown(false);
        QCOMPARE(strip->tileImage(0), plain[0]);

        // The contact sheet: the documented size for these photos.
        const QString sheetFile = dir.filePath("sheet.png");
        QString error;
        QVERIFY2(strip->exportSheet(sheetFile, &error), qPrintable(error));
        const cv::Mat sheet = cv::imread(sheetFile.toStdString(), cv::IMREAD_UNCHANGED);
        QVERIFY(!sheet.empty());
        const std::vector<cv::Mat> photos(TransplantStrip::kCount,
                                          cv::Mat(kPhotoH, kPhotoW, CV_8UC3));
        const cv::Size want = kizu::cg::transplantSheetSize(photos);
        QCOMPARE(sheet.cols, want.width);
        QCOMPARE(sheet.rows, want.height);
        QCOMPARE(sheet.cols, 4 + 6 * (320 + 4));
    }

    void saysWhatToDoWithoutOkPhotos()
    {
        CgStudioPage page;
        TransplantStrip* strip = page.transplantStrip();
        QVERIFY2(strip->message().contains(QStringLiteral("Open a project")),
                 qPrintable(strip->message()));
        QString error;
        QVERIFY(!strip->exportSheet(QDir::temp().filePath("never.png"), &error));

        QTemporaryDir dir;
        auto store =
            makeProject(dir.filePath("p"), m_tmp.filePath("photos"), kizu::project::Label::Ng);
        page.setStore(&store);
        QCOMPARE(strip->okPhotoCount(), 0);
        QCOMPARE(strip->message(),
                 QStringLiteral("Label some photos OK in Dataset to see CG defects on them."));
        QTest::qWait(600); // past the pause: still nothing to show
        QCOMPARE(strip->tileCount(), 0);
        QVERIFY(!strip->busy());
    }

private:
    QTemporaryDir m_tmp;
};

QTEST_MAIN(TestTransplantStrip)
#include "test_transplant_strip.moc"
