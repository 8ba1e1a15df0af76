#include "ui/train_runner.h"

#include "core/common/error.h"
#include "core/learn/model.h"

#include <QElapsedTimer>
#include <QThread>

#include <algorithm>

#include <nlohmann/json.hpp>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace kizu::ui {

namespace {
constexpr int kDefaultNice = 10;
// Linux nice values are per thread and inherited by threads created later, so LibTorch's
// OpenMP pool (made by this thread's first parallel region) runs at the same priority.
void lowerThisThreadsPriority()
{
#ifdef __linux__
    bool set = false;
    const int nice = qEnvironmentVariableIntValue("KIZU_TRAIN_NICE", &set);
    setpriority(PRIO_PROCESS, id_t(syscall(SYS_gettid)),
                set ? std::clamp(nice, 0, 19) : kDefaultNice);
#endif
}

double metric(const nlohmann::json& m, const char* split, const char* key)
{
    auto it = m.find(split);
    if (it == m.end() || !it->is_object() || !it->contains(key)) return -1;
    return (*it)[key].get<double>();
}
// What a finished run (trained or fitted) reports to the page.
void fillOutcome(TrainOutcome& out, const kizu::learn::RunOutcome& o)
{
    out.cancelled = o.cancelled;
    out.modelId = o.modelId;
    out.modelName = QString::fromStdString(o.name);
    out.seconds = o.result.seconds;
    out.testAccuracy = metric(o.metrics, "test", "accuracy");
    out.testBalancedAccuracy = metric(o.metrics, "test", "balanced_accuracy");
    out.testAuc = metric(o.metrics, "test", "auc");
    out.assessmentLevel = QString::fromStdString(o.assessment.level);
    out.assessmentMessage = QString::fromStdString(o.assessment.message);
}
} // namespace

TrainRunner::TrainRunner(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<kizu::ui::TrainOutcome>();
    qRegisterMetaType<kizu::learn::ValidationPoint>();
}

TrainRunner::~TrainRunner()
{
    cancel();
    wait();
}

void TrainRunner::cancel()
{
    if (m_cancel) m_cancel->cancel();
}

void TrainRunner::wait()
{
    if (!m_thread) return;
    m_thread->wait();
    // The posted onThreadDone() would find nothing left to do.
    delete m_thread;
    m_thread = nullptr;
    m_cancel.reset();
}

bool TrainRunner::launch(Job job)
{
    if (m_thread) return false;
    auto cancel = std::make_shared<kizu::CancelToken>();
    m_cancel = cancel;
    m_thread = QThread::create([this, job = std::move(job), cancel] {
        lowerThisThreadsPriority();
        // The result is delivered once the thread is gone, so that isRunning() is false by then.
        auto deliver = job(*cancel);
        QMetaObject::invokeMethod(
            this,
            [this, deliver] {
                onThreadDone();
                deliver();
            },
            Qt::QueuedConnection);
    });
    m_thread->setObjectName(QStringLiteral("kizu-train"));
    m_thread->start();
    return true;
}

void TrainRunner::onThreadDone()
{
    if (!m_thread) return; // wait() already cleaned up
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
    m_cancel.reset();
}

bool TrainRunner::start(const QString& projectDir, const kizu::learn::RunSpec& spec)
{
    return launchRun(projectDir, spec);
}

bool TrainRunner::resume(const QString& projectDir)
{
    return launchRun(projectDir, std::nullopt);
}

bool TrainRunner::launchRun(const QString& projectDir, std::optional<kizu::learn::RunSpec> spec)
{
    return launch([this, dir = projectDir.toStdString(), spec](const kizu::CancelToken& cancel) {
        kizu::learn::RunCallbacks cb;
        cb.progress = [this](const kizu::learn::TrainProgress& p) {
            if (p.stage == "threshold") {
                QMetaObject::invokeMethod(
                    this,
                    [this] {
                        Q_EMIT stage(tr("Choosing the NG threshold on the training images..."));
                    },
                    Qt::QueuedConnection);
                return;
            }
            QMetaObject::invokeMethod(
                this,
                [this, p] {
                    Q_EMIT progress(p.step, p.totalSteps, p.loss, p.lr, p.imagesPerSecond);
                },
                Qt::QueuedConnection);
        };
        cb.validation = [this](const kizu::learn::ValidationPoint& v) {
            QMetaObject::invokeMethod(
                this, [this, v] { Q_EMIT validated(v); }, Qt::QueuedConnection);
        };
        cb.stage = [this](const kizu::Progress& p) {
            QString text;
            if (p.stage == "prepare")
                text = tr("Decoding the validation images: %1 of %2").arg(p.done).arg(p.total);
            else if (p.stage == "check-model")
                text = tr("Checking the model on held-out images: %1 of %2")
                           .arg(p.done)
                           .arg(p.total);
            else if (p.stage == "check-baseline")
                text = tr("Checking the classical baseline on the same images: %1 of %2")
                           .arg(p.done)
                           .arg(p.total);
            else
                text = tr("Measuring the test split: %1 of %2").arg(p.done).arg(p.total);
            QMetaObject::invokeMethod(
                this, [this, text] { Q_EMIT stage(text); }, Qt::QueuedConnection);
        };
        TrainOutcome out;
        try {
            const auto o = spec ? kizu::learn::runProjectTraining(dir, *spec, cb, &cancel)
                                : kizu::learn::resumeProjectTraining(dir, cb, &cancel);
            fillOutcome(out, o);
            out.steps = o.result.steps;
            out.resumedFromStep = o.result.resumedFromStep;
            out.imagesPerSecond = o.result.imagesPerSecond;
        } catch (const kizu::Error& e) {
            out.error = QString::fromStdString(e.what());
        } catch (const std::exception& e) {
            out.error = tr("Training failed: %1").arg(QString::fromStdString(e.what()));
        }
        return std::function<void()>([this, out] { Q_EMIT finished(out); });
    });
}

bool TrainRunner::startAnomaly(const QString& projectDir, const kizu::learn::AnomalyRunSpec& spec,
                               int threads)
{
    return launch([this, dir = projectDir.toStdString(), spec,
                   threads](const kizu::CancelToken& cancel) {
        // LibTorch defaults to one thread here; the trainer sets its own, the fit needs this.
        kizu::learn::setTorchThreads(threads);
        // Progress comes per photo and per coreset pick: forward at most about ten a second.
        QElapsedTimer sent;
        auto progress = [this, &sent](const kizu::Progress& p) {
            if (sent.isValid() && sent.elapsed() < 100 && p.done < p.total) return;
            sent.start();
            QString text;
            if (p.stage == "decode")
                text = tr("Reading the OK photos: %1 of %2").arg(p.done).arg(p.total);
            else if (p.stage == "features")
                text = tr("Remembering the OK photos' patches: %1 of %2").arg(p.done).arg(p.total);
            else if (p.stage == "coreset")
                text = tr("Choosing the patches to keep: %1 of %2").arg(p.done).arg(p.total);
            else if (p.stage == "done")
                text = tr("Setting the threshold from the OK photos...");
            else if (p.stage == "check-model")
                text =
                    tr("Checking the model on held-out images: %1 of %2").arg(p.done).arg(p.total);
            else if (p.stage == "check-baseline")
                text = tr("Checking the classical baseline on the same images: %1 of %2")
                           .arg(p.done)
                           .arg(p.total);
            else
                text = tr("Measuring the test split: %1 of %2").arg(p.done).arg(p.total);
            QMetaObject::invokeMethod(
                this, [this, p, text] { Q_EMIT fitProgress(p.done, p.total, text); },
                Qt::QueuedConnection);
        };
        TrainOutcome out;
        out.anomaly = true;
        try {
            const auto o = kizu::learn::runProjectPatchCore(dir, spec, progress, &cancel);
            fillOutcome(out, o);
            if (o.metrics.is_object()) { // none when cancelled
                out.okImages = o.metrics.value("ok_images", std::int64_t(0));
                out.memoryPatches = o.metrics.value("bank_size", std::int64_t(0));
            }
        } catch (const kizu::Error& e) {
            out.error = QString::fromStdString(e.what());
        } catch (const std::exception& e) {
            out.error = tr("The fit failed: %1").arg(QString::fromStdString(e.what()));
        }
        return std::function<void()>([this, out] { Q_EMIT finished(out); });
    });
}

bool TrainRunner::measureSpeed(const QString& arch, int inputSize, int batch)
{
    return launch([this, arch, inputSize, batch](const kizu::CancelToken& cancel) {
        double speed = 0;
        QString error;
        try {
            speed =
                kizu::learn::measureTrainingSpeed(arch.toStdString(), inputSize, batch, 0, &cancel);
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        return std::function<void()>([this, arch, inputSize, speed, error] {
            Q_EMIT speedMeasured(arch, inputSize, speed, error);
        });
    });
}

} // namespace kizu::ui
