// kizu-cli delete and audit: deleting images (with an audit row each) and reading the audit
// log (docs/station.md).
#include "app/cli/commands.h"
#include "app/cli/counted.h"
#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/inspect/results_export.h"
#include "core/project/project_store.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace kizu::cli {
namespace {
using namespace kizu::project;
using nlohmann::json;

int deleteCmd(Args& args)
{
    const std::string dir = projectDir(args);
    const bool force = args.flag("--force");
    const std::string user = args.value("--user", "");
    auto pos = args.positionals();
    args.finish();
    if (pos.empty()) throw UsageError{"delete needs IMAGE... (ids, hash prefixes, paths or names)"};
    auto store = ProjectStore::open(dir);
    std::vector<std::int64_t> ids;
    for (const auto& ref : pos) ids.push_back(store.findImage(ref).id);
    const auto rep = store.deleteImages(ids, force, user);
    std::cout << "deleted " << counted(rep.deleted, "image") << " ("
              << counted(rep.filesRemoved, "file") << " removed from images/)\n";
    return 0;
}

int auditCmd(Args& args)
{
    const std::string dir = projectDir(args);
    AuditFilter f;
    if (auto v = args.value("--since")) f.since = inspect::parseTimeArg(*v, unixMs());
    f.user = args.value("--user", "");
    f.action = args.value("--action", "");
    const auto image = args.value("--image");
    f.limit = args.intValue("--limit", -1);
    const bool asJson = args.flag("--json");
    args.finish();
    auto store = ProjectStore::openReadOnly(dir);
    if (image) {
        try {
            f.imageId = store.findImage(*image).id;
        } catch (const InvalidArgument&) {
            // A deleted image is only in the log: by its id.
            if (image->empty() || image->find_first_not_of("0123456789") != std::string::npos)
                throw;
            f.imageId = std::stoll(*image);
        }
    }
    const auto rows = store.audit(f);
    if (asJson) {
        json arr = json::array();
        for (const auto& r : rows)
            arr.push_back({{"id", r.id},
                           {"at", inspect::isoUtcMs(r.at)},
                           {"at_ms", r.at},
                           {"user", r.user},
                           {"action", r.action},
                           {"subject", r.subject},
                           {"image_id", r.imageId ? json(*r.imageId) : json()},
                           {"old", r.oldValue},
                           {"new", r.newValue}});
        std::cout << jsonText(arr) << "\n";
        return 0;
    }
    if (rows.empty()) {
        std::cout << "no audit rows" << (f.since || !f.user.empty() || !f.action.empty() || image
                                             ? " match these filters"
                                             : " yet")
                  << "\n";
        return 0;
    }
    auto cut = [](const std::string& s) { return s.size() > 72 ? s.substr(0, 69) + "..." : s; };
    for (const auto& r : rows)
        std::printf("%6lld  %s  %-12s %-14s %-10s %s -> %s\n", (long long)r.id,
                    inspect::isoUtcMs(r.at).c_str(), r.user.c_str(), r.action.c_str(),
                    r.subject.c_str(), cut(r.oldValue.empty() ? "-" : r.oldValue).c_str(),
                    cut(r.newValue.empty() ? "-" : r.newValue).c_str());
    return 0;
}

const Registrar r1{
    {"delete", "delete images from the project (audited)",
     "Usage: kizu-cli [--project DIR] delete IMAGE... [--force] [--user NAME]\n\n"
     "IMAGE is an id, a hash prefix, a path or a file name. Each image leaves a row in the\n"
     "audit log (its file, label and split; --user NAME, default $USER), its label goes, and\n"
     "inspection results that kept it as their frame keep the result without the frame. The\n"
     "file under images/ is removed when no other image row refers to it. Images in a locked\n"
     "test split ('kizu-cli split --lock on') are refused, and nothing is deleted, unless\n"
     "--force. There is no undo: import the file again to get the image back (unlabeled).\n\n"
     "Example:\n  kizu-cli -p spindles delete 42 43 blurry_0007.png\n",
     deleteCmd}};
const Registrar r2{
    {"audit", "list the audit log (labels, splits, deletions, models, PIN)",
     "Usage: kizu-cli [--project DIR] audit [--since T] [--user U] [--action A]\n"
     "                                     [--image IMAGE] [--limit N] [--json]\n\n"
     "Every change that matters to an inspection station, oldest first: time (UTC), user,\n"
     "action, subject, old value -> new value. Actions: label, split, split-lock, delete,\n"
     "model-activate, model-delete, baseline (its parameters, the NG threshold among them),\n"
     "pin (the engineer PIN set or cleared; never its value). The log is append-only.\n\n"
     "Filters:\n"
     "  --since T      from T on: 2026-12-03, 2026-12-03T08:00 (local; Z for UTC), Unix ms,\n"
     "                 or a time ago: 30m, 8h, 2d\n"
     "  --user U       one user\n"
     "  --action A     one action\n"
     "  --image IMAGE  one image (id, hash prefix, path or name; a deleted image by its id)\n\n"
     "Examples:\n  kizu-cli -p line3 audit --since 8h\n"
     "  kizu-cli -p line3 audit --action delete --json\n",
     auditCmd}};
} // namespace
} // namespace kizu::cli
