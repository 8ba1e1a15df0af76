#include "core/imaging/barcode.h"

#include "core/common/error.h"

#include <opencv2/imgproc.hpp>

#ifdef KIZU_HAVE_ZXING
#define ZX_USE_UTF8 1 // Result::text() as UTF-8 (zxing-cpp 1.4)
#include <ZXing/ReadBarcode.h>
#endif

namespace kizu::imaging {

bool barcodeAvailable()
{
#ifdef KIZU_HAVE_ZXING
    return true;
#else
    return false;
#endif
}

std::string readBarcode(const cv::Mat& image)
{
#ifdef KIZU_HAVE_ZXING
    if (image.empty()) return {};
    cv::Mat grey;
    if (image.channels() == 3) cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
    else if (image.channels() == 1) grey = image;
    else throw InvalidArgument("Barcodes are read from grey or BGR images.");
    if (grey.depth() != CV_8U) grey.convertTo(grey, CV_8U);
    const ZXing::ImageView view(grey.data, grey.cols, grey.rows, ZXing::ImageFormat::Lum,
                                int(grey.step));
    ZXing::DecodeHints hints;
    hints.setTryHarder(true);
    hints.setTryRotate(true);
    const ZXing::Result r = ZXing::ReadBarcode(view, hints);
    return r.isValid() ? r.text() : std::string();
#else
    (void)image;
    throw InvalidArgument("This Kizu was built without ZXing (libzxing-dev): barcodes cannot be "
                          "read. Install libzxing-dev and rebuild (scripts/setup.sh).");
#endif
}

} // namespace kizu::imaging
