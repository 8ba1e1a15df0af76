// English plural forms for counted UI text: tr("%n image(s)", nullptr, n) reads "1 image",
// "2 images". Qt chooses a numerus form only through a translator, and Kizu ships none, so
// without this one every count would read "1 image(s)".
#pragma once

#include <QString>

namespace kizu::ui {

// The English form of a numerus source text: each "(s)" or "(es)" is dropped for n == 1 and
// kept without its brackets otherwise; "%n" is left for Qt to fill in.
QString englishPlural(const QString& sourceText, int n);

// Installs the translator (once per application). Runs by itself when the QCoreApplication is
// constructed; a translation installed later is asked first.
void installEnglishPlurals();

} // namespace kizu::ui
