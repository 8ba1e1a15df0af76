#!/usr/bin/env python3
"""Lists the skipped Qt Test functions of a test run, with their reasons, and checks them
against the skips that are allowed anywhere (the one allow-list, below).

Every Qt test writes a plain-text log to BUILD/test-logs/NAME.txt (tests/CMakeLists.txt);
scripts/test.sh runs this script on that folder after ctest. With --enforce (CI sets KIZU_CI=1,
and scripts/test.sh passes --enforce then) a skip that is not on the allow-list fails the run:
CI has BSData, the fake camera and the weights, so a test that skipped for one of them did not
run what CI is there to run. (Under KIZU_CI=1 those tests fail by themselves too; this is the
second line, for skips written without the macros of tests/common/test_support.h.)

    scripts/check_skips.py BUILD/test-logs [--enforce]
    scripts/check_skips.py --self-test
"""
import argparse
import os
import re
import sys
import tempfile

# (test executable, reason prefix, why the skip is fine in CI). A skip is allowed when its test
# matches and its reason starts with the prefix. Keep each entry's why honest: an entry is a
# test CI does not run.
ALLOWED = [
    ("test_first_run", "set KIZU_SCREENSHOT_DIR",
     "screenshots for the docs are made on request, not in CI"),
    ("test_compare_page", "set KIZU_SCREENSHOT_DIR", "screenshots for the docs, on request"),
    ("test_train_page", "set KIZU_SCREENSHOT_DIR", "screenshots for the docs, on request"),
    ("test_train_patchcore", "set KIZU_SCREENSHOT_DIR", "screenshots for the docs, on request"),
    ("test_baseline_panel", "set KIZU_SCREENSHOT_DIR", "screenshots for the docs, on request"),
    ("test_cg_studio_page", "set KIZU_SCREENSHOT_DIR", "screenshots for the docs, on request"),
    ("test_inspect_page", "set KIZU_SCREENSHOT_DIR", "screenshots for the docs, on request"),
    ("test_dataset_roi", "set KIZU_SCREENSHOT_DIR", "screenshots for the docs, on request"),
    ("test_line_results", "set KIZU_SCREENSHOT_DIR", "screenshots for the docs, on request"),
    ("test_station", "set KIZU_SCREENSHOT_DIR", "screenshots for the docs, on request"),
    ("test_inspect_page", "set KIZU_MEASURE_TUNE=1",
     "a timing of the one-click tune on all of BSData, for docs/results.md; minutes long"),
    ("test_cg_studio_page", "no OpenGL here",
     "the Qt3D window needs OpenGL, which the offscreen platform of the UI tests may lack"),
    ("test_cli_reliability", "cannot make a folder read-only here",
     "root on a file system without chattr ignores permissions: nothing to test there"),
    ("test_cli_retention", "cannot mount a tmpfs here",
     "the tiny-disk run needs a mount namespace (root, or user namespaces); without one, "
     "test_retention's floorAboveFreeSpaceKeepsInspecting still checks the free-disk floor"),
    ("test_learn_import", "Python's torch/torchvision are absent",
     "the peer check against torchvision needs Debian's python3-torch, an optional extra"),
]

# Qt Test's plain-text logger: "SKIP   : TestClass::function(tag) reason", then a "Loc:" line.
SKIP_LINE = re.compile(r"^SKIP\s+:\s+(\S+?\(.*?\))\s?(.*)$")


def parse_log(text):
    """[(function, reason)] of the SKIP lines of one Qt Test text log."""
    out = []
    for line in text.splitlines():
        m = SKIP_LINE.match(line)
        if m:
            out.append((m.group(1), m.group(2).strip()))
    return out


def allowed(test, reason):
    for name, prefix, why in ALLOWED:
        if name == test and reason.startswith(prefix):
            return why
    return None


def collect(log_dir):
    """[(test, function, reason, why-or-None)] for every *.txt log in log_dir, sorted."""
    skips = []
    for entry in sorted(os.listdir(log_dir)):
        if not entry.endswith(".txt"):
            continue
        test = entry[:-4]
        with open(os.path.join(log_dir, entry), encoding="utf-8", errors="replace") as f:
            for function, reason in parse_log(f.read()):
                skips.append((test, function, reason, allowed(test, reason)))
    return skips


def report(skips, enforce, out=sys.stdout):
    """Prints the summary; returns the exit status (1 when enforcing and a skip is not allowed)."""
    bad = [s for s in skips if s[3] is None]
    print(f"skipped test functions: {len(skips)} ({len(skips) - len(bad)} allowed, "
          f"{len(bad)} not allowed)", file=out)
    for test, function, reason, why in skips:
        tag = "allowed" if why else "NOT ALLOWED"
        print(f"  {tag:11} {test}: {function}: {reason}", file=out)
        if why:
            print(f"              (allowed: {why})", file=out)
    if bad and enforce:
        print("A test skipped that CI must run (BSData, the fake camera and the weights are all "
              "present in CI). Fix the cause, or add the skip to ALLOWED in "
              "scripts/check_skips.py with the reason it is fine.", file=out)
        return 1
    return 0


def self_test():
    log = """********* Start testing of TestCamera *********
PASS   : TestCamera::initTestCase()
SKIP   : TestCamera::fakeGigECameraStreams() arv-fake-gv-camera-0.8 not found: install aravis-tools
   Loc: [/src/tests/core/test_camera.cpp(93)]
PASS   : TestCamera::cleanupTestCase()
"""
    ui = """SKIP   : TestInspectPage::screenshot() set KIZU_SCREENSHOT_DIR to save a screenshot
   Loc: [/src/tests/ui/test_inspect_page.cpp(456)]
SKIP   : TestInspectPage::tune(bsdata) set KIZU_MEASURE_TUNE=1 to time the one-click tune
"""
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    expect(parse_log(log) == [("TestCamera::fakeGigECameraStreams()",
                               "arv-fake-gv-camera-0.8 not found: install aravis-tools")],
           "parse a SKIP line")
    expect(parse_log("PASS   : A::b()\nFAIL!  : A::c() x\n") == [], "no skips in a clean log")
    expect(len(parse_log(ui)) == 2 and parse_log(ui)[1][0] == "TestInspectPage::tune(bsdata)",
           "a data tag stays with the function")
    expect(allowed("test_inspect_page", "set KIZU_SCREENSHOT_DIR to save a screenshot"),
           "screenshots are allowed")
    expect(not allowed("test_camera", "arv-fake-gv-camera-0.8 not found"),
           "a missing fake camera is not allowed")
    expect(not allowed("test_first_hour", "BSData photos not found: set KIZU_BSDATA"),
           "missing BSData is not allowed")
    expect(not allowed("test_learn", "squeezenet1_1-imagenet.pth not found"),
           "missing weights are not allowed")
    expect(not allowed("test_camera", "set KIZU_SCREENSHOT_DIR"),
           "an allowed reason counts only for its own test")
    with tempfile.TemporaryDirectory() as d:
        for name, text in (("test_camera.txt", log), ("test_inspect_page.txt", ui),
                           ("notes.md", "SKIP   : X::y() not a log\n")):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        skips = collect(d)
        expect(len(skips) == 3, "three skips collected from the .txt logs")
        with open(os.devnull, "w") as null:
            expect(report(skips, enforce=True, out=null) == 1, "a camera skip fails under CI")
            expect(report(skips, enforce=False, out=null) == 0, "and only reports otherwise")
            os.remove(os.path.join(d, "test_camera.txt"))
            expect(report(collect(d), enforce=True, out=null) == 0,
                   "allowed skips pass under CI")
    for f in failures:
        print("self-test FAILED:", f)
    print("self-test:", "failed" if failures else "passed")
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log_dir", nargs="?")
    ap.add_argument("--enforce", action="store_true",
                    help="exit 1 when a skip is not on the allow-list (CI)")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if not args.log_dir:
        ap.error("give the folder of the test logs (BUILD/test-logs)")
    if not os.path.isdir(args.log_dir):
        print(f"check_skips: no test logs in {args.log_dir}", file=sys.stderr)
        return 1 if args.enforce else 0
    return report(collect(args.log_dir), args.enforce)


if __name__ == "__main__":
    sys.exit(main())
