#!/usr/bin/python3
"""Scores photos with a Kizu ONNX export in OpenCV's DNN module (Python), without Kizu.

Usage: onnx_scores.py MODEL.onnx WIDTH HEIGHT IMAGE...
WIDTH x HEIGHT is the graph's input canvas (the ONNX file's metadata: input_width, input_height;
`kizu-cli model export --onnx` prints it). Prints one line per image: "<NG score> <path>".
It is also how tests/core/test_learn_onnx.cpp checks the export against Python's cv2.
"""
import sys

import cv2


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    net = cv2.dnn.readNetFromONNX(argv[1])
    width, height = int(argv[2]), int(argv[3])
    for path in argv[4:]:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            sys.stderr.write("cannot read %s\n" % path)
            return 1
        rows, cols = image.shape[:2]
        if (cols, rows) != (width, height):
            # The station's resize: INTER_AREA when shrinking both sides, else INTER_LINEAR.
            shrink = cols > width and rows > height
            image = cv2.resize(image, (width, height),
                               interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        net.setInput(cv2.dnn.blobFromImage(image), "image")  # BGR, 0-255, NCHW
        scores = net.forward("scores")
        print("%.7f %s" % (float(scores[0, 1]), path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
