// The station's default route (core/learn/defaults.h): the best measured start per network,
// its fallback when a file is missing, and the rule that calls a trained model near chance or
// worse than the baseline. Also the held-out images of a run: never the shots, never their groups.
#include "core/common/paths.h"
#include "core/learn/dataset.h"
#include "core/learn/defaults.h"

#include <QtTest>

#include <cstdlib>
#include <set>

using namespace kizu::learn;

class TestDefaults : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void squeezenetPrefersImagenet()
    {
        QCOMPARE(defaultRoute().arch, std::string("squeezenet1_1"));
        const auto order = initPreference("squeezenet1_1");
        QCOMPARE(order.front(), std::string("imagenet"));
        // The shipped SqueezeNet CG weights measured worse than scratch: last.
        QCOMPARE(order.back(), std::string("cg"));
        QCOMPARE(initPreference("resnet18").front(), std::string("cg"));
        const auto d = defaultInit("squeezenet1_1");
        QVERIFY(d.reason.find("ImageNet") != std::string::npos);
        if (!kizu::findImagenetWeights("squeezenet1_1").empty()) {
            QCOMPARE(d.kind, std::string("imagenet"));
            QVERIFY(d.init.rfind("imagenet:", 0) == 0);
            QVERIFY(d.fallbackNote.empty());
        } else {
            QCOMPARE(d.kind, std::string("scratch"));
            QVERIFY(d.fallbackNote.find("squeezenet1_1-imagenet.pth") != std::string::npos);
        }
    }

    void missingImagenetFallsBackToScratchWithANote()
    {
        // Point the weights folder at nothing and the models folder at an empty one.
        QTemporaryDir empty;
        qputenv("KIZU_WEIGHTS_DIR", empty.path().toUtf8());
        qputenv("KIZU_MODELS_DIR", empty.path().toUtf8());
        const auto order = initPreference("resnet50");
        const auto d = defaultInit("resnet50");
        const bool found = !kizu::findImagenetWeights("resnet50").empty();
        qunsetenv("KIZU_WEIGHTS_DIR");
        qunsetenv("KIZU_MODELS_DIR");
        QCOMPARE(order.front(), std::string("imagenet"));
        if (found) { // a resnet50 file beside the source tree: then it is the start
            QCOMPARE(d.kind, std::string("imagenet"));
            return;
        }
        QCOMPARE(d.kind, std::string("scratch"));
        QCOMPARE(d.init, std::string("scratch"));
        QVERIFY(d.fallbackNote.find("resnet50-imagenet.pth") != std::string::npos);
    }

    void judgeCallsChanceAndBaseline()
    {
        Assessment a;
        a.nOk = a.nNg = 32;
        a.images = "64 held-out train images (32 OK, 32 NG)";
        a.modelAuc = 0.38; // the CG default on the demo in issue 18
        a.modelBalanced = 0.50;
        judge(a);
        QCOMPARE(a.level, std::string("near_chance"));
        QVERIFY(a.warns());
        QVERIFY(a.message.find("chance") != std::string::npos);

        a.modelAuc = 0.80;
        a.modelBalanced = 0.72;
        a.hasBaseline = true;
        a.baselineAuc = 0.90;
        a.baselineBalanced = 0.85;
        judge(a);
        QCOMPARE(a.level, std::string("worse_than_baseline"));

        a.modelAuc = 0.95; // better ranking than the baseline: not "worse"
        judge(a);
        QCOMPARE(a.level, std::string("ok"));
        QVERIFY(!a.warns());

        a.nNg = 0;
        judge(a);
        QCOMPARE(a.level, std::string("unknown"));
        QVERIFY(!a.warns());
        QVERIFY(a.message.find("lack NG") != std::string::npos);
        a.nOk = 0; // nothing held out at all
        judge(a);
        QVERIFY(a.message.find("every labeled photo was used") != std::string::npos);
    }

    void assessmentRoundTrips()
    {
        Assessment a;
        a.nOk = 10;
        a.nNg = 4;
        a.modelAuc = 0.9;
        a.modelBalanced = 0.8;
        a.hasBaseline = true;
        a.baselineTuned = true;
        a.baselineAuc = 0.7;
        a.baselineBalanced = 0.6;
        a.images = "14 held-out train images";
        judge(a);
        const auto b = assessmentFromJson(toJson(a));
        QCOMPARE(b.level, a.level);
        QCOMPARE(b.message, a.message);
        QCOMPARE(b.baselineAuc, 0.7);
        QVERIFY(b.baselineTuned);
        QCOMPARE(b.nNg, std::int64_t(4));
        QCOMPARE(assessmentFromJson(nlohmann::json(3)).level, std::string("unknown"));
    }

    void heldOutAvoidsShotsAndTheirGroups()
    {
        std::vector<LabeledPath> all;
        for (int i = 0; i < 40; ++i)
            all.push_back({"img" + std::to_string(i) + ".png", i % 4 == 0 ? kNg : kOk,
                           "g" + std::to_string(i / 2)}); // pairs of near-duplicates
        const auto shots = drawShots(all, 3, 5);
        const auto held = heldOutImages(all, shots, 4, 9);
        std::set<std::string> shotGroups, shotPaths;
        for (const auto& s : shots) {
            shotGroups.insert(s.group);
            shotPaths.insert(s.path.string());
        }
        QVERIFY(!held.empty());
        for (const auto& h : held) {
            QVERIFY(!shotPaths.count(h.path.string()));
            QVERIFY2(!shotGroups.count(h.group), h.group.c_str());
        }
        const auto [ok, ng] = classCounts(held);
        QCOMPARE(ok, std::int64_t(4));
        QVERIFY(ng >= 1);
    }
};

QTEST_APPLESS_MAIN(TestDefaults)
#include "test_defaults.moc"
