// The project database schema, versioned by PRAGMA user_version. Version 1 is kept verbatim
// so that tests can build a version-1 file and every later version migrates from it.
#pragma once

namespace kizu::project::schema {

// Version 1: images, their current labels and the audit log of label changes.
inline constexpr const char* kVersion1 = R"SQL(
CREATE TABLE images (
    id            INTEGER PRIMARY KEY,
    hash          TEXT    NOT NULL UNIQUE,
    ext           TEXT    NOT NULL,
    original_path TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    captured_at   INTEGER NOT NULL,
    imported_at   INTEGER NOT NULL,
    grp           TEXT    NOT NULL DEFAULT ''
);
CREATE TABLE labels (
    image_id   INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
    label      INTEGER NOT NULL CHECK (label IN (0, 1, 2)),
    labeled_by TEXT    NOT NULL,
    labeled_at INTEGER NOT NULL
);
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    image_id  INTEGER NOT NULL REFERENCES images(id),
    old_label INTEGER NOT NULL,
    new_label INTEGER NOT NULL,
    user      TEXT    NOT NULL,
    at        INTEGER NOT NULL
);
PRAGMA user_version = 1;
)SQL";

// Version 2: train/test split per image, project settings, an append-only audit log, and
// the tables later modules fill (models, CG batches, inspection results).
inline constexpr const char* kMigrate1to2 = R"SQL(
ALTER TABLE images ADD COLUMN split INTEGER NOT NULL DEFAULT 0 CHECK (split IN (0, 1, 2));
CREATE INDEX images_grp ON images(grp);
CREATE INDEX images_split ON images(split);
CREATE INDEX images_source ON images(source);
CREATE INDEX audit_log_image ON audit_log(image_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE models (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    file       TEXT    NOT NULL,
    sha256     TEXT    NOT NULL,
    arch       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    config     TEXT    NOT NULL DEFAULT '{}',
    metrics    TEXT    NOT NULL DEFAULT '{}'
);
CREATE TABLE cg_batches (
    id         INTEGER PRIMARY KEY,
    seed       INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    params     TEXT    NOT NULL,
    folder     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE inspection_results (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    source    TEXT    NOT NULL,
    verdict   INTEGER NOT NULL,
    score     REAL    NOT NULL,
    model_id  INTEGER REFERENCES models(id),
    model_sha TEXT    NOT NULL DEFAULT '',
    image_id  INTEGER REFERENCES images(id),
    latency_ms REAL
);
CREATE INDEX inspection_results_at ON inspection_results(at);
PRAGMA user_version = 2;
)SQL";

// Version 3: a perceptual hash per image (core/imaging/perceptual_hash.h), so that import can
// group near-duplicates without a group pattern. NULL for images stored before version 3.
inline constexpr const char* kMigrate2to3 = R"SQL(
ALTER TABLE images ADD COLUMN phash BLOB;
PRAGMA user_version = 3;
)SQL";

// Version 4: inspection results say which frame they are about (a verdict, a fault of the
// method, or a frame dropped because inference fell behind: verdict 3) and what a fault was.
// Rows from before version 4 have no frame and no message.
inline constexpr const char* kMigrate3to4 = R"SQL(
ALTER TABLE inspection_results ADD COLUMN frame INTEGER;
ALTER TABLE inspection_results ADD COLUMN message TEXT NOT NULL DEFAULT '';
PRAGMA user_version = 4;
)SQL";

// Version 5: traceable results (docs/line.md): the part id, the camera's own timestamp and frame
// id, the method's threshold and name. Rows from before version 5 have none of them.
inline constexpr const char* kMigrate4to5 = R"SQL(
ALTER TABLE inspection_results ADD COLUMN part_id TEXT NOT NULL DEFAULT '';
ALTER TABLE inspection_results ADD COLUMN camera_ts INTEGER;
ALTER TABLE inspection_results ADD COLUMN camera_frame INTEGER;
ALTER TABLE inspection_results ADD COLUMN threshold REAL;
ALTER TABLE inspection_results ADD COLUMN method TEXT NOT NULL DEFAULT '';
CREATE INDEX inspection_results_part ON inspection_results(part_id);
PRAGMA user_version = 5;
)SQL";

// Version 6: one audit log for every change that matters to an inspection station (label,
// split, deletion, model activation and deletion, baseline, engineer PIN: docs/station.md),
// with an action, a subject, the old and the new value. The label rows of audit_log move into
// it; image_id has no foreign key, so that a deleted image keeps its history.
inline constexpr const char* kMigrate5to6 = R"SQL(
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    user      TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    subject   TEXT    NOT NULL DEFAULT '',
    image_id  INTEGER,
    old_value TEXT    NOT NULL DEFAULT '',
    new_value TEXT    NOT NULL DEFAULT ''
);
INSERT INTO audit (id, at, user, action, subject, image_id, old_value, new_value)
    SELECT id, at, user, 'label', 'image ' || image_id, image_id,
           CASE old_label WHEN 1 THEN 'ok' WHEN 2 THEN 'ng' ELSE 'unlabeled' END,
           CASE new_label WHEN 1 THEN 'ok' WHEN 2 THEN 'ng' ELSE 'unlabeled' END
    FROM audit_log ORDER BY id;
DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;
DROP TABLE audit_log;
CREATE INDEX audit_image ON audit(image_id);
CREATE INDEX audit_at ON audit(at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
PRAGMA user_version = 6;
)SQL";

} // namespace kizu::project::schema
