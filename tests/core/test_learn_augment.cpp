// RandAugment ops (timm rand-m9-mstd0.5-inc1), crop and flips: each op changes an image,
// magnitude 0 leaves it unchanged, and the same seed gives the same augmentation.
// kizu-test-timeout: 60
#include "common/test_images.h"
#include "core/learn/augment.h"

#include <QtTest>

#include <opencv2/imgproc.hpp>

using namespace kizu::learn;

using kizu::test::same;
using kizu::test::texture;

namespace {
} // namespace

class TestLearnAugment : public QObject {
    Q_OBJECT
private slots:
    void fifteenOpsLikeTimm()
    {
        QCOMPARE(int(randAugmentOps().size()), 15);
        QCOMPARE(QString::fromStdString(toString(AugOp::PosterizeIncreasing)),
                 QString("PosterizeIncreasing"));
    }
    void everyOpChangesTheImage()
    {
        const cv::Mat im = texture();
        for (AugOp op : randAugmentOps()) {
            for (bool neg : {false, true}) {
                cv::Mat out = applyOp(im, op, 9.0, neg);
                QVERIFY2(out.size() == im.size() && out.type() == im.type(), toString(op).c_str());
                QVERIFY2(!same(out, im), (toString(op) + " left the image unchanged").c_str());
            }
        }
    }
    void magnitudeZeroIsIdentity()
    {
        const cv::Mat im = texture();
        for (AugOp op : randAugmentOps()) {
            if (!hasMagnitude(op)) continue;
            for (bool neg : {false, true})
                QVERIFY2(same(applyOp(im, op, 0.0, neg), im),
                         (toString(op) + " changed the image at magnitude 0").c_str());
        }
    }
    void strengthGrowsWithMagnitude()
    {
        const cv::Mat im = texture();
        for (AugOp op : randAugmentOps()) {
            if (!hasMagnitude(op)) continue;
            const double weak = cv::norm(applyOp(im, op, 2.0), im, cv::NORM_L1);
            const double strong = cv::norm(applyOp(im, op, 9.0), im, cv::NORM_L1);
            QVERIFY2(strong >= weak,
                     (toString(op) + " is not stronger at magnitude 9 than at 2").c_str());
        }
    }
    void specificEffects()
    {
        const cv::Mat im = texture();
        cv::Mat inv = applyOp(im, AugOp::Invert, 0);
        QCOMPARE(int(inv.at<cv::Vec3b>(5, 7)[0]), 255 - im.at<cv::Vec3b>(5, 7)[0]);
        cv::Mat ac = applyOp(im, AugOp::AutoContrast, 0);
        double lo, hi;
        cv::minMaxLoc(ac.reshape(1), &lo, &hi);
        QCOMPARE(lo, 0.0);
        QCOMPARE(hi, 255.0);
        cv::Mat dark = applyOp(im, AugOp::BrightnessIncreasing, 10, true); // factor 0.1
        QVERIFY(cv::mean(dark)[0] < cv::mean(im)[0] * 0.2);
        cv::Mat post = applyOp(im, AugOp::PosterizeIncreasing, 10); // 4 bits kept
        for (int y = 0; y < post.rows; ++y)
            for (int x = 0; x < post.cols; ++x)
                QCOMPARE(post.at<cv::Vec3b>(y, x)[1] & 0x0F, 0);
        cv::Mat gray = applyOp(im, AugOp::ColorIncreasing, 10, true); // factor 0.1: nearly grey
        cv::Vec3b p = gray.at<cv::Vec3b>(10, 10);
        QVERIFY(std::abs(int(p[0]) - int(p[2])) <
                std::abs(int(im.at<cv::Vec3b>(10, 10)[0]) - int(im.at<cv::Vec3b>(10, 10)[2])));
        // TranslateXRel (PIL's convention): output(x) = input(x + 0.45 * m / 10 * width).
        const cv::Mat wide = texture(100, 80);
        cv::Mat t = applyOp(wide, AugOp::TranslateXRel, 8.0); // 36 px
        QCOMPARE(t.at<cv::Vec3b>(3, 10), wide.at<cv::Vec3b>(3, 46));
    }
    void augmentIsSeededAndSized()
    {
        const cv::Mat im = texture(120, 100);
        AugmentConfig cfg;
        cv::Mat a = augment(im, 64, cfg, 7), b = augment(im, 64, cfg, 7),
                c = augment(im, 64, cfg, 8);
        QCOMPARE(a.cols, 64);
        QCOMPARE(a.rows, 64);
        QVERIFY(same(a, b));
        QVERIFY(!same(a, c));
        AugmentConfig off;
        off.randAugment = off.randomResizedCrop = off.hflip = off.vflip = false;
        cv::Mat plain;
        cv::resize(im, plain, cv::Size(64, 64), 0, 0, cv::INTER_AREA);
        QVERIFY(same(augment(im, 64, off, 1), plain));
        AugmentConfig zero = off;
        zero.randAugment = true;
        zero.magnitude = 0;
        zero.magnitudeStd = 0;
        // With magnitude 0 only AutoContrast/Equalize/Invert can change the image.
        int changed = 0;
        for (std::uint64_t s = 0; s < 50; ++s)
            changed += !same(augment(im, 64, zero, s), plain);
        QVERIFY(changed < 50);
    }
};

QTEST_APPLESS_MAIN(TestLearnAugment)
#include "test_learn_augment.moc"
