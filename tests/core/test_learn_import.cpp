// The torchvision import: our SqueezeNet 1.1 with ../shared/weights/squeezenet1_1-imagenet.pth
// gives the ImageNet logits that torchvision gives (run by /usr/bin/python3) on the same input.
// kizu-test-timeout: 120
#include "core/learn/model.h"

#include "common/test_support.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <random>

using namespace kizu::learn;

class TestLearnImport : public QObject {
    Q_OBJECT
private slots:
    void squeezenetLogitsMatchTorchvision()
    {
        KIZU_REQUIRE_WEIGHTS(pth);
        const QString python = qEnvironmentVariable("KIZU_PYTHON", "/usr/bin/python3");
        QProcess check;
        check.start(python, {"-c", "import torch, torchvision"});
        if (!check.waitForFinished(60000) || check.exitStatus() != QProcess::NormalExit ||
            check.exitCode() != 0)
            QSKIP("Python's torch/torchvision are absent (/usr/bin/python3 -c 'import torch, "
                  "torchvision' "
                  "failed); install python3-torch python3-torchvision to run this check");

        const int batch = 2, size = 224;
        std::vector<float> input(std::size_t(batch) * 3 * size * size);
        std::mt19937 rng(42);
        std::normal_distribution<float> n(0.f, 1.f);
        for (auto& v : input)
            v = n(rng);
        QTemporaryDir dir;
        const QString in = dir.filePath("input.f32"), out = dir.filePath("logits.f32");
        {
            QFile f(in);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(reinterpret_cast<const char*>(input.data()),
                    qint64(input.size() * sizeof(float)));
        }
        const char* script = R"(
import sys, numpy as np, torch, torchvision
pth, inp, out, b, s = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(1)
m = torchvision.models.squeezenet1_1()
m.load_state_dict(torch.load(pth, map_location='cpu'))
m.eval()
x = torch.from_numpy(np.fromfile(inp, dtype=np.float32).reshape(b, 3, s, s))
with torch.no_grad():
    y = m(x)
y.numpy().astype(np.float32).tofile(out)
)";
        QProcess py;
        py.start(python,
                 {"-c", script, pth, in, out, QString::number(batch), QString::number(size)});
        QVERIFY(py.waitForFinished(90000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray raw = f.readAll();
        QCOMPARE(raw.size(), qsizetype(batch * 1000 * sizeof(float)));
        const float* ref = reinterpret_cast<const float*>(raw.constData());

        setTorchThreads(1);
        auto ours = torchvisionLogits("squeezenet1_1", pth.toStdString(), input, batch, size);
        QCOMPARE(int(ours.size()), batch * 1000);
        double maxDiff = 0, maxAbs = 0;
        for (std::size_t i = 0; i < ours.size(); ++i) {
            maxDiff = std::max(maxDiff, double(std::abs(ours[i] - ref[i])));
            maxAbs = std::max(maxAbs, double(std::abs(ref[i])));
        }
        qInfo("max |logit difference| %.3g (largest logit %.3g)", maxDiff, maxAbs);
        QVERIFY2(maxDiff <= 1e-4, qPrintable(QString("logits differ by %1").arg(maxDiff)));
        QVERIFY(maxAbs > 1.0); // the weights did something
    }
};

QTEST_APPLESS_MAIN(TestLearnImport)
#include "test_learn_import.moc"
