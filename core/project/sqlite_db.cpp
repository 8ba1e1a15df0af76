#include "core/project/internal/sqlite_db.h"

#include "core/common/error.h"

#include <filesystem>
#include <sqlite3.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace kizu::project {
namespace {
// What to tell the operator about an SQLite error code (extended codes allowed).
std::string hintFor(int code, const std::string& file)
{
    code &= 0xff;
    const std::string folder = std::filesystem::path(file).parent_path().string();
    // SQLite reports a full disk as SQLITE_FULL only for the database file; growing its shared
    // memory or journal on a full disk comes back as an I/O error.
    struct statvfs vfs {};
    const bool diskFull = (code == SQLITE_IOERR || code == SQLITE_CANTOPEN) &&
                          ::statvfs(folder.empty() ? "." : folder.c_str(), &vfs) == 0 &&
                          std::uint64_t(vfs.f_bavail) * vfs.f_frsize < 64 * 1024;
    if (code == SQLITE_FULL || diskFull)
        return " Disk full: the disk holding " + (folder.empty() ? std::string(".") : folder) +
               " has no space left; free some space and try again.";
    if (code == SQLITE_READONLY ||
        ((code == SQLITE_CANTOPEN || code == SQLITE_IOERR || code == SQLITE_PERM) &&
         (::access(folder.empty() ? "." : folder.c_str(), W_OK) != 0 || ::access(file.c_str(), W_OK) != 0)))
        return " Read-only folder: the project folder " + folder +
               " is read-only (or not writable for this user): make it writable, or copy the "
               "project to a writable place, and try again.";
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
        return " The database file is damaged or not a Kizu project.";
    return {};
}

// A URI for sqlite3_open_v2 with SQLITE_OPEN_URI: the path percent-encoded where URIs need it.
std::string fileUri(const std::string& file, const char* query)
{
    std::string uri = "file:";
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : file) {
        if (c == '%' || c == '?' || c == '#' || c < 0x21 || c >= 0x7f) {
            uri += '%';
            uri += hex[c >> 4];
            uri += hex[c & 15];
        } else {
            uri += char(c);
        }
    }
    return uri + "?" + query;
}
} // namespace

Database::Database(const std::string& file, bool create)
    : Database(file, create ? Mode::Create : Mode::ReadWrite)
{
}

Database::Database(const std::string& file, Mode mode) : m_file(file)
{
    int flags = SQLITE_OPEN_FULLMUTEX;
    std::string name = file;
    switch (mode) {
    case Mode::ReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
    case Mode::Create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    case Mode::ReadOnly: flags |= SQLITE_OPEN_READONLY; break;
    case Mode::ReadOnlyFrozen:
        flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
        name = fileUri(file, "immutable=1");
        break;
    }
    if (sqlite3_open_v2(name.c_str(), &m_db, flags, nullptr) != SQLITE_OK) {
        std::string msg = m_db ? sqlite3_errmsg(m_db) : "out of memory";
        const int code = m_db ? sqlite3_extended_errcode(m_db) : SQLITE_NOMEM;
        sqlite3_close(m_db);
        m_db = nullptr;
        std::string hint = hintFor(code, file);
        throw StoreError("Cannot open the project database " + file + ": " + msg + "." +
                         (hint.empty() ? " Check that the folder is a Kizu project and is writable."
                                       : hint));
    }
    sqlite3_extended_result_codes(m_db, 1);
    sqlite3_busy_timeout(m_db, 10000);
}

Database::Database(Database&& o) noexcept : m_db(o.m_db), m_file(std::move(o.m_file))
{
    o.m_db = nullptr;
}

Database& Database::operator=(Database&& o) noexcept
{
    if (this != &o) {
        if (m_db) sqlite3_close_v2(m_db);
        m_db = o.m_db;
        m_file = std::move(o.m_file);
        o.m_db = nullptr;
    }
    return *this;
}

Database::~Database()
{
    if (m_db) sqlite3_close_v2(m_db);
}

void Database::fail(const std::string& what) const
{
    std::string msg = m_db ? sqlite3_errmsg(m_db) : "no database";
    int code = m_db ? sqlite3_extended_errcode(m_db) : 0;
    throw StoreError(what + " failed in " + m_file + ": " + msg + "." + hintFor(code, m_file));
}

void Database::exec(const std::string& sql)
{
    char* err = nullptr;
    if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        const int code = sqlite3_extended_errcode(m_db);
        throw StoreError("Database update failed in " + m_file + ": " + msg + "." +
                         hintFor(code, m_file));
    }
}

Statement Database::prepare(const std::string& sql) const
{
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(m_db, sql.c_str(), int(sql.size()), &stmt, nullptr) != SQLITE_OK)
        fail("Preparing a query");
    return Statement(*this, stmt);
}

std::int64_t Database::lastInsertId() const { return sqlite3_last_insert_rowid(m_db); }
int Database::changes() const { return sqlite3_changes(m_db); }

Statement::~Statement()
{
    if (m_stmt) sqlite3_finalize(m_stmt);
}

Statement& Statement::bind(int index, std::int64_t v)
{
    sqlite3_bind_int64(m_stmt, index, v);
    return *this;
}

Statement& Statement::bind(int index, double v)
{
    sqlite3_bind_double(m_stmt, index, v);
    return *this;
}

Statement& Statement::bind(int index, const std::string& v)
{
    sqlite3_bind_text(m_stmt, index, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bindBlob(int index, const std::string& bytes)
{
    sqlite3_bind_blob(m_stmt, index, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bindNull(int index)
{
    sqlite3_bind_null(m_stmt, index);
    return *this;
}

bool Statement::step()
{
    int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    m_db->fail("A database query");
}

void Statement::reset()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

std::int64_t Statement::int64(int col) const { return sqlite3_column_int64(m_stmt, col); }
double Statement::real(int col) const { return sqlite3_column_double(m_stmt, col); }
std::string Statement::text(int col) const
{
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    return p ? std::string(p, std::size_t(sqlite3_column_bytes(m_stmt, col))) : std::string();
}
std::string Statement::blob(int col) const
{
    auto p = static_cast<const char*>(sqlite3_column_blob(m_stmt, col));
    return p ? std::string(p, std::size_t(sqlite3_column_bytes(m_stmt, col))) : std::string();
}
bool Statement::isNull(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }

Transaction::Transaction(Database& db) : m_db(db) { m_db.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction()
{
    if (!m_done) sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit()
{
    m_db.exec("COMMIT");
    m_done = true;
}

} // namespace kizu::project
