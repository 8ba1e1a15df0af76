#include "ui/worker_store.h"

#include "core/common/error.h"

#include <QCoreApplication>
#include <QThread>

namespace kizu::ui {

project::ProjectStore openWorkerStore(const std::filesystem::path& dir)
{
    const auto* app = QCoreApplication::instance();
    if (app && QThread::currentThread() == app->thread())
        throw InvalidArgument{"internal: openWorkerStore is for worker threads; the GUI thread "
                              "uses the page's own project store"};
    return project::ProjectStore::open(dir);
}

} // namespace kizu::ui
