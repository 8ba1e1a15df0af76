#include "ui/english_plurals.h"

#include <QCoreApplication>
#include <QPointer>
#include <QRegularExpression>
#include <QTranslator>

namespace kizu::ui {

namespace {

class EnglishPlurals : public QTranslator {
public:
    using QTranslator::QTranslator;
    QString translate(const char*, const char* sourceText, const char*, int n) const override
    {
        if (n < 0 || !sourceText) return {}; // null: not ours, the source text stands
        const QString source = QString::fromUtf8(sourceText);
        if (!source.contains(QLatin1String("%n"))) return {};
        return englishPlural(source, n);
    }
    bool isEmpty() const override { return false; }
};

QPointer<EnglishPlurals> g_installed;

} // namespace

QString englishPlural(const QString& sourceText, int n)
{
    static const QRegularExpression suffix(QStringLiteral("\\((e?s)\\)"));
    QString out;
    qsizetype from = 0;
    for (auto it = suffix.globalMatch(sourceText); it.hasNext();) {
        const auto m = it.next();
        out += sourceText.mid(from, m.capturedStart() - from);
        if (n != 1) out += m.captured(1);
        from = m.capturedEnd();
    }
    return out + sourceText.mid(from);
}

void installEnglishPlurals()
{
    auto* app = QCoreApplication::instance();
    if (!app || g_installed) return;
    g_installed = new EnglishPlurals(app);
    QCoreApplication::installTranslator(g_installed);
}

} // namespace kizu::ui

// Static kizu_ui: this symbol is named on every consumer's link line (ui/CMakeLists.txt) so
// that this object, and with it the startup function below, is always linked in.
extern "C" void kizu_ui_english_plurals()
{
    kizu::ui::installEnglishPlurals();
}

static void kizuInstallEnglishPlurals()
{
    kizu::ui::installEnglishPlurals();
}
Q_COREAPP_STARTUP_FUNCTION(kizuInstallEnglishPlurals)
