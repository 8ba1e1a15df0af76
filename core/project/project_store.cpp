#include "core/common/clock.h"
#include "core/project/project_store.h"

#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/sha256.h"
#include "core/imaging/image_io.h"
#include "core/imaging/perceptual_hash.h"
#include "core/project/internal/schema.h"
#include "core/project/internal/sqlite_db.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace kizu::project {
namespace fs = std::filesystem;

namespace {

// The pid in a temporary name ".NAME.tmpPID_TID_N" written by tempSibling, or 0.
long temporaryPid(const std::string& name)
{
    if (name.size() < 8 || name[0] != '.') return 0;
    const auto at = name.rfind(".tmp");
    if (at == std::string::npos || at == 0) return 0;
    const std::string rest = name.substr(at + 4);
    int underscores = 0;
    for (char c : rest) {
        if (c == '_') ++underscores;
        else if (!std::isdigit(static_cast<unsigned char>(c))) return 0;
    }
    if (underscores != 2 || rest.empty() || rest[0] == '_') return 0;
    return std::strtol(rest.c_str(), nullptr, 10);
}

bool processAlive(long pid)
{
    return pid == long(::getpid()) || ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
}

std::int64_t mtimeMs(const fs::path& p)
{
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return unixMs();
    return std::int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// splitmix64: a tiny, portable generator so that splits are identical on every platform.
struct SplitMix {
    std::uint64_t state;
    std::uint64_t next()
    {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    template <class T> void shuffle(std::vector<T>& v)
    {
        for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[next() % i]);
    }
};

const char* kSelectImage =
    "SELECT i.id, i.hash, i.ext, i.original_path, i.source, i.width, i.height, i.captured_at, "
    "i.imported_at, i.grp, COALESCE(l.label, 0), i.split, COALESCE(l.labeled_by, ''), "
    "COALESCE(l.labeled_at, 0) FROM images i LEFT JOIN labels l ON l.image_id = i.id ";

ImageRecord readImage(const Statement& s)
{
    ImageRecord r;
    r.id = s.int64(0);
    r.hash = s.text(1);
    r.ext = s.text(2);
    r.originalPath = s.text(3);
    r.source = s.text(4);
    r.width = int(s.int64(5));
    r.height = int(s.int64(6));
    r.capturedAt = s.int64(7);
    r.importedAt = s.int64(8);
    r.group = s.text(9);
    r.label = Label(s.int64(10));
    r.split = Split(s.int64(11));
    r.labeledBy = s.text(12);
    r.labeledAt = s.int64(13);
    return r;
}

struct WhereClause {
    std::string sql;
    std::vector<std::string> params; // all bound as text or int by position
    std::vector<bool> isInt;
};

WhereClause whereFor(const ImageFilter& f)
{
    WhereClause w;
    std::vector<std::string> parts;
    if (f.label) {
        parts.push_back("COALESCE(l.label, 0) = ?");
        w.params.push_back(std::to_string(int(*f.label)));
        w.isInt.push_back(true);
    }
    if (f.split) {
        parts.push_back("i.split = ?");
        w.params.push_back(std::to_string(int(*f.split)));
        w.isInt.push_back(true);
    }
    if (f.source) {
        parts.push_back("i.source = ?");
        w.params.push_back(*f.source);
        w.isInt.push_back(false);
    }
    if (f.group) {
        parts.push_back("i.grp = ?");
        w.params.push_back(*f.group);
        w.isInt.push_back(false);
    }
    if (f.synthetic) {
        parts.push_back(std::string("i.source ") + (*f.synthetic ? "IN" : "NOT IN") + " (?, ?)");
        for (const char* src : {kSourceCg, kSourceTransplant}) {
            w.params.push_back(src);
            w.isInt.push_back(false);
        }
    }
    for (std::size_t k = 0; k < parts.size(); ++k) w.sql += (k ? " AND " : "WHERE ") + parts[k];
    return w;
}

void bindWhere(Statement& s, const WhereClause& w)
{
    for (std::size_t k = 0; k < w.params.size(); ++k) {
        if (w.isInt[k]) s.bind(int(k + 1), std::int64_t(std::stoll(w.params[k])));
        else s.bind(int(k + 1), w.params[k]);
    }
}

// Why a file met in a folder is not imported, for the import report.
std::string notImageReason(const fs::path& p)
{
    const std::string ext = lower(p.extension().string());
    if (ext == ".json")
        return "not an image but a JSON file (annotations such as polygons are not imported)";
    if (ext.empty()) return "not an image file (no extension)";
    return "not an image file (" + ext + "); only JPEG, PNG, BMP and TIFF are imported";
}

void collectFiles(const fs::path& p, bool recursive, std::vector<fs::path>& out,
                  std::vector<ImportIssue>& issues)
{
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
        issues.push_back({p.string(), "does not exist"});
        return;
    }
    if (fs::is_regular_file(st)) {
        out.push_back(p); // an explicitly named file is tried whatever its extension
        return;
    }
    if (!fs::is_directory(st)) {
        issues.push_back({p.string(), "is neither a file nor a folder"});
        return;
    }
    std::vector<fs::path> found;
    std::vector<ImportIssue> notImages;
    auto visit = [&](const fs::directory_entry& e) {
        std::error_code fec;
        const std::string fname = e.path().filename().string();
        if (fname.rfind(".", 0) == 0) return; // hidden files (.DS_Store, ._x.jpg) are not data
        if (e.is_regular_file(fec)) {
            if (imaging::hasImageExtension(e.path())) found.push_back(e.path());
            else notImages.push_back({e.path().string(), notImageReason(e.path()), true});
        } else if (e.is_directory(fec) && !recursive) {
            notImages.push_back({e.path().string(),
                                 "is a folder; not imported because sub-folders are not searched",
                                 true});
        }
    };
    if (recursive) {
        for (fs::recursive_directory_iterator it(
                 p, fs::directory_options::skip_permission_denied, ec),
             end;
             !ec && it != end; it.increment(ec)) {
            if (it->path().filename().string().rfind(".", 0) == 0 && it->is_directory()) {
                it.disable_recursion_pending();
                continue;
            }
            visit(*it);
        }
    } else {
        for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) visit(*it);
    }
    if (ec) issues.push_back({p.string(), "cannot be listed: " + ec.message()});
    std::sort(found.begin(), found.end());
    std::sort(notImages.begin(), notImages.end(),
              [](const ImportIssue& a, const ImportIssue& b) { return a.path < b.path; });
    issues.insert(issues.end(), notImages.begin(), notImages.end());
    // A folder that yields nothing is said so: a folder named "x.jpg" or an empty or wrong
    // folder would otherwise import nothing without a word.
    if (found.empty() && !ec)
        issues.push_back({p.string(), imaging::hasImageExtension(p)
                                          ? "is a folder, not an image file, and holds no images"
                                          : "holds no JPEG, PNG, BMP or TIFF images"});
    out.insert(out.end(), found.begin(), found.end());
}

// Issue reasons are printed after the file name; drop the name where the message repeats it.
std::string withoutPrefix(const std::string& message, const std::string& name)
{
    const std::string prefix = name + ": ";
    return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

} // namespace

std::string labelName(Label label)
{
    switch (label) {
    case Label::Ok: return "ok";
    case Label::Ng: return "ng";
    default: return "unlabeled";
    }
}

std::string splitName(Split split)
{
    switch (split) {
    case Split::Train: return "train";
    case Split::Test: return "test";
    default: return "none";
    }
}

Label labelFromString(const std::string& text)
{
    std::string t = lower(text);
    if (t == "ok" || t == "good") return Label::Ok;
    if (t == "ng" || t == "bad" || t == "defect") return Label::Ng;
    if (t == "unlabeled" || t == "unlabelled" || t == "none" || t == "u") return Label::Unlabeled;
    throw InvalidArgument("Unknown label '" + text + "': use ok, ng or unlabeled.");
}

Split splitFromString(const std::string& text)
{
    std::string t = lower(text);
    if (t == "train") return Split::Train;
    if (t == "test") return Split::Test;
    if (t == "none" || t == "all") return Split::None;
    throw InvalidArgument("Unknown split '" + text + "': use train, test or none.");
}

bool isNearDuplicateGroup(const std::string& group)
{
    return group.rfind(kNearDuplicateGroupPrefix, 0) == 0;
}

bool isSyntheticSource(const std::string& source)
{
    return source == kSourceCg || source == kSourceTransplant;
}

std::string ImageRecord::fileName() const { return fs::path(originalPath).filename().string(); }

std::int64_t Stats::total() const
{
    std::int64_t t = 0;
    for (auto& row : counts)
        for (auto c : row) t += c;
    return t;
}

std::int64_t Stats::byLabel(Label l) const
{
    return counts[int(l)][0] + counts[int(l)][1] + counts[int(l)][2];
}

std::int64_t Stats::bySplit(Split s) const
{
    return counts[0][int(s)] + counts[1][int(s)] + counts[2][int(s)];
}

std::int64_t Stats::syntheticTotal() const
{
    std::int64_t t = 0;
    for (auto& row : synthetic)
        for (auto c : row)
            t += c;
    return t;
}

std::int64_t Stats::syntheticByLabel(Label l) const
{
    return synthetic[int(l)][0] + synthetic[int(l)][1] + synthetic[int(l)][2];
}

struct ProjectStore::Impl {
    fs::path dir;
    Database db;
    int version = 0;
    bool readOnly = false;
    bool swept = false; // stale temporaries removed (once per store, before its first write)

    fs::path relImagePath(const std::string& hash, const std::string& ext) const
    {
        return fs::path("images") / hash.substr(0, 2) / (hash + ext);
    }

    // After image rows are deleted and committed: removes each (hash, ext) file that no row
    // names any more (the same bytes can stand in two rows). Returns how many were removed. A
    // crash before this leaves a file no row names (harmless), never a row without its file.
    int removeUnreferencedFiles(const std::vector<std::pair<std::string, std::string>>& files)
    {
        auto uses = db.prepare("SELECT COUNT(*) FROM images WHERE hash = ? AND ext = ?");
        int removed = 0;
        for (const auto& [hash, ext] : files) {
            uses.reset();
            uses.bind(1, hash).bind(2, ext);
            if (uses.step() && uses.int64(0) > 0) continue;
            std::error_code ec;
            removed += fs::remove(dir / relImagePath(hash, ext), ec);
        }
        return removed;
    }

    std::optional<std::int64_t> idForHash(const std::string& hash)
    {
        auto s = db.prepare("SELECT id FROM images WHERE hash = ?");
        s.bind(1, hash);
        if (s.step()) return s.int64(0);
        return std::nullopt;
    }

    // Inserts the image row (and its label with an audit entry) in one transaction; the
    // image file must already be in place.
    // partnerId: an image without a group that joins `group` with the new one (the first
    // pair of a near-duplicate group), in the same transaction.
    std::int64_t insertImage(const std::string& hash, const std::string& ext,
                             const std::string& originalPath, const std::string& source, int w,
                             int h, std::int64_t capturedAt, const std::string& group, Label label,
                             const std::string& user, const std::string& phash = {},
                             std::int64_t partnerId = 0)
    {
        Transaction tx(db);
        auto s = db.prepare("INSERT INTO images (hash, ext, original_path, source, width, height, "
                            "captured_at, imported_at, grp, phash) VALUES (?,?,?,?,?,?,?,?,?,?)");
        s.bind(1, hash).bind(2, ext).bind(3, originalPath).bind(4, source).bind(5, w).bind(6, h);
        s.bind(7, capturedAt).bind(8, unixMs()).bind(9, group);
        if (phash.empty()) s.bindNull(10);
        else s.bindBlob(10, phash);
        s.run();
        if (partnerId) {
            auto g = db.prepare("UPDATE images SET grp = ? WHERE id = ? AND grp = ''");
            g.bind(1, group).bind(2, partnerId).run();
        }
        std::int64_t id = db.lastInsertId();
        if (label != Label::Unlabeled) writeLabel(id, Label::Unlabeled, label, user);
        tx.commit();
        return id;
    }

    void writeLabel(std::int64_t id, Label oldLabel, Label label, const std::string& user)
    {
        const std::int64_t t = unixMs();
        auto up = db.prepare("INSERT INTO labels (image_id, label, labeled_by, labeled_at) "
                             "VALUES (?,?,?,?) ON CONFLICT(image_id) DO UPDATE SET "
                             "label = excluded.label, labeled_by = excluded.labeled_by, "
                             "labeled_at = excluded.labeled_at");
        up.bind(1, id).bind(2, int(label)).bind(3, user).bind(4, t).run();
        writeAudit("label", "image " + std::to_string(id), labelName(oldLabel), labelName(label),
                   user, id, t);
    }

    // Appends an audit row inside the caller's transaction.
    void writeAudit(const std::string& action, const std::string& subject,
                    const std::string& oldValue, const std::string& newValue,
                    const std::string& user, std::optional<std::int64_t> imageId = {},
                    std::int64_t at = 0)
    {
        auto au = db.prepare("INSERT INTO audit (at, user, action, subject, image_id, old_value, "
                             "new_value) VALUES (?,?,?,?,?,?,?)");
        au.bind(1, at ? at : unixMs()).bind(2, user.empty() ? defaultUser() : user);
        au.bind(3, action).bind(4, subject);
        if (imageId) au.bind(5, *imageId);
        else au.bindNull(5);
        au.bind(6, oldValue).bind(7, newValue).run();
    }

    // Removes the temporaries (".NAME.tmpPID_TID_N", see tempSibling) that a killed writer
    // left in the project folder: only those whose process is gone. Once per store, before
    // its first write of a file.
    int sweepTemporaries()
    {
        if (swept || readOnly) return 0;
        swept = true;
        return removeStaleTemporaries(dir);
    }

    // Writes the encoded bytes under images/ unless an identical file is already there.
    void storeFile(const std::string& hash, const std::string& ext, const std::string& bytes)
    {
        fs::path target = dir / relImagePath(hash, ext);
        std::error_code ec;
        if (fs::exists(target, ec) && fs::file_size(target, ec) == bytes.size()) return;
        fs::create_directories(target.parent_path(), ec);
        if (ec)
            throw IoError("Cannot create " + target.parent_path().string() + ": " + ec.message() +
                          ".");
        writeFileAtomic(target, bytes);
    }
};

std::string ProjectStore::defaultUser()
{
    for (const char* var : {"KIZU_USER", "USER", "LOGNAME"})
        if (const char* v = std::getenv(var); v && *v) return v;
    return "operator";
}

ProjectStore::ProjectStore(std::unique_ptr<Impl> impl) : m(std::move(impl)) {}
ProjectStore::ProjectStore(ProjectStore&&) noexcept = default;
ProjectStore& ProjectStore::operator=(ProjectStore&&) noexcept = default;
ProjectStore::~ProjectStore() = default;

bool ProjectStore::isProject(const fs::path& dir)
{
    std::error_code ec;
    return fs::is_regular_file(dir / kDatabaseName, ec);
}

static void configure(Database& db)
{
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
}

static int userVersion(Database& db)
{
    auto s = db.prepare("PRAGMA user_version");
    s.step();
    return int(s.int64(0));
}

static void migrate(Database& db, int& version)
{
    if (version < 1 || version > ProjectStore::kSchemaVersion) return;
    while (version < ProjectStore::kSchemaVersion) {
        Transaction tx(db);
        if (version == 1) db.exec(schema::kMigrate1to2);
        else if (version == 2) db.exec(schema::kMigrate2to3);
        else if (version == 3)
            db.exec(schema::kMigrate3to4);
        else if (version == 4)
            db.exec(schema::kMigrate4to5);
        else if (version == 5)
            db.exec(schema::kMigrate5to6);
        tx.commit();
        version = userVersion(db);
    }
}

ProjectStore ProjectStore::create(const fs::path& dir)
{
    std::error_code ec;
    if (isProject(dir))
        throw StoreError(dir.string() + " already holds a Kizu project; open it instead.");
    fs::create_directories(dir / "images", ec);
    if (ec)
        throw IoError("Cannot create the project folder " + dir.string() + ": " + ec.message() +
                      ".");
    auto impl = std::make_unique<Impl>();
    impl->dir = fs::absolute(dir).lexically_normal();
    impl->db = Database((dir / kDatabaseName).string(), true);
    configure(impl->db);
    {
        Transaction tx(impl->db);
        impl->db.exec(schema::kVersion1);
        tx.commit();
    }
    impl->version = 1;
    migrate(impl->db, impl->version);
    return ProjectStore(std::move(impl));
}

namespace {
// Checks that dir holds a project database without writing a byte anywhere: the file must
// start like an SQLite database, and a read-only connection must find a Kizu schema version
// and the images table. Returns that read-only connection and the schema version.
std::pair<Database, int> probeProject(const fs::path& dir)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw StoreError(dir.string() + " is not a folder. Create a project with "
                                        "'kizu-cli project init " +
                         dir.string() + "'.");
    if (!ProjectStore::isProject(dir))
        throw StoreError(dir.string() + " is not a Kizu project (no " +
                         ProjectStore::kDatabaseName +
                         "). Create one with 'kizu-cli project init DIR' or choose another folder.");
    const fs::path file = dir / ProjectStore::kDatabaseName;
    const std::string notKizu = dir.string() + ": " + ProjectStore::kDatabaseName +
                                " is not a Kizu project database";
    {
        // SQLite would turn an empty file into a database on the first write: look first.
        char head[16] = {};
        std::ifstream in(file, std::ios::binary);
        if (!in)
            throw StoreError(dir.string() + ": cannot read " + file.string() +
                             " (permission denied?). Check its permissions.");
        in.read(head, sizeof head);
        if (in.gcount() == 0) throw StoreError(notKizu + " (the file is empty); it was left unchanged.");
        if (in.gcount() < 16 || std::memcmp(head, "SQLite format 3", 16) != 0)
            throw StoreError(notKizu + " (not an SQLite file); it was left unchanged.");
    }
    Database db;
    try {
        db = Database(file.string(), Database::Mode::ReadOnly);
        (void)userVersion(db); // the first read is where SQLite really opens the file
    } catch (const StoreError&) {
        // SQLite could not make its -shm/-wal files (a read-only folder, a full disk). With no
        // (or an empty) write-ahead log beside it the file alone holds every committed change (no writer is
        // running): read it as frozen.
        const std::string wal = file.string() + "-wal";
        if (fs::exists(wal, ec) && fs::file_size(wal, ec) != 0) throw;
        db = Database(file.string(), Database::Mode::ReadOnlyFrozen);
    }
    int version = 0;
    try {
        version = userVersion(db);
    } catch (const StoreError& e) {
        throw StoreError(dir.string() + " does not hold a readable Kizu project database: " +
                         e.what());
    }
    if (version > ProjectStore::kSchemaVersion)
        throw StoreError(dir.string() + " was written by a newer Kizu (schema " +
                         std::to_string(version) + ", this program knows " +
                         std::to_string(ProjectStore::kSchemaVersion) + "). Update Kizu to open it.");
    bool hasImages = false;
    {
        auto q = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'images'");
        hasImages = q.step() && q.int64(0) == 1;
    }
    if (version < 1 || !hasImages)
        throw StoreError(notKizu + " (no Kizu schema: another program's database?); it was left "
                                   "unchanged.");
    return {std::move(db), version};
}
} // namespace

ProjectStore ProjectStore::open(const fs::path& dir)
{
    // Nothing is written before the file is known to be a Kizu project.
    { probeProject(dir); }
    std::error_code ec;
    auto impl = std::make_unique<Impl>();
    impl->dir = fs::absolute(dir).lexically_normal();
    impl->db = Database((dir / kDatabaseName).string(), false);
    // The file is a Kizu project (probed above): a failure here is the folder or the disk
    // (read-only, full), which the message says.
    configure(impl->db);
    impl->version = userVersion(impl->db);
    migrate(impl->db, impl->version);
    fs::create_directories(impl->dir / "images", ec);
    return ProjectStore(std::move(impl));
}

ProjectStore ProjectStore::openReadOnly(const fs::path& dir)
{
    auto [db, version] = probeProject(dir);
    // An older schema is migrated first, which needs a writable project.
    if (version < kSchemaVersion) return open(dir);
    auto impl = std::make_unique<Impl>();
    impl->dir = fs::absolute(dir).lexically_normal();
    impl->db = std::move(db);
    impl->version = version;
    impl->readOnly = true;
    return ProjectStore(std::move(impl));
}

bool ProjectStore::isReadOnly() const { return m->readOnly; }

int removeStaleTemporaries(const fs::path& dir)
{
    int removed = 0;
    std::error_code ec;
    // The project folder, images/ and its two-letter folders, and the other folders Kizu
    // writes into: three levels are enough.
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        if (it.depth() >= 2) it.disable_recursion_pending();
        const auto& entry = *it;
        std::error_code fec;
        if (!entry.is_regular_file(fec)) continue;
        const long pid = temporaryPid(entry.path().filename().string());
        if (pid <= 0 || processAlive(pid)) continue;
        if (fs::remove(entry.path(), fec)) ++removed;
    }
    return removed;
}

const fs::path& ProjectStore::dir() const { return m->dir; }
int ProjectStore::schemaVersion() const { return m->version; }

fs::path ProjectStore::imagePath(const ImageRecord& image) const
{
    return m->dir / m->relImagePath(image.hash, image.ext);
}

ImportReport ProjectStore::importPaths(const std::vector<fs::path>& paths,
                                       const ImportOptions& options, const ProgressFn& progress,
                                       const CancelToken* cancel)
{
    ImportReport report;
    m->sweepTemporaries();
    std::vector<fs::path> files;
    for (const auto& p : paths) collectFiles(p, options.recursive, files, report.issues);
    report.skipped = int(report.issues.size());
    for (const auto& issue : report.issues)
        report.notImages += issue.notImage ? 1 : 0;
    std::optional<std::regex> groupRe;
    if (!options.groupRegex.empty()) {
        try {
            groupRe.emplace(options.groupRegex);
        } catch (const std::regex_error& e) {
            throw InvalidArgument("The group pattern '" + options.groupRegex +
                                  "' is not a valid regular expression: " + e.what());
        }
    }
    const std::string user = options.user.empty() ? defaultUser() : options.user;
    // The stored perceptual hashes, read once: comparing a new image with 100,000 of them is
    // about a millisecond, reading them per image would be far more.
    struct Hashed {
        std::int64_t id;
        imaging::PerceptualHash phash;
        std::string group;
        std::string sha;
    };
    std::vector<Hashed> hashed;
    if (options.groupNearDuplicates && options.group.empty()) {
        auto q = m->db.prepare("SELECT id, phash, grp, hash FROM images WHERE phash IS NOT NULL");
        while (q.step())
            if (auto h = imaging::PerceptualHash::fromBytes(q.blob(1)))
                hashed.push_back({q.int64(0), *h, q.text(2), q.text(3)});
    }
    const std::int64_t total = std::int64_t(files.size());
    std::int64_t done = 0;
    for (const auto& file : files) {
        if (isCancelled(cancel)) {
            report.cancelled = true;
            break;
        }
        const std::string name = file.string();
        try {
            std::error_code ec;
            auto size = fs::file_size(file, ec);
            if (ec) throw IoError(name + ": cannot read: " + ec.message() + ".");
            std::string bytes = readFile(file);
            if (bytes.size() != size) throw IoError(name + ": the file changed while reading.");
            const std::string hash = sha256Hex(bytes);
            if (auto id = m->idForHash(hash)) {
                ++report.duplicates;
                report.ids.push_back(*id);
            } else {
                imaging::ImageInfo info;
                const cv::Mat pixels = imaging::decode(bytes, name, options.maxPixels, &info);
                const std::string ext = imaging::extensionFor(info.format);
                const auto phash = imaging::perceptualHash(pixels);
                std::string group = options.group;
                if (group.empty() && groupRe) {
                    std::smatch match;
                    const std::string fname = file.filename().string();
                    if (std::regex_search(fname, match, *groupRe))
                        group = match.size() > 1 ? match[1].str() : match[0].str();
                }
                // An explicit group wins; else the nearest near-duplicate's group, or a new
                // group for the pair when that image has none yet.
                std::int64_t partner = 0;
                bool byHash = false;
                if (group.empty() && options.groupNearDuplicates) {
                    const Hashed* nearest = nullptr;
                    int best = imaging::kNearDuplicateBits + 1;
                    for (const auto& h : hashed)
                        if (int d = imaging::hammingDistance(phash, h.phash); d < best) {
                            best = d;
                            nearest = &h;
                        }
                    if (nearest) {
                        byHash = true;
                        group = nearest->group;
                        if (group.empty()) {
                            group = kNearDuplicateGroupPrefix + nearest->sha.substr(0, 10);
                            partner = nearest->id;
                        }
                    }
                }
                m->storeFile(hash, ext, bytes);
                std::int64_t newId =
                    m->insertImage(hash, ext, fs::absolute(file).lexically_normal().string(),
                                   options.source, info.width, info.height, mtimeMs(file), group,
                                   options.label, user, phash.toBytes(), partner);
                if (byHash) ++report.nearDuplicates;
                for (auto& h : hashed)
                    if (h.id == partner) h.group = group;
                if (options.groupNearDuplicates && options.group.empty())
                    hashed.push_back({newId, phash, group, hash});
                ++report.imported;
                report.ids.push_back(newId);
            }
        } catch (const FormatError& e) {
            ++report.skipped;
            report.issues.push_back({name, withoutPrefix(e.what(), name)});
        } catch (const IoError& e) {
            ++report.skipped;
            report.issues.push_back({name, withoutPrefix(e.what(), name)});
        }
        ++done;
        kizu::report(progress, {done, total, "import", name});
    }
    return report;
}

std::int64_t ProjectStore::addEncodedImage(const std::string& bytes, const std::string& ext,
                                           const std::string& source, const std::string& group,
                                           Label label, const std::string& user)
{
    const std::string hash = sha256Hex(bytes);
    m->sweepTemporaries();
    if (auto id = m->idForHash(hash)) return *id;
    imaging::ImageInfo info;
    const cv::Mat pixels =
        imaging::decode(bytes, source + " image", imaging::kDefaultMaxPixels, &info);
    const std::string realExt = imaging::extensionFor(info.format);
    (void)ext;
    m->storeFile(hash, realExt, bytes);
    return m->insertImage(hash, realExt, source + ":" + hash.substr(0, 12) + realExt, source,
                          info.width, info.height, unixMs(), group, label,
                          user.empty() ? defaultUser() : user,
                          imaging::perceptualHash(pixels).toBytes());
}

std::optional<ImageRecord> ProjectStore::image(std::int64_t id) const
{
    auto s = m->db.prepare(std::string(kSelectImage) + "WHERE i.id = ?");
    s.bind(1, id);
    if (s.step()) return readImage(s);
    return std::nullopt;
}

ImageRecord ProjectStore::findImage(const std::string& ref) const
{
    if (!ref.empty() && std::all_of(ref.begin(), ref.end(), ::isdigit) && ref.size() < 12) {
        if (auto r = image(std::stoll(ref))) return *r;
    }
    std::vector<ImageRecord> hits;
    auto collect = [&](const std::string& where, const std::string& arg) {
        auto s = m->db.prepare(std::string(kSelectImage) + where + " LIMIT 3");
        s.bind(1, arg);
        while (s.step()) hits.push_back(readImage(s));
    };
    const bool hexLike = ref.size() >= 8 && ref.size() <= 64 &&
                         std::all_of(ref.begin(), ref.end(), ::isxdigit);
    if (hexLike) collect("WHERE i.hash LIKE ? || '%'", lower(ref));
    if (hits.empty()) {
        std::error_code ec;
        fs::path abs = fs::absolute(ref, ec).lexically_normal();
        collect("WHERE i.original_path = ?", abs.string());
    }
    if (hits.empty()) collect("WHERE i.original_path LIKE '%/' || ?", fs::path(ref).filename().string());
    if (hits.empty())
        throw InvalidArgument("No image in the project matches '" + ref +
                              "'. Give an id, a hash prefix, a path or a file name "
                              "('kizu-cli list' shows them).");
    if (hits.size() > 1)
        throw InvalidArgument("'" + ref + "' matches more than one image; give its id or hash.");
    return hits.front();
}

static std::string orderFor(const ImageFilter& filter)
{
    std::string order;
    switch (filter.sort) {
    case ImageFilter::Sort::Name: order = "i.original_path"; break;
    case ImageFilter::Sort::CapturedAt: order = "i.captured_at"; break;
    case ImageFilter::Sort::ImportedAt: order = "i.imported_at"; break;
    default: order = "i.id"; break;
    }
    return " ORDER BY " + order + (filter.descending ? " DESC" : "") + ", i.id LIMIT ? OFFSET ?";
}

std::vector<ImageRecord> ProjectStore::images(const ImageFilter& filter) const
{
    WhereClause w = whereFor(filter);
    std::string sql = std::string(kSelectImage) + w.sql + orderFor(filter);
    auto s = m->db.prepare(sql);
    bindWhere(s, w);
    s.bind(int(w.params.size() + 1), filter.limit).bind(int(w.params.size() + 2), filter.offset);
    std::vector<ImageRecord> out;
    while (s.step()) out.push_back(readImage(s));
    return out;
}

std::vector<ImageBrief> ProjectStore::imageBriefs(const ImageFilter& filter) const
{
    WhereClause w = whereFor(filter);
    auto s = m->db.prepare("SELECT i.id, COALESCE(l.label, 0), i.split FROM images i "
                           "LEFT JOIN labels l ON l.image_id = i.id " +
                           w.sql + orderFor(filter));
    bindWhere(s, w);
    s.bind(int(w.params.size() + 1), filter.limit).bind(int(w.params.size() + 2), filter.offset);
    std::vector<ImageBrief> out;
    while (s.step()) out.push_back({s.int64(0), Label(s.int64(1)), Split(s.int64(2))});
    return out;
}

std::vector<ImageRecord> ProjectStore::imagesByIds(const std::vector<std::int64_t>& ids) const
{
    // One statement per chunk of ids, kept under SQLite's limit on bound parameters.
    constexpr std::size_t kChunk = 500;
    std::map<std::int64_t, ImageRecord> found;
    for (std::size_t begin = 0; begin < ids.size(); begin += kChunk) {
        const std::size_t end = std::min(ids.size(), begin + kChunk);
        std::string sql = std::string(kSelectImage) + "WHERE i.id IN (";
        for (std::size_t k = begin; k < end; ++k) sql += k == begin ? "?" : ",?";
        sql += ")";
        auto s = m->db.prepare(sql);
        for (std::size_t k = begin; k < end; ++k) s.bind(int(k - begin + 1), ids[k]);
        while (s.step()) {
            ImageRecord r = readImage(s);
            found.emplace(r.id, std::move(r));
        }
    }
    std::vector<ImageRecord> out;
    out.reserve(found.size());
    for (auto id : ids)
        if (auto it = found.find(id); it != found.end()) out.push_back(it->second);
    return out;
}

std::int64_t ProjectStore::countImages(const ImageFilter& filter) const
{
    WhereClause w = whereFor(filter);
    auto s = m->db.prepare("SELECT COUNT(*) FROM images i LEFT JOIN labels l ON l.image_id = i.id " +
                           w.sql);
    bindWhere(s, w);
    s.step();
    return s.int64(0);
}

static std::vector<std::string> distinctColumn(const Database& db, const std::string& col)
{
    auto s = db.prepare("SELECT DISTINCT " + col + " FROM images WHERE " + col + " != '' ORDER BY 1");
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
}

std::vector<std::string> ProjectStore::groups() const { return distinctColumn(m->db, "grp"); }
std::vector<std::string> ProjectStore::sources() const { return distinctColumn(m->db, "source"); }

Stats ProjectStore::stats() const
{
    Stats st;
    auto s = m->db.prepare("SELECT COALESCE(l.label, 0), i.split, i.source IN (?, ?), COUNT(*) "
                           "FROM images i LEFT JOIN labels l ON l.image_id = i.id "
                           "GROUP BY 1, 2, 3");
    s.bind(1, std::string(kSourceCg)).bind(2, std::string(kSourceTransplant));
    while (s.step()) {
        auto l = s.int64(0), sp = s.int64(1);
        if (l < 0 || l >= 3 || sp < 0 || sp >= 3) continue;
        st.counts[l][sp] += s.int64(3);
        if (s.int64(2)) st.synthetic[l][sp] += s.int64(3);
    }
    return st;
}

int ProjectStore::setLabel(std::int64_t imageId, Label label, const std::string& user)
{
    return setLabels({imageId}, label, user);
}

int ProjectStore::setLabels(const std::vector<std::int64_t>& imageIds, Label label,
                            const std::string& user)
{
    const std::string who = user.empty() ? defaultUser() : user;
    Transaction tx(m->db);
    auto cur = m->db.prepare("SELECT COALESCE(l.label, 0) FROM images i LEFT JOIN labels l "
                             "ON l.image_id = i.id WHERE i.id = ?");
    int changed = 0;
    for (auto id : imageIds) {
        cur.reset();
        cur.bind(1, id);
        if (!cur.step())
            throw InvalidArgument("No image with id " + std::to_string(id) + " in the project.");
        Label old = Label(cur.int64(0));
        cur.reset();
        if (old == label) continue;
        m->writeLabel(id, old, label, who);
        ++changed;
    }
    tx.commit();
    return changed;
}

int ProjectStore::labelFromFolders(const std::string& user)
{
    const std::string who = user.empty() ? defaultUser() : user;
    auto all = images();
    Transaction tx(m->db);
    int changed = 0;
    for (const auto& img : all) {
        std::optional<Label> found;
        fs::path p = fs::path(img.originalPath).parent_path();
        for (; !p.empty() && p != p.root_path(); p = p.parent_path()) {
            std::string name = lower(p.filename().string());
            if (name == "ok") found = Label::Ok;
            else if (name == "ng") found = Label::Ng;
            if (found) break;
        }
        if (!found || *found == img.label) continue;
        m->writeLabel(img.id, img.label, *found, who);
        ++changed;
    }
    tx.commit();
    return changed;
}

std::vector<AuditEntry> ProjectStore::auditLog(std::optional<std::int64_t> imageId) const
{
    AuditFilter f;
    f.action = "label";
    f.imageId = imageId;
    std::vector<AuditEntry> out;
    for (const auto& r : audit(f))
        out.push_back({r.id, r.imageId.value_or(0), labelFromString(r.oldValue),
                       labelFromString(r.newValue), r.user, r.at});
    return out;
}

std::vector<AuditRecord> ProjectStore::audit(const AuditFilter& filter) const
{
    std::string sql = "SELECT id, at, user, action, subject, image_id, old_value, new_value "
                      "FROM audit WHERE 1";
    if (filter.since) sql += " AND at >= ?1";
    if (!filter.user.empty()) sql += " AND user = ?2";
    if (!filter.action.empty()) sql += " AND action = ?3";
    if (filter.imageId) sql += " AND image_id = ?4";
    sql += " ORDER BY id";
    if (filter.limit >= 0) sql += " LIMIT ?5";
    auto s = m->db.prepare(sql);
    if (filter.since) s.bind(1, *filter.since);
    if (!filter.user.empty()) s.bind(2, filter.user);
    if (!filter.action.empty()) s.bind(3, filter.action);
    if (filter.imageId) s.bind(4, *filter.imageId);
    if (filter.limit >= 0) s.bind(5, filter.limit);
    std::vector<AuditRecord> out;
    while (s.step()) {
        AuditRecord r;
        r.id = s.int64(0);
        r.at = s.int64(1);
        r.user = s.text(2);
        r.action = s.text(3);
        r.subject = s.text(4);
        if (!s.isNull(5)) r.imageId = s.int64(5);
        r.oldValue = s.text(6);
        r.newValue = s.text(7);
        out.push_back(std::move(r));
    }
    return out;
}

void ProjectStore::appendAudit(const std::string& action, const std::string& subject,
                               const std::string& oldValue, const std::string& newValue,
                               const std::string& user, std::optional<std::int64_t> imageId)
{
    Transaction tx(m->db);
    m->writeAudit(action, subject, oldValue, newValue, user, imageId);
    tx.commit();
}

DeleteReport ProjectStore::deleteImages(const std::vector<std::int64_t>& ids, bool force,
                                        const std::string& user)
{
    DeleteReport rep;
    const auto records = imagesByIds(ids);
    std::set<std::int64_t> found;
    for (const auto& r : records) found.insert(r.id);
    for (auto id : ids)
        if (!found.count(id))
            throw InvalidArgument("No image with id " + std::to_string(id) +
                                  " in the project; nothing was deleted.");
    if (!force && testSplitLocked()) {
        std::int64_t inTest = 0;
        for (const auto& r : records) inTest += r.split == Split::Test;
        if (inTest)
            throw InvalidArgument(
                std::to_string(inTest) + (inTest == 1 ? " image is" : " images are") +
                " in the locked test split, which measures every model: nothing was deleted. "
                "Unlock the test split first, or force the deletion (kizu-cli delete --force).");
    }
    {
        Transaction tx(m->db);
        auto unlink = m->db.prepare("UPDATE inspection_results SET image_id = NULL WHERE image_id = ?");
        auto del = m->db.prepare("DELETE FROM images WHERE id = ?");
        for (const auto& r : records) {
            if (!found.erase(r.id)) continue; // an id given twice
            m->writeAudit("delete", "image " + std::to_string(r.id),
                          r.fileName() + " (sha256 " + r.hash.substr(0, 12) + ", " +
                              labelName(r.label) + ", " + splitName(r.split) + ")",
                          "", user, r.id);
            unlink.reset();
            unlink.bind(1, r.id).run();
            del.reset();
            del.bind(1, r.id).run();
            ++rep.deleted;
        }
        tx.commit();
    }
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& r : records)
        files.emplace_back(r.hash, r.ext);
    rep.filesRemoved = m->removeUnreferencedFiles(files);
    return rep;
}

namespace {
// The split assignSplit makes, computed without writing so that it can be previewed.
std::vector<std::pair<std::int64_t, Split>> planSplit(const std::vector<ImageRecord>& all,
                                                      bool locked, double testFraction,
                                                      std::uint64_t seed, SplitReport& rep)
{
    if (!(testFraction >= 0.0 && testFraction <= 1.0))
        throw InvalidArgument("The test fraction must lie between 0 and 1, got " +
                              std::to_string(testFraction) + ".");
    rep.testFraction = testFraction;
    // A group is a set of near-duplicates; an image without a group is a group of its own.
    struct Group {
        std::string key;
        std::vector<std::int64_t> ids;
        bool hasNg = false;
        bool synthetic = false;   // holds a synthetic image: train only
        bool pinnedTest = false;  // locked: already holds (real) test images
        bool pinnedTrain = false; // locked: already holds train images
    };
    std::map<std::string, Group> groups;
    std::map<std::int64_t, Split> before;
    for (const auto& img : all) {
        std::string key = img.group.empty() ? "#" + std::to_string(img.id) : "g:" + img.group;
        Group& g = groups[key];
        g.key = key;
        g.ids.push_back(img.id);
        g.hasNg |= img.label == Label::Ng;
        const bool synthetic = isSyntheticSource(img.source);
        g.synthetic |= synthetic;
        if (locked && img.split == Split::Test && !synthetic) g.pinnedTest = true;
        if (locked && img.split == Split::Train) g.pinnedTrain = true;
        before[img.id] = img.split;
        if (img.group.empty()) ++rep.ungroupedImages;
        else if (g.ids.size() == 1 && isNearDuplicateGroup(img.group)) ++rep.nearDuplicateGroups;
    }
    // Stratify: NG-bearing groups and the others are each split at the requested fraction.
    std::vector<Group*> strata[2];
    std::int64_t testCount[2] = {}, totalCount[2] = {};
    std::vector<Group*> toTest, toTrain;
    std::set<std::int64_t> syntheticIds;
    for (const auto& img : all)
        if (isSyntheticSource(img.source)) syntheticIds.insert(img.id);
    for (auto& [key, g] : groups) {
        int k = g.hasNg ? 1 : 0;
        // A synthetic group never measures a model, so it neither goes to test nor counts
        // towards the fraction (of real images) that does.
        if (g.synthetic && !g.pinnedTest) {
            toTrain.push_back(&g);
            continue;
        }
        totalCount[k] += std::int64_t(g.ids.size());
        if (g.pinnedTest) {
            toTest.push_back(&g);
            testCount[k] += std::int64_t(g.ids.size());
        } else if (g.pinnedTrain) {
            toTrain.push_back(&g);
        } else {
            strata[k].push_back(&g);
        }
    }
    SplitMix rng{seed};
    for (int k = 0; k < 2; ++k) {
        rng.shuffle(strata[k]);
        const double target = testFraction * double(totalCount[k]);
        for (Group* g : strata[k]) {
            const double n = double(g->ids.size());
            if (!locked && std::abs(double(testCount[k]) + n - target) <
                               std::abs(double(testCount[k]) - target)) {
                toTest.push_back(g);
                testCount[k] += std::int64_t(g->ids.size());
            } else {
                toTrain.push_back(g);
            }
        }
    }
    std::vector<std::pair<std::int64_t, Split>> plan;
    auto place = [&](const std::vector<Group*>& gs, Split sp, std::int64_t& count) {
        for (Group* g : gs) {
            ++count;
            for (auto id : g->ids) {
                // In a locked test group, a synthetic image still leaves the test split.
                const bool synthetic = syntheticIds.count(id) > 0;
                const Split to = synthetic ? Split::Train : sp;
                plan.emplace_back(id, to);
                if (to == Split::Train)
                    ++rep.trainImages;
                else
                    ++rep.testImages;
                if (synthetic) ++rep.syntheticImages;
                if (before[id] != Split::None && before[id] != to) ++rep.changedImages;
            }
        }
    };
    place(toTest, Split::Test, rep.testGroups);
    place(toTrain, Split::Train, rep.trainGroups);
    return plan;
}
} // namespace

SplitReport ProjectStore::previewSplit(double testFraction, std::uint64_t seed) const
{
    SplitReport rep;
    planSplit(images(), testSplitLocked(), testFraction, seed, rep);
    return rep;
}

SplitReport ProjectStore::assignSplit(double testFraction, std::uint64_t seed,
                                      const std::string& user)
{
    SplitReport rep;
    const auto all = images();
    std::map<std::int64_t, Split> before;
    for (const auto& img : all) before[img.id] = img.split;
    const auto plan = planSplit(all, testSplitLocked(), testFraction, seed, rep);
    Transaction tx(m->db);
    auto up = m->db.prepare("UPDATE images SET split = ? WHERE id = ?");
    const std::int64_t t = unixMs();
    for (const auto& [id, sp] : plan) {
        up.reset();
        up.bind(1, int(sp)).bind(2, id).run();
        if (const Split old = before[id]; old != sp)
            m->writeAudit("split", "image " + std::to_string(id), splitName(old), splitName(sp),
                          user, id, t);
    }
    tx.commit();
    return rep;
}

void ProjectStore::setSplit(const std::vector<std::int64_t>& imageIds, Split split,
                            const std::string& user)
{
    Transaction tx(m->db);
    if (split == Split::Test) {
        auto chk = m->db.prepare("SELECT source, original_path FROM images WHERE id = ?");
        std::int64_t synthetic = 0;
        std::string first;
        for (auto id : imageIds) {
            chk.reset();
            chk.bind(1, id);
            if (chk.step() && isSyntheticSource(chk.text(0))) {
                if (!synthetic++)
                    first =
                        fs::path(chk.text(1)).filename().string() + " (source " + chk.text(0) + ")";
            }
        }
        if (synthetic)
            throw InvalidArgument(
                std::to_string(synthetic) + (synthetic == 1 ? " image is" : " images are") +
                " synthetic, e.g. " + first +
                ": synthetic images (CG renders, transplanted defects) are never put in the test "
                "split, which measures models on real photos only. Leave them in train.");
    }
    if (testSplitLocked()) {
        auto chk = m->db.prepare("SELECT split FROM images WHERE id = ?");
        for (auto id : imageIds) {
            chk.reset();
            chk.bind(1, id);
            if (chk.step() && Split(chk.int64(0)) == Split::Test && split != Split::Test)
                throw InvalidArgument("The test split is locked: unlock it before moving test "
                                      "images out of it.");
        }
    }
    auto cur = m->db.prepare("SELECT split FROM images WHERE id = ?");
    auto up = m->db.prepare("UPDATE images SET split = ? WHERE id = ?");
    const std::int64_t t = unixMs();
    for (auto id : imageIds) {
        cur.reset();
        cur.bind(1, id);
        if (!cur.step()) continue;
        const Split old = Split(cur.int64(0));
        cur.reset();
        if (old == split) continue;
        up.reset();
        up.bind(1, int(split)).bind(2, id).run();
        m->writeAudit("split", "image " + std::to_string(id), splitName(old), splitName(split),
                      user, id, t);
    }
    tx.commit();
}

void ProjectStore::setTestSplitLocked(bool locked, const std::string& user)
{
    setMeta("test_split_locked", locked ? "1" : "0", user);
}

bool ProjectStore::testSplitLocked() const { return meta("test_split_locked").value_or("0") == "1"; }

void ProjectStore::setGroup(const std::vector<std::int64_t>& imageIds, const std::string& group)
{
    if (group.empty()) throw InvalidArgument("A group needs a name.");
    Transaction tx(m->db);
    auto up = m->db.prepare("UPDATE images SET grp = ? WHERE id = ?");
    for (auto id : imageIds) {
        up.reset();
        up.bind(1, group).bind(2, id).run();
    }
    tx.commit();
}

std::int64_t ProjectStore::exportSplit(Split split, const fs::path& outDir,
                                       const ProgressFn& progress, const CancelToken* cancel)
{
    ImageFilter f;
    if (split != Split::None) f.split = split;
    auto all = images(f);
    std::erase_if(all, [](const ImageRecord& r) { return r.label == Label::Unlabeled; });
    std::error_code ec;
    for (const char* sub : {"ok", "ng"}) {
        fs::create_directories(outDir / sub, ec);
        if (ec)
            throw IoError("Cannot create " + (outDir / sub).string() + ": " + ec.message() + ".");
    }
    std::set<std::string> used;
    std::int64_t written = 0;
    for (const auto& img : all) {
        if (isCancelled(cancel)) break;
        fs::path name = fs::path(img.fileName());
        std::string stem = name.stem().string();
        std::string file = stem + img.ext;
        const std::string sub = img.label == Label::Ok ? "ok" : "ng";
        if (!used.insert(sub + "/" + file).second) {
            file = stem + "_" + img.hash.substr(0, 8) + img.ext;
            used.insert(sub + "/" + file);
        }
        copyFileAtomic(imagePath(img), outDir / sub / file);
        ++written;
        report(progress, {written, std::int64_t(all.size()), "export", file});
    }
    return written;
}

void ProjectStore::recordInspections(const std::vector<InspectionRecord>& records)
{
    if (records.empty()) return;
    Transaction tx(m->db);
    auto s = m->db.prepare("INSERT INTO inspection_results (at, source, verdict, score, model_sha, "
                           "image_id, latency_ms, frame, message, part_id, camera_ts, camera_frame, "
                           "threshold, method) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const auto& r : records) {
        s.reset();
        s.bind(1, r.at ? r.at : unixMs()).bind(2, r.source).bind(3, int(r.state)).bind(4, r.score);
        s.bind(5, r.modelSha);
        if (r.imageId) s.bind(6, *r.imageId);
        else s.bindNull(6);
        s.bind(7, r.latencyMs);
        if (r.frame)
            s.bind(8, *r.frame);
        else
            s.bindNull(8);
        s.bind(9, r.message).bind(10, r.partId);
        // SQLite integers are signed: a camera's 64-bit counter keeps its bits.
        if (r.cameraTimestampNs) s.bind(11, std::int64_t(*r.cameraTimestampNs));
        else s.bindNull(11);
        if (r.cameraFrameId) s.bind(12, std::int64_t(*r.cameraFrameId));
        else s.bindNull(12);
        s.bind(13, r.threshold).bind(14, r.method).run();
    }
    tx.commit();
}

std::vector<InspectionRecord> ProjectStore::inspections(std::int64_t limit) const
{
    InspectionFilter f;
    f.limit = limit;
    return inspections(f);
}

std::vector<InspectionRecord> ProjectStore::inspections(const InspectionFilter& f) const
{
    std::string sql = "SELECT id, at, source, verdict, score, model_sha, image_id, "
                      "COALESCE(latency_ms, 0), frame, message, part_id, camera_ts, camera_frame, "
                      "COALESCE(threshold, 0), method FROM inspection_results WHERE 1";
    if (f.since) sql += " AND at >= ?";
    if (f.until) sql += " AND at < ?";
    if (f.state) sql += " AND verdict = ?";
    if (!f.modelSha.empty()) sql += " AND substr(model_sha, 1, ?) = ?";
    if (!f.partId.empty()) sql += " AND part_id = ?";
    sql += f.oldestFirst ? " ORDER BY id ASC LIMIT ?" : " ORDER BY id DESC LIMIT ?";
    auto s = m->db.prepare(sql);
    int k = 1;
    if (f.since) s.bind(k++, *f.since);
    if (f.until) s.bind(k++, *f.until);
    if (f.state) s.bind(k++, int(*f.state));
    if (!f.modelSha.empty()) {
        s.bind(k, std::int64_t(f.modelSha.size())).bind(k + 1, f.modelSha);
        k += 2;
    }
    if (!f.partId.empty()) s.bind(k++, f.partId);
    s.bind(k, f.limit);
    std::vector<InspectionRecord> out;
    while (s.step()) {
        InspectionRecord r;
        r.id = s.int64(0);
        r.at = s.int64(1);
        r.source = s.text(2);
        const auto v = s.int64(3);
        // A value this version does not know reads as a fault: never as OK.
        r.state =
            v >= 0 && v <= int(inspect::State::Dropped) ? inspect::State(v) : inspect::State::Fault;
        r.score = s.real(4);
        r.modelSha = s.text(5);
        if (!s.isNull(6)) r.imageId = s.int64(6);
        r.latencyMs = s.real(7);
        if (!s.isNull(8)) r.frame = s.int64(8);
        r.message = s.text(9);
        r.partId = s.text(10);
        if (!s.isNull(11)) r.cameraTimestampNs = std::uint64_t(s.int64(11));
        if (!s.isNull(12)) r.cameraFrameId = std::uint64_t(s.int64(12));
        r.threshold = s.real(13);
        r.method = s.text(14);
        out.push_back(std::move(r));
    }
    return out;
}

std::int64_t ProjectStore::maxNumericPartId() const
{
    auto s = m->db.prepare("SELECT COALESCE(MAX(CAST(part_id AS INTEGER)), 0) FROM "
                           "inspection_results WHERE part_id != '' AND length(part_id) <= 18 "
                           "AND part_id NOT GLOB '*[^0-9]*'");
    s.step();
    return s.int64(0);
}

std::int64_t ProjectStore::inspectionCount() const
{
    auto s = m->db.prepare("SELECT COUNT(*) FROM inspection_results");
    s.step();
    return s.int64(0);
}

namespace {
// What makes an image a removable kept frame: of the source, in no split, never labeled. A
// label, even one set back to unlabeled, leaves a labels row (each audit entry of a label comes
// with one), so "no labels row" is "never labeled" without reading the audit log.
constexpr const char* kRemovableFrame =
    "i.source = ? AND i.split = 0 AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id)";

std::int64_t fileBytes(const fs::path& p)
{
    std::error_code ec;
    const auto n = fs::file_size(p, ec);
    return ec ? 0 : std::int64_t(n);
}
} // namespace

std::vector<KeptFrame> ProjectStore::removableFrames(const std::string& source) const
{
    auto s = m->db.prepare(std::string("SELECT i.id, i.imported_at, i.hash, i.ext FROM images i "
                                       "WHERE ") +
                           kRemovableFrame + " ORDER BY i.imported_at, i.id");
    s.bind(1, source);
    std::vector<KeptFrame> out;
    while (s.step()) {
        KeptFrame f;
        f.id = s.int64(0);
        f.keptAt = s.int64(1);
        f.bytes = fileBytes(m->dir / m->relImagePath(s.text(2), s.text(3)));
        out.push_back(f);
    }
    return out;
}

std::vector<KeptFrame> ProjectStore::removeKeptFrames(const std::vector<std::int64_t>& ids,
                                                      const std::string& source,
                                                      const std::string& note)
{
    std::vector<KeptFrame> removed;
    std::vector<std::pair<std::string, std::string>> files; // hash, ext
    {
        Transaction tx(m->db);
        auto find = m->db.prepare(std::string("SELECT i.hash, i.ext, i.imported_at FROM images i "
                                              "WHERE i.id = ? AND ") +
                                  kRemovableFrame);
        auto mark = m->db.prepare(
            "UPDATE inspection_results SET image_id = NULL, message = CASE WHEN message = '' "
            "THEN ? ELSE message || '; ' || ? END WHERE image_id = ?");
        auto drop = m->db.prepare("DELETE FROM images WHERE id = ?");
        for (const std::int64_t id : ids) {
            find.reset();
            find.bind(1, id).bind(2, source);
            if (!find.step()) continue;
            const fs::path file = m->dir / m->relImagePath(find.text(0), find.text(1));
            KeptFrame f{id, find.int64(2), fileBytes(file)};
            const std::string text = "frame " + find.text(0) + " " + note;
            mark.reset();
            mark.bind(1, text).bind(2, text).bind(3, id).run();
            // Deletions are audited whoever makes them (docs/station.md); retention is the user.
            m->writeAudit("delete", "image " + std::to_string(id),
                          file.filename().string() + " (sha256 " + find.text(0).substr(0, 12) +
                              ", kept NG frame, " + note + ")",
                          "", "retention", id);
            drop.reset();
            drop.bind(1, id).run();
            removed.push_back(f);
            files.emplace_back(find.text(0), find.text(1));
        }
        tx.commit();
    }
    m->removeUnreferencedFiles(files);
    return removed;
}

std::int64_t ProjectStore::addModel(const ModelRecord& r)
{
    if (r.file.empty()) throw InvalidArgument{"a model record needs its file"};
    Transaction tx(m->db);
    auto s = m->db.prepare("INSERT INTO models (name, file, sha256, arch, created_at, config, "
                           "metrics) VALUES (?,?,?,?,?,?,?)");
    s.bind(1, r.name.empty() ? std::filesystem::path(r.file).stem().string() : r.name)
        .bind(2, r.file).bind(3, r.sha256).bind(4, r.arch)
        .bind(5, r.createdAt ? r.createdAt : unixMs())
        .bind(6, r.config.empty() ? std::string("{}") : r.config)
        .bind(7, r.metrics.empty() ? std::string("{}") : r.metrics).run();
    const auto id = m->db.lastInsertId();
    tx.commit();
    return id;
}

namespace {
ModelRecord readModel(Statement& s)
{
    ModelRecord r;
    r.id = s.int64(0);
    r.name = s.text(1);
    r.file = s.text(2);
    r.sha256 = s.text(3);
    r.arch = s.text(4);
    r.createdAt = s.int64(5);
    r.config = s.text(6);
    r.metrics = s.text(7);
    return r;
}
constexpr const char* kModelColumns =
    "SELECT id, name, file, sha256, arch, created_at, config, metrics FROM models ";
} // namespace

std::vector<ModelRecord> ProjectStore::models() const
{
    auto s = m->db.prepare(std::string(kModelColumns) + "ORDER BY created_at DESC, id DESC");
    std::vector<ModelRecord> out;
    while (s.step()) out.push_back(readModel(s));
    return out;
}

std::optional<ModelRecord> ProjectStore::model(std::int64_t id) const
{
    auto s = m->db.prepare(std::string(kModelColumns) + "WHERE id = ?");
    s.bind(1, id);
    if (s.step()) return readModel(s);
    return std::nullopt;
}

void ProjectStore::renameModel(std::int64_t id, const std::string& name)
{
    if (name.empty()) throw InvalidArgument{"a model's name cannot be empty"};
    Transaction tx(m->db);
    auto s = m->db.prepare("UPDATE models SET name = ? WHERE id = ?");
    s.bind(1, name).bind(2, id).run();
    if (m->db.changes() == 0) throw InvalidArgument{"no model with id " + std::to_string(id)};
    tx.commit();
}

void ProjectStore::setModelMetrics(std::int64_t id, const std::string& metricsJson)
{
    Transaction tx(m->db);
    auto s = m->db.prepare("UPDATE models SET metrics = ? WHERE id = ?");
    s.bind(1, metricsJson).bind(2, id).run();
    if (m->db.changes() == 0) throw InvalidArgument{"no model with id " + std::to_string(id)};
    tx.commit();
}

void ProjectStore::deleteModel(std::int64_t id, const std::string& user)
{
    const auto rec = model(id);
    Transaction tx(m->db);
    if (rec)
        m->writeAudit("model-delete", "model " + std::to_string(id),
                      rec->name + " (" + rec->file + ", sha256 " + rec->sha256.substr(0, 12) + ")",
                      "", user);
    auto clear = m->db.prepare("UPDATE inspection_results SET model_id = NULL WHERE model_id = ?");
    clear.bind(1, id).run();
    auto s = m->db.prepare("DELETE FROM models WHERE id = ?");
    s.bind(1, id).run();
    if (m->db.changes() == 0) throw InvalidArgument{"no model with id " + std::to_string(id)};
    tx.commit();
}

std::filesystem::path ProjectStore::modelPath(const ModelRecord& record) const
{
    std::filesystem::path p(record.file);
    return p.is_absolute() ? p : dir() / p;
}

std::int64_t ProjectStore::recordCgBatch(std::uint64_t seed, std::int64_t count,
                                         const std::string& paramsJson, const fs::path& folder)
{
    Transaction tx(m->db);
    auto s = m->db.prepare("INSERT INTO cg_batches (seed, count, params, folder, created_at) "
                           "VALUES (?, ?, ?, ?, ?)");
    s.bind(1, std::int64_t(seed)).bind(2, count).bind(3, paramsJson).bind(4, folder.string());
    s.bind(5, unixMs()).run();
    const std::int64_t id = m->db.lastInsertId();
    tx.commit();
    return id;
}

std::int64_t ProjectStore::cgBatchCount() const
{
    auto s = m->db.prepare("SELECT COUNT(*) FROM cg_batches");
    return s.step() ? s.int64(0) : 0;
}

void ProjectStore::setMeta(const std::string& key, const std::string& value,
                           const std::string& user)
{
    static const std::map<std::string, std::string> audited = {
        {"active_model", "model-activate"},
        {"baseline_params", "baseline"},
        {"test_split_locked", "split-lock"},
        {"engineer_pin", "pin"}};
    Transaction tx(m->db);
    if (const auto a = audited.find(key); a != audited.end()) {
        auto cur = m->db.prepare("SELECT value FROM meta WHERE key = ?");
        cur.bind(1, key);
        std::string old = cur.step() ? cur.text(0) : std::string();
        cur.reset();
        if (old != value) {
            std::string nw = value;
            if (key == "engineer_pin") { // never the hash
                old = old.empty() ? "unset" : "set";
                nw = nw.empty() ? "unset" : "set";
            } else if (key == "test_split_locked") {
                old = old == "1" ? "locked" : "unlocked";
                nw = nw == "1" ? "locked" : "unlocked";
            }
            if (old != nw || key == "engineer_pin")
                m->writeAudit(a->second, "project", old, nw, user);
        }
    }
    auto s = m->db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    s.bind(1, key).bind(2, value).run();
    tx.commit();
}

std::optional<std::string> ProjectStore::meta(const std::string& key) const
{
    auto s = m->db.prepare("SELECT value FROM meta WHERE key = ?");
    s.bind(1, key);
    if (s.step()) return s.text(0);
    return std::nullopt;
}

std::string ProjectStore::integrityCheck() const
{
    auto s = m->db.prepare("PRAGMA integrity_check");
    std::string out;
    while (s.step()) out += (out.empty() ? "" : "\n") + s.text(0);
    return out;
}

} // namespace kizu::project
