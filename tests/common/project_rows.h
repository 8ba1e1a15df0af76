// Reads rows of a project database straight with SQLite, for tests that check what a workflow
// recorded (the store has no reader for every table, and a test should not trust the writer's
// own reader alone).
#pragma once

#include <QString>
#include <QStringList>
#include <QtTest>

#include <sqlite3.h>

namespace kizu::test {

// Every row of `sql` as tab-separated text, in the query's order; empty on any error (which
// is printed).
inline QStringList projectRows(const QString& projectDir, const QString& sql)
{
    QStringList rows;
    sqlite3* db = nullptr;
    const QByteArray file = (projectDir + QStringLiteral("/project.kizu")).toUtf8();
    if (sqlite3_open_v2(file.constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        qWarning("cannot open %s", file.constData());
        sqlite3_close(db);
        return rows;
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.toUtf8().constData(), -1, &st, nullptr) != SQLITE_OK) {
        qWarning("%s: %s", qPrintable(sql), sqlite3_errmsg(db));
    } else {
        while (sqlite3_step(st) == SQLITE_ROW) {
            QStringList cols;
            for (int c = 0; c < sqlite3_column_count(st); ++c) {
                const auto* text = sqlite3_column_text(st, c);
                cols << (text ? QString::fromUtf8(reinterpret_cast<const char*>(text)) : QString());
            }
            rows << cols.join(QLatin1Char('\t'));
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
}

// The project's CG images: "hash<TAB>label<TAB>group", sorted by hash.
inline QStringList cgImageRows(const QString& projectDir)
{
    return projectRows(
        projectDir, QStringLiteral("SELECT i.hash, l.label, i.grp FROM images i JOIN labels l "
                                   "ON l.image_id = i.id WHERE i.source = 'cg' ORDER BY i.hash"));
}

// The cg_batches rows without their time: "id<TAB>seed<TAB>count<TAB>params<TAB>folder".
inline QStringList cgBatchRows(const QString& projectDir)
{
    return projectRows(projectDir, QStringLiteral("SELECT id, seed, count, params, folder FROM "
                                                  "cg_batches ORDER BY id"));
}

} // namespace kizu::test
