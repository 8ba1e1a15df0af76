// Dataset page benchmark: a project of 100,000 small generated images (cached in /tmp between
// runs), then the time from opening it to the first painted grid, to a full screen of
// thumbnails, and frames per second while scrolling. Prints one JSON object. Runs under
// QT_QPA_PLATFORM=offscreen (the default here) or a real display (Xvfb).
//   bench_dataset [--images 100000] [--frames 300] [--project DIR]
#include "core/common/sha256.h"
#include "core/project/project_store.h"
#include "core/project/internal/sqlite_db.h"
#include "ui/dataset_page.h"
#include "ui/main_window.h"
#include "ui/thumbnail_cache.h"
#include "ui/thumbnail_delegate.h"
#include "ui/thumbnail_grid.h"
#include "ui/thumbnail_model.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QScrollBar>
#include <QStandardPaths>
#include <QTabWidget>
#include <QThread>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace fs = std::filesystem;
using namespace kizu::project;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double rssMb()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

// Writes n distinct 32x32 PNGs into the project's content-addressed store and their rows in
// one transaction. Going around ProjectStore::addEncodedImage (one fsynced transaction per
// image, minutes for 100k) only here: the rows are what the store itself would write.
void generate(const fs::path& dir, int n)
{
    fs::remove_all(dir);
    ProjectStore::create(dir); // schema, then closed
    Database db((dir / ProjectStore::kDatabaseName).string(), false);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = OFF");
    Transaction tx(db);
    auto ins = db.prepare("INSERT INTO images (hash, ext, original_path, source, width, height, "
                          "captured_at, imported_at, grp, split) VALUES (?,?,?,?,?,?,?,?,?,?)");
    auto lab = db.prepare("INSERT INTO labels (image_id, label, labeled_by, labeled_at) "
                          "VALUES (?,?,?,?)");
    const std::int64_t t0 = 1'700'000'000'000;
    std::vector<uchar> png;
    for (int i = 0; i < n; ++i) {
        cv::Mat m(32, 32, CV_8UC3, cv::Scalar((i * 37) % 256, (i / 256 * 11) % 256, 60 + i % 150));
        cv::rectangle(m, {i % 24, (i / 24) % 24}, {i % 24 + 7, (i / 24) % 24 + 7},
                      cv::Scalar(255, 255, 255), -1);
        cv::putText(m, std::to_string(i % 100), {2, 30}, cv::FONT_HERSHEY_PLAIN, 0.8,
                    cv::Scalar(0, 0, 0));
        cv::imencode(".png", m, png);
        const std::string bytes(png.begin(), png.end());
        const std::string hash = kizu::sha256Hex(bytes);
        const fs::path file = dir / "images" / hash.substr(0, 2) / (hash + ".png");
        fs::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << bytes;
        char name[64];
        std::snprintf(name, sizeof name, "/gen/part_%06d.png", i);
        ins.reset();
        ins.bind(1, hash).bind(2, std::string(".png")).bind(3, std::string(name));
        ins.bind(4, std::string("bench"))
            .bind(5, 32)
            .bind(6, 32)
            .bind(7, std::int64_t(t0 + i * 1000LL));
        ins.bind(8, t0).bind(9, "g" + std::to_string(i / 10)).bind(10, i % 4 == 0 ? 2 : 1);
        ins.run();
        if (i % 3 != 0) {
            lab.reset();
            lab.bind(1, db.lastInsertId()).bind(2, i % 3).bind(3, std::string("bench")).bind(4, t0);
            lab.run();
        }
    }
    tx.commit();
}

// Runs the event loop until pred() holds or the timeout passes; returns whether it held.
template <class Pred> bool waitFor(Pred pred, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!pred()) {
        if (t.elapsed() > timeoutMs) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return true;
}

bool screenReady(kizu::ui::DatasetPage* page)
{
    const auto [first, last] = page->grid()->visibleRows();
    if (first < 0) return false;
    auto* m = page->model();
    for (int r = first; r <= last; ++r)
        if (m->data(m->index(r), kizu::ui::ThumbnailModel::ThumbnailStateRole).toInt() ==
            int(kizu::ui::ThumbnailCache::State::Pending))
            return false;
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    int images = 100'000, frames = 300;
    fs::path dir;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--images") images = std::atoi(argv[i + 1]);
        if (a == "--frames") frames = std::atoi(argv[i + 1]);
        if (a == "--project") dir = argv[i + 1];
    }
    if (dir.empty())
        dir = fs::temp_directory_path() / ("kizu_bench_dataset_" + std::to_string(images));
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");

    nlohmann::json j = {{"bench", "dataset_page"}, {"images", images}};
    bool cached = false;
    try {
        cached = ProjectStore::isProject(dir) && ProjectStore::open(dir).countImages() == images;
    } catch (const std::exception&) {
    }
    if (!cached) {
        auto t0 = Clock::now();
        generate(dir, images);
        j["generate_s"] = since(t0) / 1000.0;
    }
    j["project_cached"] = cached;
    // A cold thumbnail cache each run: what an operator sees on a fresh project.
    fs::remove_all(dir / "cache");

    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true); // leave the operator's settings alone
    QApplication::setOrganizationName(QStringLiteral("KizuBench"));
    QApplication::setApplicationName(QStringLiteral("bench_dataset"));
    j["platform"] = QGuiApplication::platformName().toStdString();

    kizu::ui::MainWindow window;
    window.resize(1400, 900);
    window.show();
    waitFor([&] { return window.isVisible(); }, 5000);
    QCoreApplication::processEvents();
    auto* page = window.datasetPage();
    auto* grid = page->grid();

    // Opening: the store, the brief query, the model reset, the layout, the first paint.
    const int paintsBefore = grid->paintCount();
    auto t0 = Clock::now();
    if (!window.openProject(QString::fromStdString(dir.string()))) return 1;
    const double openMs = since(t0);
    if (!waitFor([&] { return grid->paintCount() > paintsBefore; }, 30000)) {
        std::fprintf(stderr, "bench_dataset: the grid never painted\n");
        return 1;
    }
    j["open_project_ms"] = openMs;
    j["first_paint_ms"] = since(t0);
    waitFor([&] { return screenReady(page); }, 30000);
    j["first_screen_of_thumbnails_ms"] = since(t0);
    j["rows"] = page->model()->rowCount();
    const auto [first, last] = grid->visibleRows();
    j["visible_cells"] = last - first + 1;
    {
        auto s = ProjectStore::open(dir);
        auto q0 = Clock::now();
        auto briefs = s.imageBriefs(
            {std::nullopt, std::nullopt, std::nullopt, std::nullopt, ImageFilter::Sort::Name});
        j["brief_query_ms"] = since(q0);
        q0 = Clock::now();
        auto all = s.images(
            {std::nullopt, std::nullopt, std::nullopt, std::nullopt, ImageFilter::Sort::Name});
        j["full_record_query_ms"] = since(q0); // what loading every record eagerly would cost
    }

    // Scrolling: one scrollbar step per frame, each frame painted before the next.
    QScrollBar* bar = grid->verticalScrollBar();
    auto scroll = [&](int step, int n) {
        bar->setValue(0);
        QCoreApplication::processEvents();
        int done = 0;
        auto s0 = Clock::now();
        for (; done < n && bar->value() < bar->maximum(); ++done) {
            bar->setValue(bar->value() + step);
            QCoreApplication::processEvents();
            grid->viewport()->repaint();
        }
        const double ms = since(s0);
        return nlohmann::json{
            {"step_px", step}, {"frames", done}, {"ms", ms}, {"fps", done / (ms / 1000.0)}};
    };
    const int rowH = grid->thumbnailDelegate()->cellSize().height() + 2 * grid->spacing();
    j["scroll_slow"] = scroll(rowH / 4, frames);                   // reading speed
    j["scroll_fast"] = scroll(grid->viewport()->height(), frames); // a page per frame
    j["scroll_fps"] =
        std::min(j["scroll_slow"]["fps"].get<double>(), j["scroll_fast"]["fps"].get<double>());
    j["rss_mb"] = rssMb();
    j["goal"] = {{"first_paint_ms", 1000}, {"scroll_fps", 30}};
    j["cpus"] = QThread::idealThreadCount();
    std::printf("%s\n", j.dump().c_str());
    page->thumbnails()->waitForIdle();
    return 0;
}
