// Helpers shared by the Qt Test suites: where the shared data is, and how to run kizu-cli.
#pragma once

#include <QByteArray>
#include <QCryptographicHash>
#include <QDirIterator>
#include <QMap>
#include <QDir>
#include <QFile>
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

// CI sets KIZU_CI=1: it has every resource the tests use (BSData, the fake camera, the shared
// weights), so there a test that would skip for a missing one fails instead. The skips that
// stay allowed anywhere are listed in scripts/check_skips.py.
inline bool ciRequiresResources()
{
    return qEnvironmentVariable("KIZU_CI") == QLatin1String("1");
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

// A CSV file as rows of fields, the header first; for files whose fields hold no quoted commas
// or line breaks (the test data's paths have none). Empty when the file cannot be read; a
// missing final newline shows as a last row.
inline QList<QStringList> readCsv(const QString& file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) return {};
    QList<QStringList> rows;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (i == lines.size() - 1 && lines[i].isEmpty()) break; // after the final newline
        rows << QString::fromUtf8(lines[i]).split(QLatin1Char(','));
    }
    return rows;
}

// Relative path -> SHA-256 of every file below dir, except files whose name ends in
// `skipSuffix` (e.g. a settings file that records a time): for byte-identical comparisons.
inline QMap<QString, QByteArray> hashTree(const QString& dir, const QString& skipSuffix = {})
{
    QMap<QString, QByteArray> out;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (!skipSuffix.isEmpty() && path.endsWith(skipSuffix)) continue;
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) continue;
        out[QDir(dir).relativeFilePath(path)] =
            QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256).toHex();
    }
    return out;
}

} // namespace kizu::test

// Skips for a missing resource, or fails under KIZU_CI=1. `reason` is a string literal.
#define KIZU_SKIP_REQUIRED(reason)                                                                 \
    do {                                                                                           \
        if (kizu::test::ciRequiresResources()) QFAIL("KIZU_CI=1 requires it: " reason);            \
        QSKIP(reason);                                                                             \
    } while (false)

#define KIZU_REQUIRE_BSDATA(var)                                                                   \
    const QString var = kizu::test::bsdataDir();                                                   \
    if (var.isEmpty())                                                                             \
    KIZU_SKIP_REQUIRED("BSData photos not found: set KIZU_BSDATA or -DKIZU_BSDATA_DIR to "         \
                       "the folder holding manifest.csv (../shared/data/bsdata)")

// The ImageNet SqueezeNet weights under ../shared/weights, in `var`.
#define KIZU_REQUIRE_WEIGHTS(var)                                                                  \
    const QString var = kizu::test::sharedDir() + "/weights/squeezenet1_1-imagenet.pth";           \
    if (kizu::test::sharedDir().isEmpty() || !QFile::exists(var))                                  \
    KIZU_SKIP_REQUIRED("squeezenet1_1-imagenet.pth not found under ../shared/weights (set "        \
                       "KIZU_SHARED or -DKIZU_SHARED_DIR)")
