// Helpers shared by the Qt Test suites: where the shared data is, and how to run kizu-cli.
#pragma once

#include <QByteArray>
#include <QDir>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QtTest>

namespace kizu::test {

// ../shared/data/bsdata, or $KIZU_BSDATA; empty when the folder is absent.
inline QString bsdataDir()
{
    QString dir = qEnvironmentVariable("KIZU_BSDATA", QStringLiteral(KIZU_BSDATA_DIR_DEFAULT));
    return QDir(dir).exists(QStringLiteral("manifest.csv")) ? QDir(dir).absolutePath() : QString();
}

inline QString sharedDir()
{
    QString dir = qEnvironmentVariable("KIZU_SHARED", QStringLiteral(KIZU_SHARED_DIR_DEFAULT));
    return QDir(dir).exists() ? QDir(dir).absolutePath() : QString();
}

struct CliResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// Runs the real kizu-cli and waits for it (timeout in ms).
inline CliResult runCli(const QStringList& args, int timeoutMs = 120000,
                        const QString& workDir = QString())
{
    QProcess p;
    if (!workDir.isEmpty()) p.setWorkingDirectory(workDir);
    p.start(QStringLiteral(KIZU_CLI_PATH), args);
    CliResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace kizu::test

#define KIZU_REQUIRE_BSDATA(var)                                                                   \
    const QString var = kizu::test::bsdataDir();                                                   \
    if (var.isEmpty())                                                                             \
        QSKIP("BSData photos not found: set KIZU_BSDATA or -DKIZU_BSDATA_DIR to "                  \
              "the folder holding manifest.csv (../shared/data/bsdata)");
