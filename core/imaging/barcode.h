// Barcodes in a frame (ZXing, libzxing-dev): a part id printed on the part or its carrier, for
// tracing results (docs/line.md). Optional at build time: without ZXing, barcodeAvailable() is
// false and readBarcode throws.
#pragma once

#include <opencv2/core.hpp>
#include <string>

namespace kizu::imaging {

bool barcodeAvailable();

// The text of the first barcode found (QR Code, Data Matrix, Code 128, EAN, ...) in an 8-bit
// BGR or grey image; empty when there is none. Throws InvalidArgument without ZXing.
std::string readBarcode(const cv::Mat& image);

} // namespace kizu::imaging
