// The project store: a project is a folder with a SQLite database (project.kizu) and an
// images/ folder where each imported image is kept once under its content hash. The store is
// the only writer of project data; every write is one transaction, and image files are
// written under a temporary name and renamed before the row that names them is committed.
#pragma once

#include "core/common/progress.h"
#include "core/inspect/state.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kizu::project {

enum class Label { Unlabeled = 0, Ok = 1, Ng = 2 };
enum class Split { None = 0, Train = 1, Test = 2 };

std::string labelName(Label label); // "unlabeled", "ok", "ng"
std::string splitName(Split split); // "none", "train", "test"
Label labelFromString(const std::string& text); // throws InvalidArgument
Split splitFromString(const std::string& text); // throws InvalidArgument

struct ImageRecord {
    std::int64_t id = 0;
    std::string hash;         // sha256 of the file bytes, hex
    std::string ext;          // ".jpg", ".png", ...
    std::string originalPath; // where it was imported from
    std::string source;       // "import", "camera", "cg", ...
    int width = 0;
    int height = 0;
    std::int64_t capturedAt = 0; // unix ms (file mtime for imports)
    std::int64_t importedAt = 0; // unix ms
    std::string group;           // near-duplicates share a group; splits never cut a group
    Label label = Label::Unlabeled;
    Split split = Split::None;
    std::string labeledBy;
    std::int64_t labeledAt = 0;
    std::string fileName() const; // the original file's name
};

struct AuditEntry {
    std::int64_t id = 0;
    std::int64_t imageId = 0;
    Label oldLabel = Label::Unlabeled;
    Label newLabel = Label::Unlabeled;
    std::string user;
    std::int64_t at = 0; // unix ms
};

// One row of the project's audit log (schema 6, docs/station.md): who changed what, when, from
// which value to which. Actions: "label", "split", "split-lock", "delete" (an image),
// "model-activate", "model-delete", "baseline" (the baseline's parameters, its NG threshold
// among them), "pin" (the engineer PIN set or cleared; never its value). Append-only: the
// database refuses updates and deletions of these rows.
struct AuditRecord {
    std::int64_t id = 0;
    std::int64_t at = 0; // unix ms
    std::string user;
    std::string action;
    std::string subject; // "image 12", "model 3", "project"
    std::optional<std::int64_t> imageId;
    std::string oldValue;
    std::string newValue;
};

struct AuditFilter {
    std::optional<std::int64_t> since; // unix ms, inclusive
    std::string user;                  // exact, when set
    std::string action;                // exact, when set
    std::optional<std::int64_t> imageId;
    std::int64_t limit = -1; // -1: all (oldest first)
};

struct DeleteReport {
    int deleted = 0;      // image rows removed
    int filesRemoved = 0; // image files removed (no other row refers to them)
};

// Groups that import made from perceptual hashes (near-duplicates without a group pattern)
// are named with this prefix and the earlier image's sha256: "dup-3f2a9c01d4".
inline constexpr const char* kNearDuplicateGroupPrefix = "dup-";
bool isNearDuplicateGroup(const std::string& group);

// Sources of synthetic images: CG renders (a CG batch into the project) and CG defects
// transplanted onto real photos. A synthetic image may teach a model but never measures one:
// it is never placed in the test split.
inline constexpr const char* kSourceCg = "cg";
inline constexpr const char* kSourceTransplant = "transplant";
bool isSyntheticSource(const std::string& source);

struct ImportOptions {
    std::int64_t maxPixels = 100'000'000; // refused before decoding when larger
    std::string source = "import";
    std::string group;      // a fixed group for every image, when set
    std::string groupRegex; // else the first capture group of this regex on the file name
    // Else (no group, or the pattern does not match) a new image joins the group of its
    // nearest stored near-duplicate (perceptual hash), or forms a new "dup-" group with it.
    bool groupNearDuplicates = true;
    bool recursive = true;
    Label label = Label::Unlabeled; // initial label for new images
    std::string user;               // who labels (for the audit log); default $USER
};

struct ImportIssue {
    std::string path;
    std::string reason;
    // A file or folder met inside a folder that is not an image (annotations, notes, CG
    // sidecars): named in the report, but not a failure of the import.
    bool notImage = false;
};

struct ImportReport {
    int imported = 0;   // new images stored
    int duplicates = 0; // already in the project (same content)
    int skipped = 0;    // unreadable, not an image, too large ...
    int notImages = 0;  // of skipped: files met in a folder that are not images (not failures)
    int nearDuplicates = 0; // new images grouped with a near-duplicate by perceptual hash
    bool cancelled = false;
    std::vector<ImportIssue> issues;
    std::vector<std::int64_t> ids; // ids of the images imported or found as duplicates
};

struct ImageFilter {
    std::optional<Label> label;
    std::optional<Split> split;
    std::optional<std::string> source;
    std::optional<std::string> group;
    enum class Sort { Id, Name, CapturedAt, ImportedAt } sort = Sort::Id;
    bool descending = false;
    std::int64_t limit = -1;
    std::int64_t offset = 0;
    // true: only synthetic images (isSyntheticSource); false: only real ones. (Last, so that
    // positional initialisers of the fields above keep their meaning.)
    std::optional<bool> synthetic;
};

// What a browser needs of every image in a view, kept small so that 100,000 of them load in
// tens of milliseconds; the rest of a record is fetched for the rows on screen.
struct ImageBrief {
    std::int64_t id = 0;
    Label label = Label::Unlabeled;
    Split split = Split::None;
};

struct Stats {
    // counts[label][split], label and split as their enum values
    std::int64_t counts[3][3] = {};
    // The part of counts whose source is synthetic (isSyntheticSource), same indices.
    std::int64_t synthetic[3][3] = {};
    std::int64_t total() const;
    std::int64_t byLabel(Label l) const;
    std::int64_t bySplit(Split s) const;
    std::int64_t syntheticTotal() const;
    std::int64_t syntheticByLabel(Label l) const;
    std::int64_t realByLabel(Label l) const { return byLabel(l) - syntheticByLabel(l); }
};

// One result of live inspection, as stored in the project: a verdict, a fault or a dropped frame.
struct InspectionRecord {
    std::int64_t id = 0;
    std::int64_t at = 0;         // unix ms: the frame's capture time (a fault: its time); 0: now
    std::string source;          // the frame source's description
    inspect::State state = inspect::State::Ok;
    double score = 0;            // NG score of the method
    std::string modelSha;        // sha256 of the model file (or the baseline parameters)
    std::optional<std::int64_t> imageId; // the stored frame, when it was kept (NG frames)
    double latencyMs = 0;        // capture to verdict
    std::optional<std::int64_t> frame; // the source's frame sequence; none for a source fault
    std::string message;               // a fault: what happened
    // Since schema 5 (traceability, docs/line.md); empty/unset in older rows.
    std::string partId;                // from the PLC, MQTT or the project's counter
    std::optional<std::uint64_t> cameraTimestampNs; // the camera's own timestamp, when it gives one
    std::optional<std::uint64_t> cameraFrameId;     // the camera's own frame id, when it gives one
    double threshold = 0;              // the method's NG threshold
    std::string method;                // the method's name ("squeezenet1_1 @224", "baseline")
};

// Which inspection results to read (results list/export, the Inspect page's Results tab).
struct InspectionFilter {
    std::optional<std::int64_t> since; // unix ms, inclusive
    std::optional<std::int64_t> until; // unix ms, exclusive
    std::optional<inspect::State> state;
    std::string modelSha; // a prefix of the model's sha256
    std::string partId;   // exact
    std::int64_t limit = -1; // -1: all
    bool oldestFirst = false;
};

// A frame kept by live inspection that frame retention may remove (core/inspect/retention.h).
struct KeptFrame {
    std::int64_t id = 0;
    std::int64_t keptAt = 0; // unix ms: when it was stored
    std::int64_t bytes = 0;  // its file's size (0 when the file is missing)
};

// A trained model kept with the project (its file usually under DIR/models/).
struct ModelRecord {
    std::int64_t id = 0;
    std::string name;    // shown to people; need not be unique
    std::string file;    // absolute, or relative to the project folder
    std::string sha256;  // of the weights (Model::weightsHash) or of the file
    std::string arch;
    std::int64_t createdAt = 0; // unix ms
    std::string config = "{}";  // JSON: training configuration, data hash, init
    std::string metrics = "{}"; // JSON: metrics on the test split, training curves
};

struct SplitReport {
    double testFraction = 0; // as used
    std::int64_t trainImages = 0, testImages = 0;
    std::int64_t trainGroups = 0, testGroups = 0;
    std::int64_t nearDuplicateGroups = 0; // of all groups, those made by perceptual hashing
    std::int64_t ungroupedImages = 0;     // images without a group (each a group of its own)
    std::int64_t changedImages = 0;       // images moved from train to test or back
    std::int64_t syntheticImages = 0;     // of trainImages: synthetic ones, kept out of test
    std::int64_t groups() const { return trainGroups + testGroups; }
};

// Removes the temporary files (".NAME.tmpPID_...") that writers killed mid-write left under
// dir (three folder levels): only those whose process is no longer running. Returns how many.
// The store calls it before its first file write; exposed for tests and tools.
int removeStaleTemporaries(const std::filesystem::path& dir);

class ProjectStore {
public:
    static constexpr int kSchemaVersion = 6;
    static constexpr const char* kDatabaseName = "project.kizu";

    // Creates a new project in dir (made if missing). Refuses a folder that already holds one.
    static ProjectStore create(const std::filesystem::path& dir);
    // Opens an existing project, migrating an older schema. Throws StoreError when dir is not
    // a project or its schema is newer than this program understands.
    // Nothing is written (not even SQLite's journal mode) before the file is known to be a Kizu
    // project: a refused file is left byte for byte as it was.
    static ProjectStore open(const std::filesystem::path& dir);
    // Opens for reading only (stats, info): works on a read-only folder or a full disk and
    // writes nothing. A project with an older schema is opened as open() does (migrated).
    static ProjectStore openReadOnly(const std::filesystem::path& dir);
    bool isReadOnly() const;
    static bool isProject(const std::filesystem::path& dir);

    ProjectStore(ProjectStore&&) noexcept;
    ProjectStore& operator=(ProjectStore&&) noexcept;
    ~ProjectStore();

    const std::filesystem::path& dir() const;
    int schemaVersion() const;
    std::filesystem::path imagePath(const ImageRecord& image) const; // absolute

    // Imports files and folders (recursively): JPEG, PNG, BMP, TIFF. Idempotent by content.
    // Bad files are skipped and listed in the report; nothing already stored is touched.
    // Each image is committed on its own, so a crash loses at most the image in flight.
    ImportReport importPaths(const std::vector<std::filesystem::path>& paths,
                             const ImportOptions& options = {}, const ProgressFn& progress = {},
                             const CancelToken* cancel = nullptr);
    // Stores an encoded image from memory (camera frame, CG render). Returns its id (an
    // existing id when the same content is already stored).
    std::int64_t addEncodedImage(const std::string& bytes, const std::string& ext,
                                 const std::string& source, const std::string& group = {},
                                 Label label = Label::Unlabeled, const std::string& user = {});

    std::optional<ImageRecord> image(std::int64_t id) const;
    // Finds an image by id, hash (or a unique prefix of 8+ hex digits), original path or file
    // name. Throws InvalidArgument when nothing or more than one image matches.
    ImageRecord findImage(const std::string& ref) const;
    std::vector<ImageRecord> images(const ImageFilter& filter = {}) const;
    std::int64_t countImages(const ImageFilter& filter = {}) const;
    // The same selection and order as images(filter), ids with label and split only.
    std::vector<ImageBrief> imageBriefs(const ImageFilter& filter = {}) const;
    // Full records for the given ids, in the order given; ids not in the project are left out.
    std::vector<ImageRecord> imagesByIds(const std::vector<std::int64_t>& ids) const;
    std::vector<std::string> groups() const;
    std::vector<std::string> sources() const;
    Stats stats() const;
    // Puts images into a group (one transaction), e.g. a photo with the CG defects
    // transplanted onto it, so that a split never puts one in train and the other in test.
    // Throws InvalidArgument for an empty group name.
    void setGroup(const std::vector<std::int64_t>& imageIds, const std::string& group);

    // Label changes: one transaction, each change appended to the audit log. Returns how many
    // images actually changed (setting the same label again is not a change).
    int setLabel(std::int64_t imageId, Label label, const std::string& user = {});
    int setLabels(const std::vector<std::int64_t>& imageIds, Label label,
                  const std::string& user = {});
    // Labels every image by the name of a folder on its original path: "ok" or "ng"
    // (case-insensitive; the nearest such folder wins). Returns the number of changes.
    int labelFromFolders(const std::string& user = {});
    // The label changes of the audit log (action "label"), oldest first.
    std::vector<AuditEntry> auditLog(std::optional<std::int64_t> imageId = std::nullopt) const;
    // The whole audit log, or the rows the filter selects, oldest first.
    std::vector<AuditRecord> audit(const AuditFilter& filter = {}) const;
    // Appends a row in its own transaction (user empty: defaultUser()).
    void appendAudit(const std::string& action, const std::string& subject,
                     const std::string& oldValue, const std::string& newValue,
                     const std::string& user = {}, std::optional<std::int64_t> imageId = {});

    // Deletes images: each leaves an audit row ("delete", with its file, label and split), its
    // label and its inspection results' link (image_id cleared), in one transaction; then the
    // file under images/ is removed when no other row refers to it. Throws InvalidArgument,
    // deleting nothing, for an id not in the project or, unless force, when the test split is
    // locked and one of the images is in it.
    DeleteReport deleteImages(const std::vector<std::int64_t>& ids, bool force = false,
                              const std::string& user = {});

    // Assigns train/test by group with a seed: whole groups go to test until the fraction (of
    // the real images) is reached, the rest to train. Synthetic images (isSyntheticSource), and
    // every group that holds one, always go to train; one already in test is moved out. With
    // the test split locked, test images stay where they are and only images without a split
    // are assigned.
    // Each image that changes split leaves an audit row ("split").
    SplitReport assignSplit(double testFraction, std::uint64_t seed, const std::string& user = {});
    // What assignSplit would do with the same arguments, without writing: how many images would
    // change split (to warn before reassigning an existing split).
    SplitReport previewSplit(double testFraction, std::uint64_t seed) const;
    // Throws InvalidArgument, changing nothing, when split is Test and one of the images is
    // synthetic, or when the test split is locked and a test image would leave it.
    void setSplit(const std::vector<std::int64_t>& imageIds, Split split,
                  const std::string& user = {});
    void setTestSplitLocked(bool locked, const std::string& user = {});
    bool testSplitLocked() const;

    // Copies the images of a split (or all when split is None) into out/ok and out/ng.
    // Unlabeled images are not exported. Returns the number of files written.
    std::int64_t exportSplit(Split split, const std::filesystem::path& outDir,
                             const ProgressFn& progress = {}, const CancelToken* cancel = nullptr);

    // Live inspection results: appended in one transaction per call.
    void recordInspections(const std::vector<InspectionRecord>& records);
    std::vector<InspectionRecord> inspections(std::int64_t limit = 100) const; // newest first
    std::vector<InspectionRecord> inspections(const InspectionFilter& filter) const;
    // The highest part id of the results that is a plain number (0 when none): where the
    // project's part counter goes on (docs/line.md).
    std::int64_t maxNumericPartId() const;
    std::int64_t inspectionCount() const;

    // The images of `source` that nobody has labeled, put into a split or named in the audit
    // log, oldest first: the frames retention may remove. A frame that someone labeled is part
    // of the dataset and never listed.
    std::vector<KeptFrame> removableFrames(const std::string& source) const;
    // Removes those of `ids` that removableFrames(source) would list (the others are left
    // alone), in one transaction: each result that names one keeps its verdict, loses its image
    // and gets "frame SHA256 NOTE" in its message; the image row goes; then its file. Returns
    // the frames removed.
    std::vector<KeptFrame> removeKeptFrames(const std::vector<std::int64_t>& ids,
                                            const std::string& source, const std::string& note);

    // Models trained for this project. addModel returns the new id (createdAt 0: now).
    std::int64_t addModel(const ModelRecord& record);
    std::vector<ModelRecord> models() const; // newest first
    std::optional<ModelRecord> model(std::int64_t id) const;
    // Throws InvalidArgument when no model has that id.
    void renameModel(std::int64_t id, const std::string& name);
    void setModelMetrics(std::int64_t id, const std::string& metricsJson);
    // Removes the record (inspection results keep the model's sha256; their model_id is
    // cleared). The file is not touched. Throws InvalidArgument when no model has that id.
    // Leaves an audit row ("model-delete").
    void deleteModel(std::int64_t id, const std::string& user = {});
    // An absolute path for a record's file.
    std::filesystem::path modelPath(const ModelRecord& record) const;

    // A batch of CG renders made for this project (its folder, seed, count and parameters as
    // JSON), in the cg_batches table. Returns its id.
    std::int64_t recordCgBatch(std::uint64_t seed, std::int64_t count, const std::string& paramsJson,
                               const std::filesystem::path& folder);
    std::int64_t cgBatchCount() const;

    // Small key/value settings kept in the project (e.g. the active model). A change of an
    // audited key (active_model, baseline_params, test_split_locked, engineer_pin) leaves an
    // audit row in the same transaction (the PIN's hash is never written to the log).
    void setMeta(const std::string& key, const std::string& value, const std::string& user = {});
    std::optional<std::string> meta(const std::string& key) const;

    // "ok" when SQLite's integrity check passes, else its report.
    std::string integrityCheck() const;

    static std::string defaultUser();

private:
    struct Impl;
    explicit ProjectStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m;
};

} // namespace kizu::project
