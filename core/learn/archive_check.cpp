#include "core/learn/archive_check.h"

#include "core/common/error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kizu::learn::detail {
namespace {

[[noreturn]] void bad(const std::string& name, const std::string& why)
{
    // Worded like LibTorch's own read errors in readArchive (networks.cpp).
    throw FormatError(name + " is damaged or truncated and cannot be read (" + why +
                      "); nothing in it was loaded. Use another copy of the file.");
}

std::uint64_t le(std::string_view b, std::size_t at, int n)
{
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + std::size_t(i)]);
    return v;
}

struct Entry {
    std::string name;
    std::uint64_t dataOffset = 0, size = 0;
};

} // namespace

void checkPickle(std::string_view p, const std::string& name)
{
    // A walk over the opcodes, as Python's unpickler would take them, without building
    // anything: every operand must lie inside the data, memo references must exist, and the
    // stack depth is tracked (with its marks) so that no opcode pops what is not there.
    // LibTorch's unpickler trusts all three (an APPEND on an empty stack reads before its
    // vector; found by fuzz_model_file).
    const std::size_t n = p.size();
    std::size_t i = 0;
    std::uint64_t memo = 0; // memo slots assigned so far (the pickler numbers them in order)
    std::size_t depth = 0;  // values on the stack
    std::vector<std::size_t> marks; // stack depth at each MARK still open
    auto need = [&](std::uint64_t k, const char* what) {
        if (k > n - i) bad(name, std::string("pickle ") + what + " runs past the end of the data");
    };
    auto line = [&]() {
        const std::size_t end = p.find('\n', i);
        if (end == std::string_view::npos) bad(name, "pickle text operand without its end");
        const std::size_t start = i;
        i = end + 1;
        return p.substr(start, end - start);
    };
    auto number = [&](std::string_view text) {
        std::uint64_t v = 0;
        for (char c : text) {
            if (c < '0' || c > '9' || v > (std::uint64_t(1) << 40))
                bad(name, "pickle memo index is not a number");
            v = v * 10 + std::uint64_t(c - '0');
        }
        return v;
    };
    auto pop = [&](std::size_t k) { // values above the innermost mark, as Python's unpickler
        const std::size_t floor = marks.empty() ? 0 : marks.back();
        if (depth - floor < k) bad(name, "pickle stack underflow");
        depth -= k;
    };
    auto push = [&]() { ++depth; };
    auto popMark = [&]() {
        if (marks.empty()) bad(name, "pickle collects to a mark that was never set");
        const std::size_t items = depth - marks.back();
        depth = marks.back();
        marks.pop_back();
        return items;
    };
    auto counted = [&](int width) { // a string or bytes value after its little-endian length
        need(std::uint64_t(width), "length");
        const std::uint64_t len = le(p, i, width);
        i += std::size_t(width);
        need(len, "string");
        i += std::size_t(len);
        push();
    };
    auto put = [&](std::uint64_t id) {
        pop(1);
        push();
        if (id > memo) bad(name, "pickle memo index out of sequence");
        if (id == memo) ++memo;
    };
    auto get = [&](std::uint64_t id) {
        if (id >= memo) bad(name, "pickle refers to a memo entry that does not exist");
        push();
    };
    while (i < n) {
        const unsigned char op = static_cast<unsigned char>(p[i++]);
        switch (op) {
        case '.': // STOP
            pop(1);
            return;
        case '(': marks.push_back(depth); break;         // MARK
        case '0': pop(1); break;                         // POP
        case '1': popMark(); break;                      // POP_MARK
        case '2': pop(1); push(); push(); break;         // DUP
        case 'N': case 0x88: case 0x89: case ']': case '}': case ')': case 0x8f: case 0x97:
            push(); // NONE, NEWTRUE, NEWFALSE, EMPTY_LIST/DICT/TUPLE/SET, NEXT_BUFFER
            break;
        case 'R': case 'a': case 'b': case 0x81: case 0x86: case 0x93:
            pop(2); push(); // REDUCE, APPEND, BUILD, NEWOBJ, TUPLE2, STACK_GLOBAL
            break;
        case 's': case 0x92: case 0x87: pop(3); push(); break; // SETITEM, NEWOBJ_EX, TUPLE3
        case 'Q': case 0x85: case 0x98: pop(1); push(); break; // BINPERSID, TUPLE1, READONLY_BUFFER
        case 0x94: pop(1); push(); ++memo; break;              // MEMOIZE
        case 'd': case 'l': case 't': case 0x91: popMark(); push(); break; // DICT, LIST, TUPLE, FROZENSET
        case 'e': case 0x90: popMark(); pop(1); push(); break;   // APPENDS, ADDITEMS
        case 'u':                                                // SETITEMS: key, value pairs
            if (popMark() % 2 != 0) bad(name, "pickle SETITEMS with a key and no value");
            pop(1);
            push();
            break;
        case 'o': // OBJ: class and arguments
            if (popMark() < 1) bad(name, "pickle OBJ without a class");
            push();
            break;
        // Fixed-size operands.
        case 0x80: need(1, "operand"); i += 1; break; // PROTO
        case 'K': case 0x82: need(1, "operand"); i += 1; push(); break;
        case 'h': need(1, "operand"); get(le(p, i, 1)); i += 1; break;
        case 'q': need(1, "operand"); put(le(p, i, 1)); i += 1; break;
        case 'M': case 0x83: need(2, "operand"); i += 2; push(); break;
        case 'J': case 0x84: need(4, "operand"); i += 4; push(); break;
        case 'j': need(4, "operand"); get(le(p, i, 4)); i += 4; break;
        case 'r': need(4, "operand"); put(le(p, i, 4)); i += 4; break;
        case 'G': need(8, "operand"); i += 8; push(); break;
        case 0x95: { // FRAME: a size hint for what follows
            need(8, "frame header");
            const std::uint64_t len = le(p, i, 8);
            i += 8;
            need(len, "frame");
            break;
        }
        // Newline-terminated operands.
        case 'I': case 'L': case 'F': case 'S': case 'V': case 'P': line(); push(); break;
        case 'g': get(number(line())); break;
        case 'p': put(number(line())); break;
        case 'c': line(); line(); push(); break; // GLOBAL: module and name
        case 'i': line(); line(); popMark(); push(); break; // INST
        // Length-prefixed operands: the length must fit in what is left.
        case 'U': case 'C': case 0x8c: case 0x8a: counted(1); break;
        case 'T': case 'B': case 'X': case 0x8b: counted(4); break;
        case 0x8d: case 0x8e: case 0x96: counted(8); break;
        default:
            bad(name, "unknown pickle opcode " + std::to_string(op));
        }
    }
    bad(name, "the pickle ends without its STOP; the file is truncated");
}

void checkTorchArchive(std::string_view b, const std::string& name)
{
    const std::size_t n = b.size();
    // End of central directory: the last "PK\5\6" within the last 64 kB + 22 bytes.
    if (n < 22) bad(name, "too short for a zip archive");
    std::size_t eocd = std::string_view::npos;
    for (std::size_t k = n - 22 + 1; k-- > 0 && n - k <= 22 + 65535;)
        if (b.compare(k, 4, "PK\x05\x06") == 0) {
            eocd = k;
            break;
        }
    if (eocd == std::string_view::npos) bad(name, "no zip directory; truncated");
    std::uint64_t entries = le(b, eocd + 10, 2), cdSize = le(b, eocd + 12, 4),
                  cdOffset = le(b, eocd + 16, 4);
    // torch.save writes a zip64 record too, and LibTorch's zip reader (miniz) prefers it when
    // its locator is there: check those values, and that both records agree.
    const bool zip64 = eocd >= 20 && b.compare(eocd - 20, 4, "PK\x06\x07") == 0;
    if (zip64) {
        const std::uint64_t z = le(b, eocd - 20 + 8, 8);
        if (z > n || n - z < 56 || b.compare(std::size_t(z), 4, "PK\x06\x06") != 0)
            bad(name, "zip64 directory record damaged");
        const std::uint64_t e64 = le(b, std::size_t(z) + 32, 8), s64 = le(b, std::size_t(z) + 40, 8),
                            o64 = le(b, std::size_t(z) + 48, 8);
        if ((entries != 0xFFFF && entries != e64) || (cdSize != 0xFFFFFFFF && cdSize != s64) ||
            (cdOffset != 0xFFFFFFFF && cdOffset != o64) || le(b, std::size_t(z) + 24, 8) != e64)
            bad(name, "the zip directory records disagree");
        entries = e64;
        cdSize = s64;
        cdOffset = o64;
    } else if (entries == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) {
        bad(name, "zip64 locator missing");
    }
    if (cdOffset > n || cdSize > n - cdOffset) bad(name, "zip directory lies outside the file");
    if (entries == 0 || entries > cdSize / 46) bad(name, "implausible zip entry count");

    std::vector<Entry> all;
    std::size_t at = std::size_t(cdOffset);
    const std::size_t cdEnd = std::size_t(cdOffset + cdSize);
    for (std::uint64_t e = 0; e < entries; ++e) {
        if (cdEnd - at < 46 || b.compare(at, 4, "PK\x01\x02") != 0) bad(name, "zip directory entry damaged");
        const std::uint64_t method = le(b, at + 10, 2);
        std::uint64_t comp = le(b, at + 20, 4), uncomp = le(b, at + 24, 4);
        const std::size_t nameLen = std::size_t(le(b, at + 28, 2)), extraLen = std::size_t(le(b, at + 30, 2)),
                          commentLen = std::size_t(le(b, at + 32, 2));
        std::uint64_t local = le(b, at + 42, 4);
        if (cdEnd - at - 46 < nameLen + extraLen + commentLen) bad(name, "zip directory entry cut off");
        Entry entry;
        entry.name = std::string(b.substr(at + 46, nameLen));
        // Zip64 sizes and offset, in this order, for the fields that hold 0xFFFFFFFF.
        std::size_t x = at + 46 + nameLen;
        const std::size_t xEnd = x + extraLen;
        while (xEnd - x >= 4) {
            const std::uint64_t tag = le(b, x, 2), len = le(b, x + 2, 2);
            if (len > xEnd - x - 4) bad(name, "zip extra field cut off");
            if (tag == 1) {
                std::size_t y = x + 4;
                for (std::uint64_t* f : {&uncomp, &comp, &local})
                    if (*f == 0xFFFFFFFF) {
                        if (x + 4 + len - y < 8) bad(name, "zip64 field cut off");
                        *f = le(b, y, 8);
                        y += 8;
                    }
            }
            x += 4 + std::size_t(len);
        }
        if (method != 0 || comp != uncomp)
            bad(name, "compressed zip entry " + entry.name + " (torch.save stores its data)");
        if (local > n || n - local < 30 || b.compare(std::size_t(local), 4, "PK\x03\x04") != 0)
            bad(name, "zip entry " + entry.name + " points outside the file");
        const std::uint64_t dataAt = local + 30 + le(b, std::size_t(local) + 26, 2) + le(b, std::size_t(local) + 28, 2);
        if (dataAt > n || uncomp > n - dataAt) bad(name, "zip entry " + entry.name + " is larger than the file");
        entry.dataOffset = dataAt;
        entry.size = uncomp;
        all.push_back(std::move(entry));
        at += 46 + nameLen + extraLen + commentLen;
    }
    // torch.save writes ARCHIVE/data.pkl, ARCHIVE/data/0 ... under one top folder.
    const std::string& first = all.front().name;
    const std::size_t slash = first.find('/');
    if (slash == std::string::npos) bad(name, "not a torch.save archive (no top folder)");
    const std::string pkl = first.substr(0, slash) + "/data.pkl";
    for (const auto& e : all)
        if (e.name == pkl) {
            checkPickle(b.substr(std::size_t(e.dataOffset), std::size_t(e.size)), name);
            return;
        }
    bad(name, "no data.pkl in the archive");
}

} // namespace kizu::learn::detail
