// Counted text reads "1 image" and "2 images": in the GUI through Qt's numerus forms (the
// English translator that kizu_ui installs when the application object is made, with nothing
// for a caller to set up) and in kizu-cli's messages through counted().
#include "app/cli/counted.h"
#include "ui/cg_viewport.h"
#include "ui/english_plurals.h"

#include <QLabel>
#include <QtTest>

using kizu::ui::englishPlural;

class TestPlurals : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void englishForms()
    {
        QCOMPARE(englishPlural(QStringLiteral("%n image(s)"), 1), QStringLiteral("%n image"));
        QCOMPARE(englishPlural(QStringLiteral("%n image(s)"), 2), QStringLiteral("%n images"));
        QCOMPARE(englishPlural(QStringLiteral("%n match(es) in 3 files"), 0),
                 QStringLiteral("%n matches in 3 files"));
        QCOMPARE(englishPlural(QStringLiteral("%n match(es)"), 1), QStringLiteral("%n match"));
    }

    void trGivesEnglishForms()
    {
        QCOMPARE(QObject::tr("%n image(s)", nullptr, 1), QStringLiteral("1 image"));
        QCOMPARE(QObject::tr("%n image(s)", nullptr, 2), QStringLiteral("2 images"));
        QCOMPARE(QObject::tr("%n image(s)", nullptr, 0), QStringLiteral("0 images"));
        QCOMPARE(QObject::tr("Batch of %n image(s) started", nullptr, 1),
                 QStringLiteral("Batch of 1 image started"));
        // Text without a count is not touched.
        QCOMPARE(QObject::tr("Lock (s)"), QStringLiteral("Lock (s)"));
    }

    // A real label: the 3D view's line under the mesh names its lights.
    void uiTextUsesThem()
    {
        kizu::ui::CgViewport view;
        kizu::ui::CgViewScene scene;
        scene.lights.resize(1);
        view.setScene(scene);
        auto infoText = [&] {
            QStringList texts;
            for (QLabel* l : view.findChildren<QLabel*>())
                texts << l->text();
            return texts.join(QLatin1Char('\n'));
        };
        QVERIFY2(infoText().contains(QLatin1String("1 light")), qPrintable(infoText()));
        QVERIFY(!infoText().contains(QLatin1String("light(s)")));
        QVERIFY(!infoText().contains(QLatin1String("1 lights")));
        scene.lights.resize(2);
        view.setScene(scene);
        QVERIFY2(infoText().contains(QLatin1String("2 lights")), qPrintable(infoText()));
    }

    void cliCounted()
    {
        using kizu::cli::counted;
        QCOMPARE(counted(1, "image"), std::string("1 image"));
        QCOMPARE(counted(2, "image"), std::string("2 images"));
        QCOMPARE(counted(0, "step"), std::string("0 steps"));
        QCOMPARE(counted(1, "match", "matches"), std::string("1 match"));
        QCOMPARE(counted(3, "match", "matches"), std::string("3 matches"));
    }
};

QTEST_MAIN(TestPlurals)
#include "test_plurals.moc"
