// The Baseline panel offscreen: moving a slider reprocesses the selected image and updates
// the verdict; Tune runs in the background and can be cancelled. With KIZU_SCREENSHOT_DIR set,
// it also saves a picture of the panel (run under xvfb-run with QT_QPA_PLATFORM=xcb).
// kizu-test-timeout: 120
#include "ui/baseline_panel.h"

#include "common/test_support.h"
#include "core/common/error.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

using kizu::ui::BaselineImage;
using kizu::ui::BaselinePanel;

namespace {

cv::Mat texture(std::uint64_t seed, bool pit)
{
    cv::RNG rng(seed);
    cv::Mat g(cv::Size(360, 150), CV_32F);
    for (int y = 0; y < g.rows; ++y)
        for (int x = 0; x < g.cols; ++x)
            g.at<float>(y, x) = float(130 + 12 * std::sin(6.283 * y / 7.0) + 30.0 * x / g.cols);
    cv::Mat noise(g.size(), CV_32F);
    rng.fill(noise, cv::RNG::NORMAL, 0, 5);
    g += noise;
    if (pit) cv::circle(g, {180 + int(seed % 40), 75}, 7, cv::Scalar(60), cv::FILLED, cv::LINE_AA);
    cv::Mat u8;
    g.convertTo(u8, CV_8U);
    return u8;
}

} // namespace

class TestBaselinePanel : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QList<BaselineImage> m_images;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        for (int i = 0; i < 6; ++i) {
            bool ng = i % 2 == 1;
            QString path = m_dir.filePath(QStringLiteral("img%1.png").arg(i));
            QVERIFY(cv::imwrite(path.toStdString(), texture(std::uint64_t(i + 1), ng)));
            m_images.append({path, ng ? BaselineImage::Label::Ng : BaselineImage::Label::Ok});
        }
    }

    void sliderUpdatesResult()
    {
        BaselinePanel panel;
        auto p = panel.params();
        p.scale = 1.0;
        p.marginX = 0;
        panel.setParams(p);
        QSignalSpy spy(&panel, &BaselinePanel::resultReady);
        panel.setImages(m_images);
        panel.setCurrentIndex(1); // a pit
        QTRY_VERIFY_WITH_TIMEOUT(panel.hasResult() && panel.currentIndex() == 1 && !spy.isEmpty(),
                                 10000);
        QTRY_VERIFY_WITH_TIMEOUT(panel.lastVerdictNg(), 10000);
        const double before = panel.lastScore();

        // Raising the minimum area with the slider makes the pit too small to count.
        QSlider* slider = panel.slider(QStringLiteral("minArea"));
        QVERIFY(slider);
        spy.clear();
        slider->setValue(slider->maximum());
        auto* spin = qobject_cast<QDoubleSpinBox*>(panel.editor(QStringLiteral("minArea")));
        QVERIFY(spin);
        QCOMPARE(spin->value(), spin->maximum());
        QTRY_VERIFY_WITH_TIMEOUT(!spy.isEmpty(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!panel.lastVerdictNg(), 10000);
        QVERIFY(panel.lastScore() < before);
        QCOMPARE(panel.params().minArea, spin->maximum());

        // A choice editor reprocesses too.
        auto* polarity = qobject_cast<QComboBox*>(panel.editor(QStringLiteral("polarity")));
        QVERIFY(polarity);
        spy.clear();
        polarity->setCurrentText(QStringLiteral("both"));
        QTRY_VERIFY_WITH_TIMEOUT(!spy.isEmpty(), 10000);
        QVERIFY(panel.params().polarity == kizu::baseline::Polarity::Both);
    }

    void regionOfInterestHidesAPitOutside()
    {
        BaselinePanel panel;
        auto p = panel.params();
        p.scale = 1.0;
        p.marginX = 0;
        panel.setParams(p);
        panel.setImages(m_images);
        QSignalSpy spy(&panel, &BaselinePanel::resultReady);
        panel.setCurrentIndex(1); // a pit near the middle
        QTRY_VERIFY_WITH_TIMEOUT(panel.hasResult() && !spy.isEmpty() && panel.lastVerdictNg(),
                                 10000);
        // The left 30 % only: the pit is outside, the baseline does not see it.
        spy.clear();
        panel.setRoi(kizu::imaging::Roi::rect(0, 0, 0.3, 1));
        QTRY_VERIFY_WITH_TIMEOUT(!spy.isEmpty() && !panel.lastVerdictNg(), 10000);
        spy.clear();
        panel.setRoi(std::nullopt);
        QTRY_VERIFY_WITH_TIMEOUT(!spy.isEmpty() && panel.lastVerdictNg(), 10000);
    }

    void invalidParamsShowAnError()
    {
        BaselinePanel panel;
        panel.setImages(m_images);
        QTRY_VERIFY_WITH_TIMEOUT(panel.hasResult(), 10000);
        auto* s1 = qobject_cast<QDoubleSpinBox*>(panel.editor(QStringLiteral("sigma1")));
        auto* s2 = qobject_cast<QDoubleSpinBox*>(panel.editor(QStringLiteral("sigma2")));
        s2->setValue(1.0);
        s1->setValue(3.0);
        bool threw = false;
        try {
            panel.params();
        } catch (const kizu::InvalidArgument&) {
            threw = true;
        }
        QVERIFY(threw);
    }

    void tuneRunsAndCancels()
    {
        BaselinePanel panel;
        auto p = panel.params();
        p.scale = 1.0;
        p.marginX = 0;
        p.minArea = 2000; // start badly: everything OK
        panel.setParams(p);
        panel.setImages(m_images);
        panel.setTuneOptions(6, 3);
        QSignalSpy done(&panel, &BaselinePanel::tuneFinished);
        QSignalSpy progress(&panel, &BaselinePanel::tuneProgress);
        panel.startTune();
        QVERIFY(panel.isTuning());
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);
        QCOMPARE(done.first().first().toBool(), false);
        QVERIFY(!panel.isTuning());
        QVERIFY(progress.count() > 0);
        QVERIFY2(!(panel.params() == p), qPrintable(panel.statusText()));
        QVERIFY(panel.statusText().contains(QStringLiteral("Balanced accuracy")));

        panel.setTuneOptions(5000, 4);
        done.clear();
        progress.clear();
        panel.startTune();
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0, 10000);
        panel.cancelTune();
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        QCOMPARE(done.first().first().toBool(), true);
        QVERIFY(!panel.isTuning());
    }

    void screenshot()
    {
        const QString outDir = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (outDir.isEmpty()) QSKIP("set KIZU_SCREENSHOT_DIR to save a screenshot");
        QList<BaselineImage> images = m_images;
        const QString bs = kizu::test::bsdataDir();
        QString params = qEnvironmentVariable("KIZU_SCREENSHOT_PARAMS");
        if (!bs.isEmpty()) {
            images.clear();
            QFile manifest(bs + QStringLiteral("/manifest.csv"));
            QVERIFY(manifest.open(QIODevice::ReadOnly));
            manifest.readLine();
            while (!manifest.atEnd() && images.size() < 40) {
                const auto cells = QString::fromUtf8(manifest.readLine()).trimmed().split(u',');
                if (cells.size() < 4 || cells[3] != QLatin1String("test")) continue;
                images.append({bs + u'/' + cells[0], cells[1] == QLatin1String("ng")
                                                         ? BaselineImage::Label::Ng
                                                         : BaselineImage::Label::Ok});
            }
        }
        BaselinePanel panel;
        if (!params.isEmpty())
            panel.setParams(kizu::baseline::BaselineParams::load(params.toStdString()));
        panel.setImages(images);
        panel.resize(1380, 860);
        panel.setWindowTitle(QStringLiteral("Kizu - Baseline"));
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const int index = qEnvironmentVariableIntValue("KIZU_SCREENSHOT_INDEX");
        panel.setCurrentIndex(index);
        QTRY_VERIFY_WITH_TIMEOUT(panel.hasResult() && panel.currentIndex() == index, 20000);
        QTest::qWait(500);
        QVERIFY(panel.grab().save(outDir + QStringLiteral("/baseline_panel.png")));
        // Time for `import -window root` from outside.
        QTest::qWait(qEnvironmentVariableIntValue("KIZU_SCREENSHOT_HOLD_MS"));
    }
};

QTEST_MAIN(TestBaselinePanel)
#include "test_baseline_panel.moc"
