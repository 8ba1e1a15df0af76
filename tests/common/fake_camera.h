// Starts the real Aravis fake GigE Vision camera (arv-fake-gv-camera-0.8) on 127.0.0.1 for a
// test, and stops it again. Tests that use it claim the "gige" resource so they never overlap.
#pragma once

#include "common/test_support.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QString>
#include <QtTest>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kizu::test {

// Whether a GigE Vision device answers on 127.0.0.1's control port (GVCP, UDP 3956) within
// waitMs: sends a READREG of register 0 (the version) and waits for any reply.
inline bool gvcpAnswers(int waitMs)
{
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return false;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(3956);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // key 0x42, flags: ack required, READREG_CMD 0x0080, 4 bytes, request id 1, address 0.
    const unsigned char readReg[] = {0x42, 0x01, 0x00, 0x80, 0x00, 0x04,
                                     0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
    ::sendto(fd, readReg, sizeof readReg, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    pollfd p{fd, POLLIN, 0};
    bool answered = false;
    if (::poll(&p, 1, waitMs) == 1) {
        unsigned char reply[64];
        answered = ::recv(fd, reply, sizeof reply, 0) >= 8 && reply[2] == 0x00 && reply[3] == 0x81;
    }
    ::close(fd);
    return answered;
}

class FakeGigECamera {
public:
    static QString program() { return QStandardPaths::findExecutable("arv-fake-gv-camera-0.8"); }
    static bool available() { return !program().isEmpty(); }

    // lostPerThousand > 0 makes the camera drop that share of stream packets. Returns once the
    // camera answers on its control port; false (with the reason in error(), also printed)
    // when it does not start or does not answer within timeoutMs.
    bool start(int lostPerThousand = 0, int timeoutMs = 10000)
    {
        // Another camera already there (a parallel test run on this machine: the "gige" lock
        // holds only within one ctest) would be the one the test talks to, and a test that
        // kills "its" camera would see frames go on. Wait for it to go, then give up clearly.
        QElapsedTimer busy;
        busy.start();
        while (gvcpAnswers(50)) {
            if (busy.elapsed() > 90000)
                return fail("cannot start: another GigE Vision device answers on "
                            "127.0.0.1:3956 for 90 s (a parallel test run?)");
            QThread::msleep(200);
        }
        QStringList args{"-i", "127.0.0.1"};
        if (lostPerThousand > 0) args << "-r" << QString::number(lostPerThousand);
        m_proc.setProcessChannelMode(QProcess::MergedChannels);
        // The camera dies with the test process, also when that is killed with -9: an orphaned
        // fake camera would keep answering on 127.0.0.1 and confuse the next test run.
        m_proc.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        m_proc.start(program(), args);
        if (!m_proc.waitForStarted(5000)) return fail("did not start: " + m_proc.errorString());
        QElapsedTimer t;
        t.start();
        while (!gvcpAnswers(50)) {
            if (m_proc.state() != QProcess::Running)
                return fail("exited before it answered: " +
                            QString::fromLocal8Bit(m_proc.readAll()));
            if (t.elapsed() > timeoutMs)
                return fail(
                    QStringLiteral("did not answer on 127.0.0.1:3956 within %1 ms").arg(timeoutMs));
        }
        return m_proc.state() == QProcess::Running || fail("exited right after it answered");
    }
    QString error() const { return m_error; }
    // The camera process's id, for a test that kills it (kill -9 by PID) and times the FAULT.
    qint64 pid() const { return m_proc.processId(); }

    void stop()
    {
        if (m_proc.state() == QProcess::NotRunning) return;
        m_proc.kill();
        m_proc.waitForFinished(5000);
    }

    ~FakeGigECamera() { stop(); }

private:
    bool fail(const QString& why)
    {
        m_error = QStringLiteral("the fake GigE camera (%1) %2").arg(program(), why);
        qWarning("%s", qPrintable(m_error));
        stop();
        return false;
    }

    QProcess m_proc;
    QString m_error;
};

} // namespace kizu::test

#define KIZU_REQUIRE_FAKE_CAMERA()                                                                 \
    if (!kizu::test::FakeGigECamera::available())                                                  \
    KIZU_SKIP_REQUIRED("arv-fake-gv-camera-0.8 not found: install aravis-tools (scripts/setup.sh " \
                       "does)")
