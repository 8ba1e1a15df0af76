// kizu-cli's model list (the Train page's list from the command line): a model trained on a
// project is registered with its test metrics; list, rename, export (also as ONNX), activate (by
// id) and delete work on it, and wrong ids get a clear error.
// kizu-test-timeout: 300
#include "common/test_support.h"
#include "core/learn/defaults.h"
#include "core/project/project_store.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using kizu::test::runCli;

class TestCliModels : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString m_project;
    QString tmp(const QString& sub) const { return m_tmp.filePath(sub); }
    kizu::test::CliResult cli(QStringList args)
    {
        args.prepend(m_project);
        args.prepend(QStringLiteral("-p"));
        return runCli(args);
    }
    QJsonArray list()
    {
        auto r = cli({"model", "list", "--json"});
        if (r.exitCode != 0) qWarning("%s", r.err.constData());
        return QJsonDocument::fromJson(r.out.trimmed()).array();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        for (int c = 0; c < 2; ++c) {
            QDir().mkpath(tmp(c ? "photos/ng" : "photos/ok"));
            for (int i = 0; i < 8; ++i) {
                cv::Mat im(40, 56, CV_8UC3);
                cv::theRNG().state = std::uint64_t(300 + i + 50 * c);
                cv::randu(im, cv::Scalar::all(c ? 170 : 20), cv::Scalar::all(c ? 230 : 80));
                if (c) cv::circle(im, cv::Point(10 + 4 * i, 20), 5, cv::Scalar::all(0), -1);
                QVERIFY(cv::imwrite(
                    tmp(QString("photos/%1/%2.png").arg(c ? "ng" : "ok").arg(i)).toStdString(),
                    im));
            }
        }
        m_project = tmp("proj");
        QCOMPARE(runCli({"project", "init", m_project}).exitCode, 0);
        QCOMPARE(cli({"import", tmp("photos")}).exitCode, 0);
        QCOMPARE(cli({"label", "--from-folders"}).exitCode, 0);
        auto r = cli({"split", "--test-fraction", "0.25", "--seed", "1"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }

    void trainRegistersAndListActs()
    {
        const QString out = tmp("first.kizumodel");
        auto r =
            cli({"train",   "--model", "squeezenet1_1", "--size",  "64",     "--batch", "4",
                 "--steps", "6",       "--threads",     "1",       "--seed", "2",       "--out",
                 out,       "--test",  "--name",        "cli run", "--json", "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto summary = QJsonDocument::fromJson(r.out.trimmed()).object();
        const int id = summary["model_id"].toInt();
        QVERIFY(id > 0);

        auto models = list();
        QCOMPARE(models.size(), 1);
        auto m = models[0].toObject();
        QCOMPARE(m["id"].toInt(), id);
        QCOMPARE(m["name"].toString(), QStringLiteral("cli run"));
        QCOMPARE(m["arch"].toString(), QStringLiteral("squeezenet1_1"));
        QCOMPARE(m["input_size"].toInt(), 64);
        QVERIFY(m["metrics"].toObject()["test"].toObject().contains("auc"));
        QVERIFY(!m["active"].toBool());
        r = cli({"model", "list"});
        QVERIFY(r.out.contains("cli run"));

        r = cli({"model", "rename", QString::number(id), "renamed"});
        QVERIFY2(r.exitCode == 0, r.err.constData());

        QDir().mkpath(tmp("export"));
        r = cli({"model", "export", "renamed", tmp("export")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(QFileInfo(tmp("export/first.kizumodel")).size(), QFileInfo(out).size());

        // As ONNX (issue 23): by record into a folder, and from a model file without a project.
        r = cli({"model", "export", "renamed", "--onnx", tmp("export")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("first.onnx"), r.out.constData());
        QFile onnx(tmp("export/first.onnx"));
        QVERIFY(onnx.open(QIODevice::ReadOnly));
        const QByteArray bytes = onnx.readAll();
        QVERIFY(bytes.size() > 1000000); // SqueezeNet's weights, as float32
        QVERIFY(bytes.contains("kizu") && bytes.contains("squeezenet1_1") &&
                bytes.contains("channel_order"));
        r = runCli({"model", "export", "--model", out, "--onnx", tmp("file.onnx")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("[N, 3, 64, 64]") && r.out.contains("'scores'"), r.out.constData());
        QCOMPARE(QFileInfo(tmp("file.onnx")).size(), qint64(bytes.size()));
        // A native-aspect defect-map model: the graph's input is the canvas of the project's
        // photos (56 x 40 at a long side of 64: 64 x 48) unless --aspect says otherwise.
        r = cli(
            {"train",     "--model", "squeezenet1_1", "--head", "defect_map", "--keep-aspect",
             "--size",    "64",      "--batch",       "4",      "--steps",    "2",
             "--threads", "1",       "--seed",        "3",      "--out",      tmp("map.kizumodel"),
             "--name",    "map run", "--json",        "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const int mapId = QJsonDocument::fromJson(r.out.trimmed()).object()["model_id"].toInt();
        r = cli({"model", "export", QString::number(mapId), "--onnx", tmp("map.onnx")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QFile mapOnnx(tmp("map.onnx"));
        QVERIFY(mapOnnx.open(QIODevice::ReadOnly));
        const QByteArray mapBytes = mapOnnx.readAll();
        // metadata_props entries: key, then field 2 (0x12), its length and the value.
        QVERIFY(mapBytes.contains(QByteArray("input_width\x12\x02") + "64"));
        QVERIFY(mapBytes.contains(QByteArray("input_height\x12\x02") + "48"));
        QVERIFY(mapBytes.contains("defect_map"));
        r = runCli({"model", "export", "--model", tmp("map.kizumodel"), "--onnx", tmp("m2.onnx")});
        QCOMPARE(r.exitCode, 1); // no project to take the photos' size from: an error
        QVERIFY2(r.err.contains("--aspect"), r.err.constData());
        r = runCli({"model", "export", "--model", tmp("map.kizumodel"), "--onnx", tmp("m2.onnx"),
                    "--aspect", "1:2"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("[N, 3, 64, 32]"), r.out.constData());
        r = cli({"model", "delete", QString::number(mapId)});
        QVERIFY2(r.exitCode == 0, r.err.constData());

        r = runCli({"model", "export", "--model", out, "--onnx", tmp("no/such/folder/x.onnx")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("x.onnx") && r.err.contains("writable"), r.err.constData());
        r = runCli(
            {"model", "export", "--model", out, "--onnx", tmp("y.onnx"), "--aspect", "wide"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("W:H"), r.err.constData());
        QVERIFY(!QFileInfo::exists(tmp("y.onnx")));

        // The run was checked after training (against chance and the baseline).
        const auto check = list()[0].toObject()["metrics"].toObject()["assessment"].toObject();
        QVERIFY(!check["level"].toString().isEmpty());
        QVERIFY(!check["message"].toString().isEmpty());
        // A record whose check warned is only made active with --force.
        {
            auto store = kizu::project::ProjectStore::open(m_project.toStdString());
            const auto rec = store.model(id);
            QVERIFY(rec.has_value());
            auto met = nlohmann::json::parse(rec->metrics);
            kizu::learn::Assessment weak;
            weak.nOk = weak.nNg = 4;
            weak.images = "8 test-split images";
            weak.modelAuc = 0.38;
            weak.modelBalanced = 0.5;
            kizu::learn::judge(weak);
            met["assessment"] = kizu::learn::toJson(weak);
            store.setModelMetrics(id, met.dump());
        }
        r = cli({"model", "activate", QString::number(id)});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--force") && r.err.contains("chance"), r.err.constData());
        QVERIFY(!list()[0].toObject()["active"].toBool());
        r = cli({"model", "activate", QString::number(id), "--force"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("first.kizumodel"));
        m = list()[0].toObject();
        QCOMPARE(m["name"].toString(), QStringLiteral("renamed"));
        QVERIFY(m["active"].toBool());

        r = cli({"model", "delete", "999"});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("model list"), r.err.constData());

        // The file was written outside the project's models/ folder: delete keeps it.
        r = cli({"model", "delete", QString::number(id)});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("active model"));
        QCOMPARE(list().size(), 0);
        QVERIFY(QFileInfo::exists(out));
        r = cli({"model", "show"});
        QVERIFY(r.out.contains("no active model"));
    }
};

QTEST_APPLESS_MAIN(TestCliModels)
#include "test_cli_models.moc"
