// Worker threads and the project store. A ProjectStore is one SQLite connection and belongs to
// the thread that opened it, so a job on a worker thread never touches a page's store: it
// captures the project's folder and, on the worker, either calls a core workflow that takes the
// folder (runProjectTraining, projectTestSet, runSweep, generateBatchIntoProject open their own
// connection) or opens one with openWorkerStore. Results come back to the GUI thread as values
// in a queued call or a QFuture; the page then re-reads what changed through its own store.
#pragma once

#include "core/project/project_store.h"

#include <filesystem>

namespace kizu::ui {

// Opens the project at `dir` for the calling worker thread. Refuses (InvalidArgument) to run on
// the GUI thread, where the page's own store is the one to use.
project::ProjectStore openWorkerStore(const std::filesystem::path& dir);

} // namespace kizu::ui
