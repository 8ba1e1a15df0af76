// Starts the real Aravis fake GigE Vision camera (arv-fake-gv-camera-0.8) on 127.0.0.1 for a
// test, and stops it again. Tests that use it claim the "gige" resource so they never overlap.
#pragma once

#include <QProcess>

#include <csignal>
#include <sys/prctl.h>
#include <QStandardPaths>
#include <QString>
#include <QThread>
#include <QtTest>

namespace kizu::test {

class FakeGigECamera {
public:
    static QString program() { return QStandardPaths::findExecutable("arv-fake-gv-camera-0.8"); }
    static bool available() { return !program().isEmpty(); }

    // lostPerThousand > 0 makes the camera drop that share of stream packets.
    bool start(int lostPerThousand = 0)
    {
        QStringList args{"-i", "127.0.0.1"};
        if (lostPerThousand > 0) args << "-r" << QString::number(lostPerThousand);
        m_proc.setProcessChannelMode(QProcess::MergedChannels);
        // The camera dies with the test process, also when that is killed with -9: an orphaned
        // fake camera would keep answering on 127.0.0.1 and confuse the next test run.
        m_proc.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        m_proc.start(program(), args);
        if (!m_proc.waitForStarted(5000)) return false;
        QThread::msleep(700); // let it bind its GVCP port
        return m_proc.state() == QProcess::Running;
    }

    void stop()
    {
        if (m_proc.state() == QProcess::NotRunning) return;
        m_proc.kill();
        m_proc.waitForFinished(5000);
    }

    ~FakeGigECamera() { stop(); }

private:
    QProcess m_proc;
};

} // namespace kizu::test

#define KIZU_REQUIRE_FAKE_CAMERA()                                                                 \
    if (!kizu::test::FakeGigECamera::available())                                                  \
        QSKIP("arv-fake-gv-camera-0.8 not found: install aravis-tools (scripts/setup.sh does)");
