#!/usr/bin/env python3
"""The contact sheet of docs/transplant.md: real BSData NG photos (train split, cropped around
their annotated defect) above CG defects transplanted by `kizu-cli cg transplant` onto BSData OK
photos (train split, cropped around the transplant), with the transplants' masks below.

    scripts/transplant_contact_sheet.py [--bsdata DIR] [--cli build/app/cli/kizu-cli]
        [--px-per-mm 80] [--seed 1] [--count 8] [--out docs/transplant_contact_sheet.png]

Needs ImageMagick's `convert` (a documentation tool; the station itself does not use it).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

CROP = 200


def crop_box(cx, cy, width, height):
    x0 = max(0, min(width - CROP, int(cx - CROP / 2)))
    y0 = max(0, min(height - CROP, int(cy - CROP / 2)))
    return f"{CROP}x{CROP}+{x0}+{y0}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--bsdata", default=os.path.join(root, "..", "shared", "data", "bsdata"))
    ap.add_argument("--cli", default=os.path.join(root, "build", "app", "cli", "kizu-cli"))
    ap.add_argument("--px-per-mm", default="80")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--params", default="pitting")
    ap.add_argument("--out", default=os.path.join(root, "docs", "transplant_contact_sheet.png"))
    a = ap.parse_args()
    if not os.path.exists(os.path.join(a.bsdata, "manifest.csv")):
        sys.exit(f"BSData not found in {a.bsdata} (give --bsdata DIR)")
    rows = list(csv.DictReader(open(os.path.join(a.bsdata, "manifest.csv"))))
    for r in rows:
        r["split"] = r["split"].strip()
    train_ok = [r for r in rows if r["split"] == "train" and r["label"] == "ok"]
    train_ng = [r for r in rows if r["split"] == "train" and r["label"] == "ng"]
    step_ok = max(1, len(train_ok) // a.count)
    step_ng = max(1, len(train_ng) // a.count)
    with tempfile.TemporaryDirectory() as tmp:
        okdir = os.path.join(tmp, "photos", "ok")
        os.makedirs(okdir)
        for r in train_ok[::step_ok][: a.count]:
            src = os.path.abspath(os.path.join(a.bsdata, r["path"]))
            os.symlink(src, os.path.join(okdir, os.path.basename(r["path"])))
        out = os.path.join(tmp, "out")
        subprocess.run([a.cli, "cg", "transplant", "--onto", os.path.join(tmp, "photos"),
                        "--count", str(a.count), "--seed", a.seed, "--px-per-mm", a.px_per_mm,
                        "--params", a.params, "--out", out, "--quiet"], check=True)
        real, tp, masks = [], [], []
        for k, r in enumerate(train_ng[::step_ng][: a.count]):
            poly = os.path.join(a.bsdata, "ng_polygons",
                                os.path.basename(r["path"]).replace(".jpg", ".json"))
            shape = json.load(open(poly))["shapes"][0]
            xs = [p[0] for p in shape["points"]]
            ys = [p[1] for p in shape["points"]]
            o = os.path.join(tmp, f"real{k}.png")
            subprocess.run(["convert", os.path.join(a.bsdata, r["path"]), "-crop",
                            crop_box((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, 1130, 460),
                            "+repage", o], check=True)
            real.append(o)
        for i in range(a.count):
            side = json.load(open(os.path.join(out, "ng", f"tp_{i:06d}.json")))
            x, y, w, h = side["region"]
            box = crop_box(x + w / 2, y + h / 2, side["photo"]["width"], side["photo"]["height"])
            for src, dst, lst in ((os.path.join(out, "ng", f"tp_{i:06d}.png"), f"tp{i}.png", tp),
                                  (os.path.join(out, "masks", "ng", f"tp_{i:06d}.png"),
                                   f"mask{i}.png", masks)):
                o = os.path.join(tmp, dst)
                subprocess.run(["convert", src, "-crop", box, "+repage", o], check=True)
                lst.append(o)
        rowfiles = []
        for name, files in (("real", real), ("tp", tp), ("mask", masks)):
            o = os.path.join(tmp, f"row_{name}.png")
            subprocess.run(["convert"] + files + ["+append", o], check=True)
            rowfiles.append(o)
        subprocess.run(["convert"] + rowfiles + ["-append", a.out], check=True)
    print(f"wrote {a.out}: row 1 real BSData NG (train split), row 2 transplants onto BSData OK "
          f"(train split, {a.params}, {a.px_per_mm} px/mm, seed {a.seed}), row 3 their masks")


if __name__ == "__main__":
    main()
