// A thin RAII layer over SQLite for the project store: a connection, prepared statements with
// typed binding, and a transaction guard that rolls back unless committed. Internal to core.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace kizu::project {

class Statement;

class Database {
public:
    Database() = default;
    enum class Mode {
        ReadWrite,       // read and write (the normal case)
        Create,          // read and write, creating the file when missing
        ReadOnly,        // never writes the database file (SQLite may add -wal/-shm beside it)
        ReadOnlyFrozen,  // immutable: for a folder nobody can write into (no -wal/-shm needed)
    };
    // Opens the database file; throws StoreError.
    Database(const std::string& file, bool create);
    Database(const std::string& file, Mode mode);
    Database(Database&& o) noexcept;
    Database& operator=(Database&& o) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    void exec(const std::string& sql);
    Statement prepare(const std::string& sql) const;
    std::int64_t lastInsertId() const;
    int changes() const;
    [[noreturn]] void fail(const std::string& what) const;
    sqlite3* handle() const { return m_db; }
    const std::string& file() const { return m_file; }

private:
    sqlite3* m_db = nullptr;
    std::string m_file;
};

class Statement {
public:
    Statement(const Database& db, sqlite3_stmt* stmt) : m_db(&db), m_stmt(stmt) {}
    Statement(Statement&& o) noexcept : m_db(o.m_db), m_stmt(o.m_stmt) { o.m_stmt = nullptr; }
    Statement(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, std::int64_t v);
    Statement& bind(int index, int v) { return bind(index, std::int64_t(v)); }
    Statement& bind(int index, double v);
    Statement& bind(int index, const std::string& v);
    Statement& bindBlob(int index, const std::string& bytes);
    Statement& bindNull(int index);
    // Steps once; true while a row is available.
    bool step();
    void run() { while (step()) {} }
    void reset();

    std::int64_t int64(int col) const;
    double real(int col) const;
    std::string text(int col) const;
    std::string blob(int col) const;
    bool isNull(int col) const;

private:
    const Database* m_db;
    sqlite3_stmt* m_stmt;
};

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless commit() was called.
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    void commit();

private:
    Database& m_db;
    bool m_done = false;
};

} // namespace kizu::project
