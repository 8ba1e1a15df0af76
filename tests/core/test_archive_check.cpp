// The pickle walk that guards LibTorch's unpickler (core/learn/archive_check): real pickles pass,
// and the shapes a hostile file uses to make the unpickler read outside its stack are refused
// with a FormatError before LibTorch sees them.
#include "core/common/error.h"
#include "core/learn/archive_check.h"

#include <QtTest>

#include <string>

using kizu::learn::detail::checkPickle;

namespace {
std::string bytes(std::initializer_list<int> b)
{
    std::string s;
    for (int c : b) s.push_back(char(c));
    return s;
}
} // namespace

class TestArchiveCheck : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void realPicklesPass()
    {
        // pickle.dumps({'a': [1, 2]}, protocol=2) and pickle.dumps((1, 'x', None), protocol=2)
        const std::string dict = bytes({0x80, 2, '}', 'q', 0, 'X', 1, 0, 0, 0, 'a', 'q', 1, ']',
                                        'q', 2, '(', 'K', 1, 'K', 2, 'e', 's', '.'});
        const std::string tuple =
            bytes({0x80, 2, 'K', 1, 'X', 1, 0, 0, 0, 'x', 'q', 0, 'N', 0x87, 'q', 1, '.'});
        checkPickle(dict, "dict.pkl");
        checkPickle(tuple, "tuple.pkl");
    }
    void stackUnderflowRefused_data()
    {
        QTest::addColumn<QByteArray>("pickle");
        QTest::addColumn<QString>("why");
        auto b = [](std::initializer_list<int> v) {
            QByteArray a;
            for (int c : v) a.append(char(c));
            return a;
        };
        QTest::newRow("append on empty") << b({0x80, 2, 'a', '.'}) << "underflow";
        QTest::newRow("stop on empty") << b({0x80, 2, '.'}) << "underflow";
        QTest::newRow("reduce with one") << b({'N', 'R', '.'}) << "underflow";
        QTest::newRow("pop below mark") << b({'N', '(', '0', '.'}) << "underflow";
        QTest::newRow("appends without mark") << b({']', 'K', 1, 'e', '.'}) << "mark";
        QTest::newRow("appends without list") << b({'(', 'K', 1, 'e', '.'}) << "underflow";
        QTest::newRow("setitems odd") << b({'}', '(', 'K', 1, 'u', '.'}) << "SETITEMS";
        QTest::newRow("tuple3 of two") << b({'K', 1, 'K', 2, 0x87, '.'}) << "underflow";
        QTest::newRow("memoize empty") << b({0x94, 'N', '.'}) << "underflow";
        QTest::newRow("put empty") << b({'q', 0, 'N', '.'}) << "underflow";
        QTest::newRow("text memo huge") << b({'N', 'p', '9', '9', '9', '9', '9', '9', '9', '9', '9',
                                             '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9',
                                             '9', '9', '\n', '.'})
                                        << "memo";
    }
    void stackUnderflowRefused()
    {
        QFETCH(QByteArray, pickle);
        QFETCH(QString, why);
        try {
            checkPickle(std::string(pickle.constData(), std::size_t(pickle.size())), "evil.pkl");
            QFAIL("a hostile pickle was accepted");
        } catch (const kizu::FormatError& e) {
            const QString msg = QString::fromUtf8(e.what());
            QVERIFY2(msg.contains("evil.pkl") && msg.contains(why), qPrintable(msg));
        }
    }
};

QTEST_APPLESS_MAIN(TestArchiveCheck)
#include "test_archive_check.moc"
