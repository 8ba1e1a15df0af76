// `kizu-cli inspect` with camera control (docs/camera.md) against the real fake GigE camera:
// the options reach the camera's registers (read back in the summary), --save-camera keeps them
// as the project's station profile and the next run restores them on a freshly started
// camera, a value outside the camera's range stops the run with the feature and the range, and
// `--trigger` alone still means the PLC handshake. kizu-test-timeout: 120
// kizu-test-resource: gige
#include "common/fake_camera.h"
#include "common/test_support.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

namespace {
const QString kBaseline = QStringLiteral(KIZU_SOURCE_DIR "/resources/baseline/default.json");

QJsonObject lastLine(const QByteArray& out)
{
    return QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
}
} // namespace

class TestCliCamera : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void profileIsAppliedSavedAndRestored()
    {
        KIZU_REQUIRE_FAKE_CAMERA();
        const QString proj = m_tmp.path() + "/station";
        QCOMPARE(kizu::test::runCli({"project", "init", proj}).exitCode, 0);
        const QStringList run{"-p",         proj,      "inspect",  "--source", "aravis:127.0.0.1",
                              "--baseline", kBaseline, "--frames", "3",        "--no-save-ng",
                              "--quiet"};
        {
            kizu::test::FakeGigECamera cam;
            QVERIFY2(cam.start(), qPrintable(cam.error()));
            // `--trigger software` (a value) is the camera's trigger, not the PLC handshake.
            auto r = kizu::test::runCli(run + QStringList{"--exposure-us", "2500", "--gain-db", "2",
                                                          "--trigger", "software", "--fps", "20",
                                                          "--save-camera"},
                                        60000);
            QVERIFY2(r.exitCode == 0, r.err.constData());
            const auto s = lastLine(r.out);
            QCOMPARE(s["frames"].toInt(), 3);
            const auto c = s["camera"].toObject();
            QCOMPARE(c["exposure_us"].toDouble(), 2500.0);
            QCOMPARE(c["gain"].toDouble(), 2.0);
            QCOMPARE(c["trigger"].toString(), QStringLiteral("software"));
        }
        {
            // A new camera starts with its own defaults (exposure 10000 us, free run): the
            // project's profile sets it again.
            kizu::test::FakeGigECamera cam;
            QVERIFY2(cam.start(), qPrintable(cam.error()));
            auto r = kizu::test::runCli(run, 60000);
            QVERIFY2(r.exitCode == 0, r.err.constData());
            const auto c = lastLine(r.out)["camera"].toObject();
            QCOMPARE(c["exposure_us"].toDouble(), 2500.0);
            QCOMPARE(c["trigger"].toString(), QStringLiteral("software"));
            // Out of the camera's range: the run stops at once with the feature and the range.
            r = kizu::test::runCli(run + QStringList{"--exposure-us", "5e7", "--trigger", "free"},
                                   60000);
            QCOMPARE(r.exitCode, 1);
            const QByteArray all = r.out + r.err;
            QVERIFY2(all.contains("outside the camera's range 10 to 1e+07 us (GenICam "
                                  "ExposureTimeAbs)"),
                     all.constData());
            QCOMPARE(lastLine(r.out)["faults"].toInt(), 1); // one FAULT, no reconnect loop
        }
        // Without a camera: the words are checked before anything starts; --trigger alone is
        // the PLC handshake and needs --modbus.
        auto r = kizu::test::runCli(run + QStringList{"--trigger-edge", "up"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("rising or falling"), r.err.constData());
        r = kizu::test::runCli(run + QStringList{"--trigger"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--trigger waits for the PLC's trigger"), r.err.constData());
    }
};

QTEST_APPLESS_MAIN(TestCliCamera)
#include "test_cli_camera.moc"
