// What the Dataset page reads from core: id/label/split briefs in the same order and
// selection as images(), full records fetched by id, and reduced-scale thumbnails.
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/imaging/thumbnail.h"
#include "core/project/project_store.h"

#include <QTemporaryDir>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace kizu::project;
namespace fs = std::filesystem;

namespace {
std::string encoded(int index, int w, int h, const char* ext = ".png")
{
    cv::Mat m(h, w, CV_8UC3, cv::Scalar(index % 256, (index / 256) % 256, 90));
    cv::line(m, {index % w, 0}, {w - 1 - index % w, h - 1}, cv::Scalar(255, 255, 255), 2);
    std::vector<uchar> buf;
    cv::imencode(ext, m, buf);
    return std::string(buf.begin(), buf.end());
}
} // namespace

class TestProjectBrowse : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void briefsMatchImages()
    {
        auto s = ProjectStore::create(fs::path(m_tmp.path().toStdString()) / "p");
        std::vector<std::int64_t> ids;
        for (int i = 0; i < 40; ++i)
            ids.push_back(s.addEncodedImage(encoded(i, 40, 30), ".png", i % 3 ? "import" : "cg",
                                            "g" + std::to_string(i / 4)));
        s.setLabels({ids[1], ids[5], ids[7]}, Label::Ng, "t");
        s.setLabels({ids[2], ids[3]}, Label::Ok, "t");
        s.setSplit({ids[5], ids[7]}, Split::Test); // photos: CG renders never go to test

        const ImageFilter filters[] = {
            {},
            {Label::Ng, std::nullopt, std::nullopt, std::nullopt, ImageFilter::Sort::Name, true},
            {Label::Unlabeled, Split::None},
            {std::nullopt, std::nullopt, std::string("cg")},
            {std::nullopt, std::nullopt, std::nullopt, std::string("g1")},
            {std::nullopt, std::nullopt, std::nullopt, std::nullopt, ImageFilter::Sort::Id, false,
             7, 3},
        };
        for (const auto& f : filters) {
            const auto full = s.images(f);
            const auto briefs = s.imageBriefs(f);
            QCOMPARE(briefs.size(), full.size());
            QCOMPARE(std::int64_t(briefs.size()),
                     f.limit < 0 ? s.countImages(f) : std::min<std::int64_t>(f.limit, 37));
            for (std::size_t k = 0; k < full.size(); ++k) {
                QCOMPARE(briefs[k].id, full[k].id);
                QCOMPARE(briefs[k].label, full[k].label);
                QCOMPARE(briefs[k].split, full[k].split);
            }
        }
        QCOMPARE(s.imageBriefs({Label::Ng}).size(), std::size_t(3));
        QCOMPARE(s.imageBriefs({std::nullopt, Split::Test})[0].label, Label::Ng);

        // By id: the order asked for, unknown ids dropped, more ids than one statement takes.
        auto some = s.imagesByIds({ids[9], 999999, ids[2], ids[0]});
        QCOMPARE(some.size(), std::size_t(3));
        QCOMPARE(some[0].id, ids[9]);
        QCOMPARE(some[1].id, ids[2]);
        QCOMPARE(some[1].label, Label::Ok);
        QCOMPARE(some[2].group, std::string("g0"));
        std::vector<std::int64_t> many;
        for (int k = 0; k < 1200; ++k)
            many.push_back(ids[std::size_t(k) % ids.size()]);
        QCOMPARE(s.imagesByIds(many).size(), many.size());
        QVERIFY(s.imagesByIds({}).empty());
    }

    void thumbnails()
    {
        QCOMPARE(kizu::imaging::thumbnailReduction(1130, 460, 256), 4);
        QCOMPARE(kizu::imaging::thumbnailReduction(1130, 460, 100), 8);
        QCOMPARE(kizu::imaging::thumbnailReduction(300, 200, 256), 1);
        // A JPEG takes the reduced path, a PNG the full one; both come out fitting the box.
        auto jpg = kizu::imaging::makeThumbnail(encoded(3, 1130, 460, ".jpg"), "a.jpg", 256);
        QCOMPARE(jpg.cols, 256);
        QVERIFY(qAbs(jpg.rows - 104) <= 1);
        QCOMPARE(jpg.type(), CV_8UC3);
        auto png = kizu::imaging::makeThumbnail(encoded(4, 200, 400), "b.png", 100);
        QCOMPARE(png.rows, 100);
        QCOMPARE(png.cols, 50);
        auto small = kizu::imaging::makeThumbnail(encoded(5, 32, 32), "c.png", 100);
        QCOMPARE(small.cols, 32); // never scaled up
        // Bad data and oversize images are refused with the file's name.
        QVERIFY_THROWS_EXCEPTION(kizu::FormatError,
                                 kizu::imaging::makeThumbnail("not an image", "d.jpg", 64));
        std::string truncated = encoded(6, 800, 600, ".jpg");
        truncated.resize(truncated.size() / 3);
        QVERIFY_THROWS_EXCEPTION(kizu::FormatError,
                                 kizu::imaging::makeThumbnail(truncated, "e.jpg", 64));
        QVERIFY_THROWS_EXCEPTION(
            kizu::FormatError,
            kizu::imaging::makeThumbnail(encoded(7, 800, 600, ".jpg"), "f.jpg", 64, 1000));
    }
};

QTEST_APPLESS_MAIN(TestProjectBrowse)
#include "test_project_browse.moc"
