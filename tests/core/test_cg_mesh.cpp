// The CG Studio's 3D mesh from a height map, without any GL: decimation to a vertex budget,
// positions in millimetres, normals, winding, and the defect triangles from the mask. Plus the
// project's record of CG batches.
// kizu-test-timeout: 60
#include "core/cg/cg_generator.h"
#include "core/cg/cg_mesh.h"
#include "core/common/error.h"
#include "core/project/project_store.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace kizu;
using namespace kizu::cg;

class TestCgMesh : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void smallMapKeepsEveryPixel()
    {
        cv::Mat h(4, 5, CV_32F, cv::Scalar(0));
        h.at<float>(1, 2) = 10; // a bump of 10 um
        const HeightMesh m = buildHeightMesh(h, 100.0, 1000, 1.0);
        QCOMPARE(m.cols, 5);
        QCOMPARE(m.rows, 4);
        QCOMPARE(m.vertexCount(), std::size_t(20));
        QCOMPARE(m.indices.size(), std::size_t(2 * 4 * 3 * 3)); // 2 (rows-1)(cols-1) triangles
        QVERIFY(m.defectIndices.empty());
        QCOMPARE(m.sizeMm, 0.5f); // 5 px of 100 um
        // Centred: x from -0.25 to +0.25 mm; the first row is the top (largest y).
        QVERIFY(std::abs(m.positions[0] + 0.25f) < 1e-6f);
        QVERIFY(m.positions[1] > 0);
        // The bump is 10 um = 0.01 mm above the mean.
        const float mean = 10.0f / 20;
        const std::size_t bump = (1 * 5 + 2) * 3;
        QVERIFY(std::abs(m.positions[bump + 2] - (10 - mean) / 1000) < 1e-6f);
        for (auto i : m.indices)
            QVERIFY(i < m.vertexCount());
        // Every triangle faces +z (counter-clockwise seen from above).
        for (std::size_t t = 0; t < m.indices.size(); t += 3) {
            const float* a = &m.positions[m.indices[t] * 3];
            const float* b = &m.positions[m.indices[t + 1] * 3];
            const float* c = &m.positions[m.indices[t + 2] * 3];
            const float cz = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
            QVERIFY(cz > 0);
        }
        // Unit normals, tilted away from the bump on its left neighbour.
        for (std::size_t k = 0; k < m.normals.size(); k += 3) {
            const float len = std::hypot(m.normals[k], m.normals[k + 1], m.normals[k + 2]);
            QVERIFY(std::abs(len - 1) < 1e-5f);
        }
        QVERIFY(m.normals[(1 * 5 + 1) * 3] < 0);
    }

    void renderIsDecimatedAndDefectMarked()
    {
        CgParams p;
        p.camera.imageSize = 224;
        const CgGenerator gen(p, 3);
        const CgSample s = gen.render(0, true);
        const int budget = 100 * 100;
        const HeightMesh m = buildHeightMesh(s.heightMap, s.pixelSizeUm, budget, 10.0, s.mask);
        QVERIFY(m.vertexCount() <= std::size_t(budget));
        QVERIFY(m.vertexCount() >= std::size_t(budget * 9 / 10));
        QCOMPARE(m.indices.size(), std::size_t(6 * (m.rows - 1) * (m.cols - 1)));
        QVERIFY(!m.defectIndices.empty());
        QVERIFY(m.defectIndices.size() < m.indices.size());
        QVERIFY(m.defectIndices.size() % 3 == 0);
        // The mesh is as wide as the imaged surface.
        QVERIFY(std::abs(m.sizeMm - float(224 * s.pixelSizeUm / 1000)) < 1e-4f);
        // The exaggeration scales the relief and nothing else.
        const HeightMesh flat = buildHeightMesh(s.heightMap, s.pixelSizeUm, budget, 1.0, s.mask);
        float zMax = 0, zMaxFlat = 0;
        for (std::size_t k = 2; k < m.positions.size(); k += 3) {
            zMax = std::max(zMax, std::abs(m.positions[k]));
            zMaxFlat = std::max(zMaxFlat, std::abs(flat.positions[k]));
        }
        QVERIFY(zMaxFlat > 0);
        QVERIFY(std::abs(zMax / zMaxFlat - 10) < 1e-3f);
        QCOMPARE(flat.positions[0], m.positions[0]);

        // An OK sample has no defect triangles.
        const CgSample ok = gen.render(0, false);
        QVERIFY(buildHeightMesh(ok.heightMap, ok.pixelSizeUm, budget, 10, ok.mask)
                    .defectIndices.empty());
    }

    void badInputIsRefused()
    {
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, buildHeightMesh(cv::Mat(), 1, 100));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                                 buildHeightMesh(cv::Mat(8, 8, CV_8U, cv::Scalar(0)), 1, 100));
        const cv::Mat h(8, 8, CV_32F, cv::Scalar(0));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, buildHeightMesh(h, 1, 3));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, buildHeightMesh(h, 0, 100));
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, buildHeightMesh(h, 1, 100, 1, cv::Mat(4, 4, CV_8U, cv::Scalar(0))));
    }

    void projectRecordsCgBatches()
    {
        QTemporaryDir dir;
        auto store = project::ProjectStore::create(dir.path().toStdString());
        QCOMPARE(store.cgBatchCount(), std::int64_t(0));
        const auto a = store.recordCgBatch(7, 100, "{}", dir.filePath("cg/a").toStdString());
        const auto b = store.recordCgBatch(8, 50, "{}", dir.filePath("cg/b").toStdString());
        QVERIFY(b > a);
        QCOMPARE(store.cgBatchCount(), std::int64_t(2));
    }
};

QTEST_APPLESS_MAIN(TestCgMesh)
#include "test_cg_mesh.moc"
