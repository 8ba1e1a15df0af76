// Output of CG samples: PNG bytes, OBJ meshes, encoded batches in memory, contact sheets.
#include "core/cg/cg_generator.h"

#include "core/common/error.h"
#include "core/common/fs_util.h"

#include <charconv>
#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <zlib.h>

namespace kizu::cg {

namespace {
void putU32(std::string& s, std::uint32_t v)
{
    for (int shift = 24; shift >= 0; shift -= 8)
        s += char((v >> shift) & 0xFF);
}

void putChunk(std::string& s, const char* type, const std::string& data)
{
    putU32(s, std::uint32_t(data.size()));
    const std::size_t start = s.size();
    s.append(type, 4);
    s += data;
    const auto crc =
        crc32(0, reinterpret_cast<const Bytef*>(s.data() + start), uInt(s.size() - start));
    putU32(s, std::uint32_t(crc));
}
} // namespace

std::string encodePng(const cv::Mat& image)
{
    if (image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
        throw InvalidArgument("encodePng takes 8-bit grey or BGR images.");
    // A small PNG writer instead of cv::imencode: libpng tries five row filters per row, which
    // costs more than rendering; the "Sub" filter with zlib's RLE strategy is several times
    // faster at a similar size on noisy renders, and tiny on masks. The bytes depend only on
    // the pixels (and the zlib build).
    const int w = image.cols, h = image.rows, ch = image.channels();
    std::string raw(std::size_t(h) * (1 + std::size_t(w) * ch), '\0');
    char* out = raw.data();
    for (int y = 0; y < h; ++y) {
        const std::uint8_t* row = image.ptr<std::uint8_t>(y);
        *out++ = 1; // filter type Sub
        if (ch == 1) {
            std::uint8_t prev = 0;
            for (int x = 0; x < w; ++x) {
                *out++ = char(std::uint8_t(row[x] - prev));
                prev = row[x];
            }
        } else {
            std::uint8_t pr = 0, pg = 0, pb = 0;
            for (int x = 0; x < w; ++x) {
                const std::uint8_t b = row[3 * x], g = row[3 * x + 1], r = row[3 * x + 2];
                *out++ = char(std::uint8_t(r - pr));
                *out++ = char(std::uint8_t(g - pg));
                *out++ = char(std::uint8_t(b - pb));
                pr = r, pg = g, pb = b;
            }
        }
    }
    z_stream z{};
    if (deflateInit2(&z, 1, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK)
        throw FormatError("Could not start PNG compression (zlib).");
    std::string idat(deflateBound(&z, uLong(raw.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(raw.data());
    z.avail_in = uInt(raw.size());
    z.next_out = reinterpret_cast<Bytef*>(idat.data());
    z.avail_out = uInt(idat.size());
    const int rc = deflate(&z, Z_FINISH);
    idat.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw FormatError("PNG compression (zlib) failed.");

    std::string png("\x89PNG\r\n\x1a\n", 8);
    std::string ihdr;
    putU32(ihdr, std::uint32_t(w));
    putU32(ihdr, std::uint32_t(h));
    ihdr += char(8);               // bit depth
    ihdr += char(ch == 1 ? 0 : 2); // grey or RGB
    ihdr += std::string(3, '\0');  // deflate, adaptive filtering, no interlace
    putChunk(png, "IHDR", ihdr);
    putChunk(png, "IDAT", idat);
    putChunk(png, "IEND", {});
    return png;
}

namespace {
void appendNumber(std::string& s, double v)
{
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 5);
    s.append(buf, r.ptr);
}
} // namespace

void writeObj(const cv::Mat& heightMapUm, double pixelSizeUm, const std::filesystem::path& path)
{
    if (heightMapUm.type() != CV_32F || heightMapUm.rows < 2 || heightMapUm.cols < 2)
        throw InvalidArgument("writeObj needs a float height map of at least 2x2 pixels.");
    if (!(pixelSizeUm > 0)) throw InvalidArgument("writeObj needs a positive pixel size.");
    const int rows = heightMapUm.rows, cols = heightMapUm.cols;
    const double mm = pixelSizeUm / 1000.0;
    std::string s;
    s.reserve(std::size_t(rows) * cols * 70);
    s += "# Kizu CG height map: " + std::to_string(cols) + "x" + std::to_string(rows) +
         " vertices, units mm, pixel " + std::to_string(pixelSizeUm) + " um\n";
    s += "o kizu_cg_surface\n";
    for (int y = 0; y < rows; ++y) {
        const float* h = heightMapUm.ptr<float>(y);
        for (int x = 0; x < cols; ++x) {
            s += "v ";
            appendNumber(s, x * mm);
            s += ' ';
            appendNumber(s, -y * mm); // image rows grow downwards, the mesh's y upwards
            s += ' ';
            appendNumber(s, h[x] / 1000.0);
            s += '\n';
        }
    }
    for (int y = 0; y < rows; ++y) {
        const float* h = heightMapUm.ptr<float>(y);
        const float* up = heightMapUm.ptr<float>(std::max(0, y - 1));
        const float* dn = heightMapUm.ptr<float>(std::min(rows - 1, y + 1));
        for (int x = 0; x < cols; ++x) {
            // Central differences in mm; mesh y = -row, so dz/dy has the opposite sign.
            const int xl = std::max(0, x - 1), xr = std::min(cols - 1, x + 1);
            const double dzdx = (h[xr] - h[xl]) / 1000.0 / ((xr - xl) * mm);
            const double dzdy =
                -(dn[x] - up[x]) / 1000.0 / ((std::min(rows - 1, y + 1) - std::max(0, y - 1)) * mm);
            const double inv = 1 / std::sqrt(dzdx * dzdx + dzdy * dzdy + 1);
            s += "vn ";
            appendNumber(s, -dzdx * inv);
            s += ' ';
            appendNumber(s, -dzdy * inv);
            s += ' ';
            appendNumber(s, inv);
            s += '\n';
        }
    }
    auto id = [cols](int x, int y) { return std::to_string(y * cols + x + 1); };
    auto corner = [&](int x, int y) {
        std::string i = id(x, y);
        return i + "//" + i;
    };
    for (int y = 0; y + 1 < rows; ++y)
        for (int x = 0; x + 1 < cols; ++x) {
            // Counter-clockwise seen from +z (mesh y points up, image rows down).
            s += "f " + corner(x, y) + ' ' + corner(x, y + 1) + ' ' + corner(x + 1, y + 1) + '\n';
            s += "f " + corner(x, y) + ' ' + corner(x + 1, y + 1) + ' ' + corner(x + 1, y) + '\n';
        }
    writeFileAtomic(path, s);
}

std::vector<EncodedSample> renderEncoded(const CgParams& params, std::uint64_t seed, int count,
                                         const ProgressFn& progress, const CancelToken* cancel)
{
    CgGenerator gen(params, seed);
    std::vector<EncodedSample> out;
    const int chunk = 32;
    for (int first = 0; first < count && !isCancelled(cancel); first += chunk) {
        const int n = std::min(chunk, count - first);
        std::vector<EncodedSample> part(static_cast<std::size_t>(n));
        cv::parallel_for_(cv::Range(0, n), [&](const cv::Range& r) {
            for (int i = r.start; i < r.end; ++i) {
                CgSample s = gen.render(std::uint64_t(first + i));
                part[std::size_t(i)] = {s.index, s.ng, encodePng(s.image), encodePng(s.mask),
                                        std::move(s.sampled)};
            }
        });
        for (auto& e : part)
            out.push_back(std::move(e));
        report(progress, {std::int64_t(out.size()), count, "render", {}});
    }
    return out;
}

cv::Mat contactSheet(const CgGenerator& generator, int perRow, int rows, int tileSize,
                     const std::vector<SheetRow>& extra)
{
    if (perRow < 1 || rows < 1 || tileSize < 16)
        throw InvalidArgument(
            "A contact sheet needs at least one row, one column and 16 px tiles.");
    const int gap = 4, label = 22;
    // Indices in order; OK and NG renders fill their own rows.
    std::vector<CgSample> ok, ng;
    std::uint64_t index = 0;
    const std::size_t want = std::size_t(perRow) * rows;
    while (ok.size() < want || ng.size() < want) {
        auto batch = renderRange(generator, index, 32);
        index += 32;
        for (auto& s : batch) {
            auto& dst = s.ng ? ng : ok;
            if (dst.size() < want) dst.push_back(std::move(s));
        }
    }
    const int totalRows = 2 * rows + int(extra.size());
    const int width = gap + perRow * (tileSize + gap);
    const int height = totalRows * (label + tileSize + gap) + gap;
    cv::Mat sheet(height, width, CV_8UC3, cv::Scalar(40, 40, 40));
    auto place = [&](const cv::Mat& img, int row, int col) {
        const int side = std::min(img.cols, img.rows);
        cv::Mat tile;
        cv::resize(img(cv::Rect((img.cols - side) / 2, (img.rows - side) / 2, side, side)), tile,
                   cv::Size(tileSize, tileSize), 0, 0, cv::INTER_AREA);
        int x = gap + col * (tileSize + gap), y = row * (label + tileSize + gap) + label;
        tile.copyTo(sheet(cv::Rect(x, y, tileSize, tileSize)));
    };
    auto caption = [&](int row, const std::string& text) {
        cv::putText(sheet, text, cv::Point(gap, row * (label + tileSize + gap) + label - 6),
                    cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(230, 230, 230), 1, cv::LINE_AA);
    };
    int row = 0;
    for (int r = 0; r < rows; ++r, ++row) {
        caption(row, "OK (CG)");
        for (int c = 0; c < perRow; ++c)
            place(ok[std::size_t(r * perRow + c)].image, row, c);
    }
    for (int r = 0; r < rows; ++r, ++row) {
        caption(row, "NG (CG)");
        for (int c = 0; c < perRow; ++c)
            place(ng[std::size_t(r * perRow + c)].image, row, c);
    }
    for (const auto& e : extra) {
        caption(row, e.caption);
        for (int c = 0; c < perRow && c < int(e.images.size()); ++c)
            place(e.images[std::size_t(c)], row, c);
        ++row;
    }
    return sheet;
}

} // namespace kizu::cg
