// Frame sources: pixel-format conversion, folder replay, and the real fake GigE Vision camera
// (streaming, packet loss, a camera that disappears and comes back; camera control: settings
// applied and read back, values outside the camera's range refused, the software trigger, and
// the time from a killed camera to FAULT).
// kizu-test-resource: gige
// kizu-test-timeout: 300
#include "common/fake_camera.h"
#include "core/camera/frame_source.h"
#include "core/common/error.h"
#include "core/inspect/inspection_runner.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>
#include <opencv2/imgcodecs.hpp>

using namespace kizu::camera;

namespace {
// The message of the InvalidArgument that opening with these settings throws; empty if none.
std::string refusal(const CameraSettings& s)
{
    auto src = openSource("aravis:127.0.0.1", s);
    try {
        src->open();
    } catch (const kizu::InvalidArgument& e) {
        // A refused camera is released at once (marked so that the check fails visibly).
        return src->isOpen() ? std::string("(left open) ") + e.what() : std::string(e.what());
    }
    return {};
}
} // namespace

class TestCamera : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void monoAndRgbConversion()
    {
        std::vector<uchar> mono(6 * 4, 77);
        cv::Mat m = toBgr(mono.data(), mono.size(), 6, 4, "Mono8");
        QCOMPARE(m.type(), CV_8UC3);
        QCOMPARE(m.at<cv::Vec3b>(2, 3), cv::Vec3b(77, 77, 77));
        std::vector<uchar> rgb = {255, 0, 0, 255, 0, 0}; // two red pixels in RGB order
        m = toBgr(rgb.data(), rgb.size(), 2, 1, "RGB8");
        QCOMPARE(m.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255)); // BGR: red last
        std::vector<uint16_t> m16(4, 0xff00);
        m = toBgr(m16.data(), m16.size() * 2, 2, 2, "Mono16");
        QCOMPARE(int(m.at<cv::Vec3b>(1, 1)[0]), 255);
        QVERIFY_THROWS_EXCEPTION(kizu::DeviceError, toBgr(mono.data(), 3, 6, 4, "Mono8"));
        QVERIFY_THROWS_EXCEPTION(kizu::DeviceError,
                                 toBgr(mono.data(), mono.size(), 6, 4, "YUV422"));
    }

    // A red scene seen through each Bayer mosaic must come out red.
    void bayerPatternsGiveTheRightColour()
    {
        const int w = 8, h = 8;
        const std::pair<const char*, const char*> patterns[] = {
            {"BayerRG8", "RGGB"}, {"BayerGR8", "GRBG"}, {"BayerGB8", "GBRG"}, {"BayerBG8", "BGGR"}};
        for (auto [format, layout] : patterns) {
            std::vector<uchar> raw(w * h);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    char c = layout[(y % 2) * 2 + (x % 2)];
                    raw[y * w + x] = c == 'R' ? 250 : 10; // pure red scene
                }
            cv::Mat m = toBgr(raw.data(), raw.size(), w, h, format);
            cv::Vec3b px = m.at<cv::Vec3b>(4, 4);
            QVERIFY2(
                px[2] > 200 && px[0] < 60 && px[1] < 60,
                qPrintable(
                    QString("%1 gave BGR %2,%3,%4").arg(format).arg(px[0]).arg(px[1]).arg(px[2])));
        }
    }

    void folderReplayAtRate()
    {
        const QString dir = m_tmp.filePath("replay");
        QDir().mkpath(dir);
        for (int i = 0; i < 5; ++i)
            QVERIFY(cv::imwrite(QString("%1/f%2.png").arg(dir).arg(i).toStdString(),
                                cv::Mat(10, 12, CV_8UC3, cv::Scalar(i * 50, 0, 0))));
        QFile junk(dir + "/notes.txt");
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not an image");
        junk.close();
        auto src = openSource("folder:" + dir.toStdString() + "?fps=20");
        src->open();
        QElapsedTimer t;
        t.start();
        std::vector<std::string> names;
        while (auto f = src->grab(1000)) {
            names.push_back(f->label);
            QCOMPARE(f->image.cols, 12);
            QCOMPARE(f->sequence, std::int64_t(names.size() - 1));
        }
        QVERIFY(src->finished());
        QCOMPARE(names,
                 (std::vector<std::string>{"f0.png", "f1.png", "f2.png", "f3.png", "f4.png"}));
        QVERIFY2(t.elapsed() >= 180,
                 qPrintable(QString::number(t.elapsed()))); // 5 frames at 20 fps
        auto loop = openSource("folder:" + dir.toStdString() + "?loop=1");
        loop->open();
        for (int i = 0; i < 12; ++i)
            QVERIFY(loop->grab(100).has_value());
        QVERIFY(!loop->finished());
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, openSource("folder:/x?speed=3"));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, openSource("ftp://camera"));
        auto empty = openSource("folder:" + m_tmp.filePath("nothing").toStdString());
        QVERIFY_THROWS_EXCEPTION(kizu::DeviceError, empty->open());
    }

    void fakeGigECameraStreams()
    {
        KIZU_REQUIRE_FAKE_CAMERA();
        kizu::test::FakeGigECamera cam;
        QVERIFY2(cam.start(), qPrintable(cam.error()));
        bool found = false;
        for (int attempt = 0; attempt < 5 && !found; ++attempt) {
            for (auto& c : listCameras())
                found |= c.address == "127.0.0.1" && c.protocol == "GigEVision";
            if (!found) QThread::msleep(300);
        }
        QVERIFY2(found, "the fake camera on 127.0.0.1 was not discovered");
        CameraSettings s;
        s.pixelFormat = "Mono8";
        auto src = openSource("aravis:127.0.0.1", s);
        src->open();
        int frames = 0;
        for (int i = 0; i < 40 && frames < 10; ++i)
            if (auto f = src->grab(2000)) {
                QCOMPARE(f->image.cols, 512);
                QCOMPARE(f->image.rows, 512);
                QCOMPARE(f->image.type(), CV_8UC3);
                ++frames;
            }
        QCOMPARE(frames, 10);
        QCOMPARE(src->stats().frames, std::int64_t(10));
        src->close();
    }

    // The camera vanishes mid-stream: no frame is invented, timeouts are counted; when it
    // comes back, reopening the source streams again.
    void cameraDisconnectAndReconnect()
    {
        KIZU_REQUIRE_FAKE_CAMERA();
        auto cam = std::make_unique<kizu::test::FakeGigECamera>();
        QVERIFY2(cam->start(), qPrintable(cam->error()));
        auto src = openSource("aravis:127.0.0.1");
        src->open();
        QVERIFY(src->grab(3000).has_value());
        cam->stop();
        QThread::msleep(300);
        const auto before = src->stats();
        // More grabs than the source has buffers (16): frames completed before the camera
        // stopped may still come, then only misses.
        const int grabs = 20;
        int framesAfter = 0, misses = 0, empty = 0, lastFrame = -1;
        for (int i = 0; i < grabs; ++i) {
            try {
                if (src->grab(300)) {
                    ++framesAfter;
                    lastFrame = i;
                } else {
                    ++misses;
                    ++empty;
                }
            } catch (const kizu::DeviceError&) {
                ++misses;
                break;
            }
        }
        const QString counts = QStringLiteral("frames after the stop %1, misses %2, last frame at "
                                              "grab %3")
                                   .arg(framesAfter)
                                   .arg(misses)
                                   .arg(lastFrame);
        QVERIFY2(framesAfter <= 16, qPrintable(counts)); // no more than the buffers held
        QVERIFY2(misses >= 1, qPrintable(counts));
        QVERIFY2(lastFrame < misses + framesAfter - 1, qPrintable(counts)); // the end: misses
        const auto after = src->stats();
        QCOMPARE(after.frames - before.frames, std::int64_t(framesAfter));
        QCOMPARE(after.timeouts + after.incomplete - before.timeouts - before.incomplete,
                 std::int64_t(empty)); // every empty grab is counted
        src->close();
        QVERIFY_THROWS_EXCEPTION(kizu::DeviceError, src->open()); // nobody answers
        cam = std::make_unique<kizu::test::FakeGigECamera>();
        QVERIFY2(cam->start(), qPrintable(cam->error()));
        bool reopened = false;
        for (int attempt = 0; attempt < 10 && !reopened; ++attempt) {
            try {
                src->open();
                reopened = true;
            } catch (const kizu::DeviceError&) {
                QThread::msleep(300);
            }
        }
        QVERIFY(reopened);
        bool frame = false;
        for (int i = 0; i < 10 && !frame; ++i)
            frame = src->grab(2000).has_value();
        QVERIFY(frame);
    }

    // What the station asks for is what the camera's registers hold afterwards.
    void settingsAreAppliedAndReadBack()
    {
        KIZU_REQUIRE_FAKE_CAMERA();
        kizu::test::FakeGigECamera cam;
        QVERIFY2(cam.start(), qPrintable(cam.error()));
        CameraSettings s;
        s.exposureUs = 2500;
        s.gain = 3;
        s.frameRate = 40;
        s.pixelFormat = "Mono16";
        s.trigger = "free";
        auto src = openSource("aravis:127.0.0.1", s);
        src->open();
        auto r = src->readout();
        QVERIFY(r.has_value());
        QCOMPARE(*r->exposureUs, 2500.0);
        QCOMPARE(*r->gain, 3.0);
        QCOMPARE(*r->frameRate, 40.0);
        QCOMPARE(r->pixelFormat, std::string("Mono16"));
        QCOMPARE(r->trigger, std::string("free"));
        QCOMPARE(r->exposureRange->min, 10.0); // the fake camera's bounds
        QCOMPARE(r->exposureRange->max, 1e7);
        QVERIFY(std::find(r->triggerSources.begin(), r->triggerSources.end(), "software") !=
                r->triggerSources.end());
        QVERIFY(src->grab(3000).has_value());
        src->close();
        QVERIFY(!src->readout());
        // A line trigger with its edge; then back to free run with the camera's own rest.
        s = {};
        s.trigger = normaliseTrigger("line0");
        s.triggerEdge = normaliseTriggerEdge("RisingEdge");
        src = openSource("aravis:127.0.0.1", s);
        src->open();
        QVERIFY(src->externallyTriggered());
        r = src->readout();
        QCOMPARE(r->trigger, std::string("Line0"));
        QCOMPARE(r->triggerEdge, std::string("rising"));
        QCOMPARE(*r->exposureUs, 2500.0); // unset: the camera keeps what it had
        src->close();
        s = {};
        s.trigger = "software";
        src = openSource("aravis:127.0.0.1", s);
        src->open();
        QVERIFY(!src->externallyTriggered());
        QCOMPARE(src->readout()->trigger, std::string("software"));
    }

    // A value outside the camera's range, or a feature it lacks, is refused before anything is
    // set, with the feature and what the camera allows.
    void outOfRangeIsRefused()
    {
        QCOMPARE(normaliseTrigger("LINE2"), std::string("Line2"));
        QCOMPARE(normaliseTrigger("off"), std::string("free"));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, normaliseTrigger("hardware"));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, normaliseTrigger("line"));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, normaliseTriggerEdge("up"));
        KIZU_REQUIRE_FAKE_CAMERA();
        kizu::test::FakeGigECamera cam;
        QVERIFY2(cam.start(), qPrintable(cam.error()));
        auto has = [](const std::string& text, const char* part) {
            return text.find(part) != std::string::npos;
        };
        CameraSettings s;
        s.exposureUs = 5e7;
        std::string msg = refusal(s);
        QVERIFY2(has(msg, "exposure 5e+07 us is outside the camera's range 10 to 1e+07 us") &&
                     has(msg, "ExposureTimeAbs"),
                 msg.c_str());
        s = {};
        s.gain = 11;
        msg = refusal(s);
        QVERIFY2(has(msg, "gain 11 is outside the camera's range 0 to 10") && has(msg, "GainRaw"),
                 msg.c_str());
        s = {};
        s.frameRate = 5000;
        msg = refusal(s);
        QVERIFY2(has(msg, "0.1 to 1000 fps") && has(msg, "AcquisitionFrameRate"), msg.c_str());
        s = {};
        s.pixelFormat = "YUV422_8";
        msg = refusal(s);
        QVERIFY2(has(msg, "PixelFormat: ") && has(msg, "Mono8"), msg.c_str());
        s = {};
        s.trigger = "Line1";
        msg = refusal(s);
        QVERIFY2(has(msg, "TriggerSource: Line0, software"), msg.c_str());
        s.trigger = "Line0";
        s.triggerEdge = "falling";
        msg = refusal(s);
        QVERIFY2(has(msg, "TriggerActivation: rising"), msg.c_str());
        s.triggerEdge.reset();
        s.triggerDelayUs = 100;
        msg = refusal(s);
        QVERIFY2(has(msg, "no trigger delay (GenICam TriggerDelay)"), msg.c_str());
        s.trigger = "software";
        msg = refusal(s);
        QVERIFY2(has(msg, "needs a line trigger"), msg.c_str());
        // Nothing was half-applied: a good open afterwards streams.
        auto src = openSource("aravis:127.0.0.1");
        src->open();
        QVERIFY(src->grab(3000).has_value());
        QVERIFY(src->readout()->exposureUs < 1e7 + 1);
        // The inspection loop ends on a refused setting (no reconnect can fix it), with the reason.
        s = {};
        s.gain = 99;
        auto bad = openSource("aravis:127.0.0.1", s);
        kizu::inspect::InspectionOptions opt;
        kizu::inspect::ResilientSource resilient(*bad, opt, nullptr);
        const auto step = resilient.next();
        QVERIFY(step.end);
        QVERIFY(step.fault && has(*step.fault, "0 to 10"));
    }

    // With the software trigger the camera sends a frame only when the station triggers one.
    void softwareTriggerYieldsFramesOnlyWhenTriggered()
    {
        KIZU_REQUIRE_FAKE_CAMERA();
        kizu::test::FakeGigECamera cam;
        QVERIFY2(cam.start(), qPrintable(cam.error()));
        // Free run for comparison: frames arrive by themselves (25 fps).
        auto free = openSource("aravis:127.0.0.1");
        free->open();
        QThread::msleep(400);
        QVERIFY(free->grab(2000).has_value());
        QVERIFY2(free->stats().received >= 4, qPrintable(QString::number(free->stats().received)));
        free->close();
        CameraSettings s;
        s.trigger = "software";
        s.frameRate = 10; // the trigger rate
        auto src = openSource("aravis:127.0.0.1", s);
        src->open();
        QThread::msleep(400);
        QCOMPARE(src->stats().received, std::int64_t(0)); // no trigger, no frame
        QElapsedTimer t;
        t.start();
        for (int i = 1; i <= 4; ++i) {
            QVERIFY(src->grab(2000).has_value());
            QCOMPARE(src->stats().received, std::int64_t(i)); // one frame per trigger
        }
        QVERIFY2(t.elapsed() >= 290, qPrintable(QString::number(t.elapsed()))); // 10 triggers/s
        QThread::msleep(300);
        QCOMPARE(src->stats().received, std::int64_t(4));
    }

    // A camera that dies is seen on its control channel: FAULT well before the 2 s frame
    // timeout, also on a line trigger where no frame is due and with the software trigger
    // (whose command would wait for Aravis's retries); a silent line-triggered camera that is
    // alive is no FAULT.
    void timeToFaultWhenTheCameraIsKilled()
    {
        KIZU_REQUIRE_FAKE_CAMERA();
        auto cam = std::make_unique<kizu::test::FakeGigECamera>();
        QVERIFY2(cam->start(), qPrintable(cam->error()));
        for (const char* mode : {"free", "Line0", "software"}) {
            const bool line = std::string(mode) == "Line0";
            CameraSettings s;
            s.trigger = mode;
            if (std::string(mode) == "software") s.frameRate = 20; // triggers per second
            auto src = openSource("aravis:127.0.0.1", s);
            kizu::inspect::InspectionOptions opt;
            opt.grabTimeoutMs = line ? 800 : 2000; // 2000: the CLI's default
            kizu::inspect::ResilientSource resilient(*src, opt, nullptr);
            QElapsedTimer t;
            t.start();
            int frames = 0;
            while (t.elapsed() < (line ? 1300 : 1000)) {
                const auto step = resilient.next();
                QVERIFY2(!step.fault, step.fault ? step.fault->c_str() : "");
                frames += step.frame ? 1 : 0;
            }
            QVERIFY(line ? frames == 0 : frames > 5);
            QCOMPARE(::kill(pid_t(cam->pid()), SIGKILL), 0);
            t.restart();
            std::optional<std::string> fault;
            while (!fault && t.elapsed() < 10000)
                fault = resilient.next().fault;
            const auto ms = t.elapsed();
            qInfo("%s: FAULT %lld ms after the kill: %s", mode, ms,
                  fault ? fault->c_str() : "none");
            QVERIFY(fault.has_value());
            QVERIFY2(fault->find("control channel") != std::string::npos, fault->c_str());
            QVERIFY2(ms < 1000, qPrintable(QString::number(ms)));
            // The camera comes back before the source is closed: closing a camera nobody
            // answers for waits about 7.5 s in Aravis (its command retries and heartbeat).
            cam = std::make_unique<kizu::test::FakeGigECamera>();
            QVERIFY2(cam->start(), qPrintable(cam->error()));
            src->close();
        }
    }

    void packetSizeOption()
    {
        // aravis:ID?packet-size=N sets the GigE Vision packet size; anything else is refused.
        for (const char* bad : {"aravis:127.0.0.1?packet-size=12", "aravis:127.0.0.1?packet-size=9k",
                                "aravis:127.0.0.1?mtu=9000"})
            QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, openSource(bad));
        if (!kizu::test::FakeGigECamera::available() || !aravisAvailable()) return;
        kizu::test::FakeGigECamera cam;
        QVERIFY2(cam.start(), qPrintable(cam.error()));
        auto src = openSource("aravis:127.0.0.1?packet-size=9000");
        src->open();
        bool frame = false;
        for (int i = 0; i < 10 && !frame; ++i) frame = src->grab(2000).has_value();
        QVERIFY(frame);
        QCOMPARE(src->description(), std::string("camera 127.0.0.1"));
    }

    void packetLossIsCounted()
    {
        KIZU_REQUIRE_FAKE_CAMERA();
        kizu::test::FakeGigECamera cam;
        QVERIFY2(cam.start(3), qPrintable(cam.error())); // 0.3% of stream packets lost
        auto src = openSource("aravis:127.0.0.1");
        src->open();
        int frames = 0;
        for (int i = 0; i < 60; ++i)
            if (src->grab(1000)) ++frames;
        auto st = src->stats();
        QVERIFY2(st.lostPackets + st.resentPackets + st.incomplete > 0,
                 qPrintable(QString("lost %1 resent %2 incomplete %3 frames %4")
                                .arg(st.lostPackets)
                                .arg(st.resentPackets)
                                .arg(st.incomplete)
                                .arg(frames)));
        QVERIFY(frames > 0);
    }
};

QTEST_APPLESS_MAIN(TestCamera)
#include "test_camera.moc"
