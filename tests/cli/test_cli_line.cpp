// The line outputs with the real parts on 127.0.0.1 (docs/line.md): a real mosquitto broker on a
// free port and a real libmosquitto subscriber check that every frame's result arrives with its
// fields and that a station killed with SIGKILL is announced "offline" by its last will; a real
// libmodbus client plays the PLC: part id, trigger, busy, result valid with the counter,
// acknowledge. kizu-test-timeout: 120 kizu-test-resource: gige
#include "common/fake_camera.h"
#include "common/loopback.h"
#include "common/test_support.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <modbus/modbus.h>
#include <mosquitto.h>
#ifdef KIZU_TEST_ZXING
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#endif

#include <arpa/inet.h>
#include <mutex>
#include <netinet/in.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {
using kizu::test::freeLoopbackPort;

bool canConnect(int port)
{
    const int s = kizu::test::connectLoopback(port);
    if (s >= 0) ::close(s);
    return s >= 0;
}

const QString kBaseline = QStringLiteral(KIZU_SOURCE_DIR "/resources/baseline/default.json");

QString tmpBase()
{
    const QString base = qEnvironmentVariable("KIZU_TEST_TMP", QDir::tempPath());
    QDir().mkpath(base);
    return base;
}


// A real MQTT subscriber: every message on kizu/# with its topic.
struct Subscriber {
    struct Msg {
        std::string topic, payload;
        bool retain;
    };
    mosquitto* mosq = nullptr;
    std::mutex mutex;
    std::vector<Msg> msgs;
    bool subscribed = false;

    explicit Subscriber(int port)
    {
        mosquitto_lib_init();
        mosq = mosquitto_new(nullptr, true, this);
        mosquitto_message_callback_set(mosq, [](mosquitto*, void* obj, const mosquitto_message* m) {
            auto* self = static_cast<Subscriber*>(obj);
            std::lock_guard lock(self->mutex);
            self->msgs.push_back({m->topic,
                                  std::string(static_cast<const char*>(m->payload), m->payloadlen),
                                  m->retain});
        });
        mosquitto_subscribe_callback_set(mosq, [](mosquitto*, void* obj, int, int, const int*) {
            auto* self = static_cast<Subscriber*>(obj);
            std::lock_guard lock(self->mutex);
            self->subscribed = true;
        });
        mosquitto_connect(mosq, "127.0.0.1", port, 10);
        mosquitto_subscribe(mosq, nullptr, "kizu/#", 1);
        mosquitto_loop_start(mosq);
    }
    ~Subscriber()
    {
        mosquitto_disconnect(mosq);
        mosquitto_loop_stop(mosq, false);
        mosquitto_destroy(mosq);
    }
    std::vector<Msg> on(const std::string& topic)
    {
        std::lock_guard lock(mutex);
        std::vector<Msg> out;
        for (const auto& m : msgs)
            if (m.topic == topic) out.push_back(m);
        return out;
    }
    bool isSubscribed()
    {
        std::lock_guard lock(mutex);
        return subscribed;
    }
};

std::uint32_t u32(const std::uint16_t* r, int at)
{
    return std::uint32_t(r[at]) << 16 | r[at + 1];
}
} // namespace

class TestCliLine : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp{tmpBase() + "/line-XXXXXX"};
    QString m_images;
    QProcess m_broker;
    int m_brokerPort = 0;

private Q_SLOTS:
    void initTestCase()
    {
        m_images = m_tmp.path() + "/frames";
        QDir().mkpath(m_images);
        for (int i = 0; i < 6; ++i) {
            cv::Mat m(40, 48, CV_8UC3, cv::Scalar(90 + 10 * i, 100, 110));
            if (i % 2) cv::line(m, {5, 20}, {40, 22}, cv::Scalar(10, 10, 10), 2); // a scratch
            QVERIFY(cv::imwrite(QStringLiteral("%1/%2.png").arg(m_images).arg(i).toStdString(), m));
        }
    }

    void cleanupTestCase()
    {
        if (m_broker.state() != QProcess::NotRunning) {
            m_broker.terminate();
            m_broker.waitForFinished(3000);
        }
    }

    void mqttResultsAndLastWill()
    {
        const QString broker = QStandardPaths::findExecutable(
            QStringLiteral("mosquitto"),
            {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin")});
        if (broker.isEmpty())
            KIZU_SKIP_REQUIRED("mosquitto not installed (scripts/setup.sh installs it)");
        m_brokerPort = freeLoopbackPort();
        QFile conf(m_tmp.path() + "/mosquitto.conf");
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write(QStringLiteral("listener %1 127.0.0.1\nallow_anonymous true\n")
                       .arg(m_brokerPort)
                       .toUtf8());
        conf.close();
        m_broker.start(broker, {QStringLiteral("-c"), conf.fileName()});
        QVERIFY(m_broker.waitForStarted(5000));
        QElapsedTimer t;
        t.start();
        while (!canConnect(m_brokerPort) && t.elapsed() < 5000)
            QThread::msleep(20);
        QVERIFY2(canConnect(m_brokerPort), "mosquitto did not listen");
        Subscriber sub(m_brokerPort);
        t.restart();
        while (!sub.isSubscribed() && t.elapsed() < 5000)
            QThread::msleep(10);
        QVERIFY(sub.isSubscribed());
        const QString url = QStringLiteral("mqtt://127.0.0.1:%1").arg(m_brokerPort);

        // A finished run: one result per frame, with every field; the state ends "offline".
        auto r = kizu::test::runCli({"inspect", "--no-project", "--source", "folder:" + m_images,
                                     "--baseline", kBaseline, "--mqtt", url, "--station", "t1"},
                                    60000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto lines = r.out.trimmed().split('\n');
        const auto summary = QJsonDocument::fromJson(lines.last()).object();
        QCOMPARE(summary["frames"].toInt(), 6);
        QCOMPARE(summary["mqtt"].toObject()["published"].toInt(), 6);
        t.restart();
        while (sub.on("kizu/t1/result").size() < 6 && t.elapsed() < 5000)
            QThread::msleep(10);
        const auto results = sub.on("kizu/t1/result");
        QCOMPARE(int(results.size()), 6);
        for (int i = 0; i < 6; ++i) {
            const auto j =
                QJsonDocument::fromJson(QByteArray::fromStdString(results[i].payload)).object();
            const auto cli = QJsonDocument::fromJson(lines[i]).object(); // the CLI's own line
            QCOMPARE(j["frame"].toInt(-1), i);
            QCOMPARE(j["counter"].toInt(), i + 1);
            QCOMPARE(j["verdict"].toString(), cli["verdict"].toString());
            QCOMPARE(j["score"].toDouble(), cli["score"].toDouble());
            QCOMPARE(j["threshold"].toDouble(), cli["threshold"].toDouble());
            QCOMPARE(j["model_sha256"].toString(), summary["method_id"].toString());
            QCOMPARE(j["method"].toString(), QStringLiteral("baseline"));
            QVERIFY(j["latency_ms"].toDouble() > 0);
            QVERIFY(j["time"].toString().endsWith('Z'));
            QVERIFY(j["at_ms"].toDouble() > 1.7e12);
            for (const char* key : {"part_id", "camera_timestamp_ns", "camera_frame_id"})
                QVERIFY2(j.contains(key), key); // null for a folder replay without part ids
        }
        auto states = sub.on("kizu/t1/state");
        QVERIFY(!states.empty());
        QCOMPARE(states.front().payload, std::string("running"));
        QCOMPARE(states.back().payload, std::string("offline"));

        // A killed station: the broker publishes its last will.
        QProcess p;
        p.start(QStringLiteral(KIZU_CLI_PATH),
                {"inspect", "--no-project", "--source", "folder:" + m_images + "?fps=20&loop=1",
                 "--baseline", kBaseline, "--mqtt", url, "--station", "t2", "--quiet"});
        QVERIFY(p.waitForStarted(5000));
        t.restart();
        while (sub.on("kizu/t2/result").size() < 3 && t.elapsed() < 15000)
            QThread::msleep(20);
        QVERIFY2(sub.on("kizu/t2/result").size() >= 3, p.readAllStandardError().constData());
        QCOMPARE(sub.on("kizu/t2/state").back().payload, std::string("running"));
        p.kill(); // SIGKILL: no chance to say goodbye
        QVERIFY(p.waitForFinished(5000));
        t.restart();
        while (sub.on("kizu/t2/state").back().payload != "offline" && t.elapsed() < 10000)
            QThread::msleep(20);
        QCOMPARE(sub.on("kizu/t2/state").back().payload, std::string("offline"));
        // Retained: a client that comes later learns that the station is offline.
        Subscriber later(m_brokerPort);
        t.restart();
        while (later.on("kizu/t2/state").empty() && t.elapsed() < 5000)
            QThread::msleep(10);
        QVERIFY(!later.on("kizu/t2/state").empty());
        QCOMPARE(later.on("kizu/t2/state").front().payload, std::string("offline"));
        QVERIFY(later.on("kizu/t2/state").front().retain);
    }

    void tracedResultsAndExport()
    {
        // Results from the fake GigE camera carry its timestamp and frame id into the project;
        // `results list` and `results export` find them by verdict, time and model.
        KIZU_REQUIRE_FAKE_CAMERA();
        kizu::test::FakeGigECamera cam;
        QVERIFY2(cam.start(), qPrintable(cam.error()));
        const QString proj = m_tmp.path() + "/traced";
        QCOMPARE(kizu::test::runCli({"project", "init", proj}).exitCode, 0);
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        auto r =
            kizu::test::runCli({"-p", proj, "inspect", "--source", "aravis:127.0.0.1", "--baseline",
                                kBaseline, "--frames", "3", "--no-save-ng", "--quiet"},
                               60000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto summary = QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
        QCOMPARE(summary["frames"].toInt(), 3);
        const QString csv = m_tmp.path() + "/results.csv";
        auto e = kizu::test::runCli(
            {"-p", proj, "results", "export", "--since", QString::number(before), "--csv", csv});
        QVERIFY2(e.exitCode == 0, e.err.constData());
        const auto rows = kizu::test::readCsv(csv);
        QVERIFY(!rows.isEmpty());
        const QStringList header = rows[0];
        QCOMPARE(header.indexOf("camera_timestamp_ns"), 8);
        // The three verdicts (a loaded machine may add a FAULT row for a late frame: it is
        // recorded as such, and not checked here).
        QList<QStringList> judged;
        for (int i = 1; i < rows.size(); ++i) {
            QCOMPARE(rows[i].size(), header.size());
            const QString v = rows[i][header.indexOf("verdict")];
            if (v == "OK" || v == "NG")
                judged << rows[i];
            else
                QCOMPARE(v, QStringLiteral("FAULT"));
        }
        QCOMPARE(judged.size(), 3);
        std::int64_t lastTs = -1;
        for (const QStringList& row : judged) {
            QVERIFY(!row[header.indexOf("frame")].isEmpty());
            const qint64 ts = row[header.indexOf("camera_timestamp_ns")].toLongLong();
            QVERIFY2(ts > lastTs, qPrintable(row.join(','))); // the camera's clock, in order
            lastTs = ts;
            QVERIFY(!row[header.indexOf("camera_frame_id")].isEmpty());
            QCOMPARE(row[header.indexOf("model_sha256")], summary["method_id"].toString());
            QCOMPARE(row[header.indexOf("method")], QStringLiteral("baseline"));
            QVERIFY(!row[header.indexOf("threshold")].isEmpty());
            QVERIFY(row[header.indexOf("at_ms")].toLongLong() >= before);
        }
        // list: the filters and the counts.
        const QString verdict = judged[0][header.indexOf("verdict")].toLower();
        auto l = kizu::test::runCli({"-p", proj, "results", "list", "--verdict", verdict, "--model",
                                     summary["method_id"].toString().left(12), "--json"});
        QVERIFY2(l.exitCode == 0, l.err.constData());
        const auto tail = QJsonDocument::fromJson(l.out.trimmed().split('\n').last()).object();
        QVERIFY(tail["results"].toInt() >= 1);
        QCOMPARE(tail[verdict].toInt(), tail["results"].toInt());
        auto none =
            kizu::test::runCli({"-p", proj, "results", "list", "--until", "2000-01-01", "--json"});
        QCOMPARE(QJsonDocument::fromJson(none.out.trimmed()).object()["results"].toInt(-1), 0);
        auto bad = kizu::test::runCli({"-p", proj, "results", "list", "--since", "yesterday"});
        QVERIFY(bad.exitCode != 0 && bad.err.contains("30m, 8h, 2d"));
    }

    void partCounterGoesOnAcrossRuns()
    {
        const QString proj = m_tmp.path() + "/counted";
        QCOMPARE(kizu::test::runCli({"project", "init", proj}).exitCode, 0);
        QCOMPARE(kizu::test::runCli({"-p", proj, "line", "--part-counter"}).exitCode, 0);
        for (int run = 0; run < 2; ++run) {
            auto r = kizu::test::runCli({"-p", proj, "inspect", "--source", "folder:" + m_images,
                                         "--baseline", kBaseline, "--frames", "3", "--no-save-ng"});
            QVERIFY2(r.exitCode == 0, r.err.constData());
            const auto first = QJsonDocument::fromJson(r.out.split('\n').first()).object();
            QCOMPARE(first["part_id"].toString(), QString::number(1 + 3 * run));
        }
        auto e = kizu::test::runCli({"-p", proj, "results", "export"});
        const auto rows = e.out.trimmed().split('\n');
        QCOMPARE(rows.size(), 7);
        for (int i = 1; i <= 6; ++i)
            QCOMPARE(rows[i].split(',')[6], QByteArray::number(i));
        auto one = kizu::test::runCli({"-p", proj, "results", "list", "--part", "5", "--json"});
        QCOMPARE(QJsonDocument::fromJson(one.out.trimmed().split('\n').last())
                     .object()["results"]
                     .toInt(),
                 1);
    }

    void barcodePartIds()
    {
        // A part id printed as a QR code on the part: each frame's result carries its code.
#ifndef KIZU_TEST_ZXING
        KIZU_SKIP_REQUIRED("libzxing-dev not installed (scripts/setup.sh installs it)");
#else
        const QString dir = m_tmp.path() + "/coded";
        QDir().mkpath(dir);
        const QStringList codes{"PART-A1", "PART-A2", "PART-B7"};
        for (int i = 0; i < codes.size(); ++i) {
            const auto bits = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                                  .encode(codes[i].toStdString(), 120, 120);
            const auto m = ZXing::ToMatrix<std::uint8_t>(bits);
            cv::Mat frame(200, 260, CV_8UC3, cv::Scalar(150, 150, 150));
            cv::Mat qr(m.height(), m.width(), CV_8U, const_cast<std::uint8_t*>(m.data()));
            cv::Mat qrBgr;
            cv::cvtColor(qr, qrBgr, cv::COLOR_GRAY2BGR);
            qrBgr.copyTo(frame(cv::Rect(60 + 20 * i, 40, qr.cols, qr.rows)));
            QVERIFY(cv::imwrite(QStringLiteral("%1/%2.png").arg(dir).arg(i).toStdString(), frame));
        }
        auto r = kizu::test::runCli({"inspect", "--no-project", "--source", "folder:" + dir,
                                     "--baseline", kBaseline, "--barcode"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 4);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(QJsonDocument::fromJson(lines[i]).object()["part_id"].toString(), codes[i]);
#endif
    }

    void modbusHandshake()
    {
        QProcess p;
        p.start(QStringLiteral(KIZU_CLI_PATH),
                {"inspect", "--no-project", "--source", "folder:" + m_images + "?loop=1",
                 "--baseline", kBaseline, "--modbus", "127.0.0.1:0", "--trigger"});
        QVERIFY(p.waitForStarted(5000));
        QElapsedTimer t;
        t.start();
        QByteArray err;
        int port = 0;
        while (!port && t.elapsed() < 10000) {
            p.waitForReadyRead(100);
            err += p.readAllStandardError();
            const int at = err.indexOf("Modbus TCP server on 127.0.0.1:");
            if (at >= 0 && err.indexOf('\n', at) > 0)
                port = err.mid(at + 31, err.indexOf('\n', at) - at - 31).split(' ').first().toInt();
        }
        QVERIFY2(port > 0, err.constData());
        modbus_t* plc = modbus_new_tcp("127.0.0.1", port);
        QVERIFY(plc);
        auto closePlc = qScopeGuard([&] {
            modbus_close(plc);
            modbus_free(plc);
            p.kill();
            p.waitForFinished(3000);
        });
        QVERIFY2(modbus_connect(plc) == 0, modbus_strerror(errno));
        std::uint16_t ir[32];
        std::uint8_t di[8];
        t.restart();
        do {
            QCOMPARE(modbus_read_input_registers(plc, 0, 32, ir), 32);
        } while (ir[1] != 1 && t.elapsed() < 10000);
        QCOMPARE(int(ir[1]), 1);  // running
        QCOMPARE(int(ir[14]), 1); // map version
        QCOMPARE(u32(ir, 2), 0u); // no result yet: nothing is judged without a trigger
        QCOMPARE(modbus_read_input_bits(plc, 0, 8, di), 8);
        QCOMPARE(int(di[0]), 1); // ready
        const std::uint16_t heartbeat = ir[0];

        for (std::uint32_t cycle = 1; cycle <= 2; ++cycle) {
            const std::uint32_t part = 4240 + cycle;
            const std::uint16_t partRegs[2] = {std::uint16_t(part >> 16),
                                               std::uint16_t(part & 0xFFFF)};
            QCOMPARE(modbus_write_registers(plc, 0, 2, partRegs), 2);
            QCOMPARE(modbus_write_bit(plc, 0, 1), 1); // trigger
            t.restart();
            do {
                QCOMPARE(modbus_read_input_bits(plc, 0, 8, di), 8);
            } while (!di[2] && t.elapsed() < 10000);
            QVERIFY2(di[2], "no result valid after the trigger");
            QCOMPARE(int(di[1]), 0); // not busy any more
            QCOMPARE(modbus_read_input_registers(plc, 0, 32, ir), 32);
            QCOMPARE(u32(ir, 2), cycle); // the result counter
            QCOMPARE(u32(ir, 9), part);  // the part id it belongs to
            QVERIFY(ir[4] == 0 || ir[4] == 1);
            QCOMPARE(int(di[3]), int(ir[4] == 1)); // the NG bit matches the verdict
            // The model id: the method id's first characters, as ASCII.
            QCOMPARE(char(ir[16] >> 8), 'b');
            // The CLI's line for this frame: the same verdict, score and part id.
            QByteArray out;
            t.restart();
            while (out.count('\n') < int(cycle) && t.elapsed() < 5000) {
                p.waitForReadyRead(100);
                out += p.peek(1 << 16);
            }
            const auto cli = QJsonDocument::fromJson(out.split('\n')[cycle - 1]).object();
            QCOMPARE(cli["part_id"].toString(), QString::number(part));
            QCOMPARE(cli["verdict"].toString(), QString(ir[4] == 1 ? "NG" : "OK"));
            QCOMPARE(std::int32_t(u32(ir, 5)),
                     std::int32_t(std::lround(cli["score"].toDouble() * 1000)));
            QCOMPARE(modbus_write_bit(plc, 1, 1), 1); // acknowledge
            QCOMPARE(modbus_read_input_bits(plc, 0, 8, di), 8);
            QCOMPARE(int(di[2]), 0); // result valid cleared by the acknowledge
        }
        QThread::msleep(150);
        QCOMPARE(modbus_read_input_registers(plc, 0, 1, ir), 1);
        QVERIFY(ir[0] != heartbeat); // the heartbeat moves (every 100 ms)
    }
};

QTEST_GUILESS_MAIN(TestCliLine)
#include "test_cli_line.moc"
