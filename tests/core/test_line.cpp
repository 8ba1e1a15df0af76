// The line outputs never hold up inspection (docs/line.md): a Modbus client that stalls
// mid-request or never reads its answers, and an MQTT broker that is not there, leave publish()
// as fast as ever; the register block still answers a well-behaved PLC. Also the MQTT URL rules.
#include "core/common/error.h"
#include "core/line/modbus_server.h"
#include "core/line/mqtt_publisher.h"
#include "tests/common/loopback.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <modbus/modbus.h>
#include <mosquitto.h>

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace kizu::line;
using Clock = std::chrono::steady_clock;

namespace {
kizu::inspect::LineResult result(std::int64_t n)
{
    kizu::inspect::LineResult r;
    r.counter = n;
    r.at = 1796000000000 + n;
    r.frame = n - 1;
    r.state = n % 3 ? kizu::inspect::State::Ok : kizu::inspect::State::Ng;
    r.score = 0.001 * double(n % 1000);
    r.threshold = 0.5;
    r.modelSha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    r.method = "baseline";
    return r;
}

double p99(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[std::size_t(0.99 * double(v.size() - 1))];
}
} // namespace

class TestLine : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void stalledModbusClientsDoNotBlockPublishing()
    {
        ModbusServer server("127.0.0.1:0");
        QVERIFY(server.port() > 0);
        // One client sends half a request and waits; another floods requests and never reads.
        const int half = kizu::test::connectLoopback(server.port());
        const int flood = kizu::test::connectLoopback(server.port());
        QVERIFY(half >= 0 && flood >= 0);
        const unsigned char read32[] = {0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 32};
        QCOMPARE(::send(half, read32, 5, 0), ssize_t(5));
        for (int i = 0; i < 20000; ++i)
            if (::send(flood, read32, sizeof read32, MSG_DONTWAIT) < 0) break;
        server.setState(kizu::inspect::StationState::Running);
        std::vector<double> us;
        for (int n = 1; n <= 5000; ++n) {
            const auto t0 = Clock::now();
            server.publish(result(n));
            us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        }
        QVERIFY2(p99(us) < 1000, qPrintable(QString("publish p99 %1 us").arg(p99(us))));
        // A well-behaved PLC still gets the last result once the server got past the others.
        modbus_t* plc = modbus_new_tcp("127.0.0.1", server.port());
        modbus_set_response_timeout(plc, 5, 0);
        QCOMPARE(modbus_connect(plc), 0);
        std::uint16_t ir[32];
        QCOMPARE(modbus_read_input_registers(plc, 0, 32, ir), 32);
        QCOMPARE(std::uint32_t(ir[modbus::kCounterHi]) << 16 | ir[modbus::kCounterHi + 1], 5000u);
        QCOMPARE(int(ir[modbus::kState]), 1);
        QCOMPARE(int(ir[modbus::kModelId] >> 8), int('0'));
        QCOMPARE(int(ir[modbus::kModelId] & 0xFF), int('1'));
        // The part id: the high word first, then the low word hands it over, once.
        QCOMPARE(modbus_write_register(plc, modbus::kNextPartIdHi, 1), 1);
        QCOMPARE(server.takePartId(), std::string());
        QCOMPARE(modbus_write_register(plc, modbus::kNextPartIdLo, 2), 1);
        // The server thread takes it right after its answer: the next request sees it for sure.
        QCOMPARE(modbus_read_input_registers(plc, 0, 1, ir), 1);
        QCOMPARE(server.takePartId(), std::string("65538"));
        QCOMPARE(server.takePartId(), std::string());
        modbus_close(plc);
        modbus_free(plc);
        ::close(half);
        ::close(flood);
    }

    void absentBrokerDoesNotBlockPublishing()
    {
        MqttOptions o;
        o.port = 1; // nothing listens there
        o.station = "absent";
        o.maxQueue = 100;
        const auto t0 = Clock::now();
        std::vector<double> us;
        {
            MqttPublisher pub(o);
            for (int n = 1; n <= 5000; ++n) {
                const auto t1 = Clock::now();
                pub.publish(result(n));
                us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t1).count());
            }
            const auto st = pub.stats();
            QVERIFY(!st.connected);
            QCOMPARE(st.published, std::int64_t(0));
            QCOMPARE(st.dropped, std::int64_t(4900)); // the queue keeps the newest 100
        }
        QVERIFY2(p99(us) < 1000, qPrintable(QString("publish p99 %1 us").arg(p99(us))));
        // Closing waits a bounded time for the broker, then gives up.
        QVERIFY(Clock::now() - t0 < std::chrono::seconds(5));
    }

    void brokerThatStartsLateGetsEverything()
    {
        // The station may start before its broker: it keeps trying, and the queued results go
        // out once the broker is there.
        const QString exe = QStandardPaths::findExecutable(
            QStringLiteral("mosquitto"),
            {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin")});
        if (exe.isEmpty()) {
            if (qEnvironmentVariable("KIZU_CI") == QLatin1String("1"))
                QFAIL("KIZU_CI=1 requires mosquitto (scripts/setup.sh installs it)");
            QSKIP("mosquitto not installed (scripts/setup.sh installs it)");
        }
        QTemporaryDir dir;
        const int port = kizu::test::freeLoopbackPort();
        QFile conf(dir.path() + "/m.conf");
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write(
            QStringLiteral("listener %1 127.0.0.1\nallow_anonymous true\n").arg(port).toUtf8());
        conf.close();
        MqttOptions o;
        o.port = port;
        o.station = "late";
        MqttPublisher pub(o);
        for (int n = 1; n <= 5; ++n)
            pub.publish(result(n));
        QThread::msleep(300);
        QVERIFY(!pub.stats().connected);
        QProcess broker;
        broker.start(exe, {QStringLiteral("-c"), conf.fileName()});
        QVERIFY(broker.waitForStarted(5000));
        auto stopBroker = qScopeGuard([&] {
            broker.terminate();
            broker.waitForFinished(3000);
        });
        QVERIFY(pub.waitConnected(5000));
        QElapsedTimer t;
        t.start();
        while (pub.stats().published < 5 && t.elapsed() < 3000)
            QThread::msleep(10);
        QCOMPARE(pub.stats().published, std::int64_t(5));
        QCOMPARE(pub.stats().dropped, std::int64_t(0));
        // The MES names the next part on kizu/late/part.
        mosquitto* mes = mosquitto_new(nullptr, true, nullptr);
        QCOMPARE(mosquitto_connect(mes, "127.0.0.1", port, 10), MOSQ_ERR_SUCCESS);
        QCOMPARE(mosquitto_publish(mes, nullptr, "kizu/late/part", 6, "P-0017", 1, false),
                 MOSQ_ERR_SUCCESS);
        std::string part;
        t.restart();
        while (part.empty() && t.elapsed() < 3000) {
            mosquitto_loop(mes, 10, 1);
            part = pub.takePartId();
        }
        QCOMPARE(part, std::string("P-0017"));
        QCOMPARE(pub.takePartId(), std::string()); // once
        mosquitto_disconnect(mes);
        mosquitto_destroy(mes);
        // The broker goes away and comes back: results wait, and go out after the reconnect.
        broker.terminate();
        QVERIFY(broker.waitForFinished(5000));
        QTRY_VERIFY_WITH_TIMEOUT(!pub.stats().connected, 5000);
        for (int n = 6; n <= 8; ++n) pub.publish(result(n));
        broker.start(exe, {QStringLiteral("-c"), conf.fileName()});
        QVERIFY(broker.waitForStarted(5000));
        QVERIFY(pub.waitConnected(10000));
        QTRY_COMPARE_WITH_TIMEOUT(pub.stats().published, std::int64_t(8), 5000);
        QCOMPARE(pub.stats().connects, std::int64_t(2));
    }

    void mqttUrls()
    {
        auto o = parseMqttUrl("mqtts://line3:secret@mes.example:8884");
        QVERIFY(o.tls);
        QCOMPARE(o.host, std::string("mes.example"));
        QCOMPARE(o.port, 8884);
        QCOMPARE(o.user, std::string("line3"));
        QCOMPARE(o.password, std::string("secret"));
        o = parseMqttUrl("mqtt://10.0.0.5");
        QVERIFY(!o.tls);
        QCOMPARE(o.port, 1883);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, parseMqttUrl("http://x"));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, parseMqttUrl("mqtt://x:99999"));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, parseMqttUrl("mqtt://"));
        const std::string json = resultJson(result(3), "s1");
        QVERIFY(json.find("\"verdict\":\"NG\"") != std::string::npos);
        QVERIFY(json.find("\"part_id\":null") != std::string::npos);
        QVERIFY(json.find("\"time\":\"2026-") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestLine)
#include "test_line.moc"
