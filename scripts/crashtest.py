#!/usr/bin/env python3
"""Crash consistency: kills kizu-cli writers with SIGKILL at random moments and checks that
every time the project opens, passes PRAGMA integrity_check and has lost nothing committed
before the kill. Writers: import, labeling, CG batch generation, training and inspection
logging (kizu-cli inspect with a folder source, verdicts logged into the project).
Also the promises of issue 24: a completed import leaves no temporaries of killed ones; a file
that is not a project keeps every byte (refused); manifest rows outside the data folder are
refused with the row named (manifest); oversized work is refused before it starts (budget); a
killed fake GigE camera gives a FAULT within kizu-cli's default timeout (2 s) and frame numbers go on after it is
back (camera; needs arv-fake-gv-camera-0.8, which crash/short then locks as the 'gige' resource).

  scripts/crashtest.py [--runs N] [--seed S] [--cli build/app/cli/kizu-cli] [--only NAME,...]

Prints one line per scenario and a JSON summary; exits 1 on the first broken invariant (the
project it broke is kept and named). Uses only the standard library (sqlite3, hashlib)."""
import argparse, hashlib, json, os, random, re, shutil, signal, sqlite3, subprocess, sys, tempfile, threading, time, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# A temporary file of an atomic write (core/common/fs_util: ".NAME.tmpPID_TID_N").
TMP_NAME = re.compile(r"^\..+\.tmp\d+_\d+_\d+$")


class Broken(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Broken(what)


class Crash:
    def __init__(self, args):
        self.cli = os.path.abspath(args.cli)
        self.rng = random.Random(args.seed)
        self.runs = args.runs
        if args.tmp:
            os.makedirs(args.tmp, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="kizu-crash-", dir=args.tmp)
        self.env = dict(os.environ, KIZU_USER="crashtest")
        self.stats = {}

    # -- helpers ---------------------------------------------------------------------------
    def cli_ok(self, *a, timeout=600):
        r = subprocess.run([self.cli, *a], capture_output=True, text=True, env=self.env, timeout=timeout)
        if r.returncode != 0:
            raise Broken("kizu-cli %s failed (%d): %s" % (" ".join(a), r.returncode, r.stderr.strip()[-400:]))
        return r.stdout

    def run_and_kill(self, argv, delay_s):
        """Starts kizu-cli, kills it with SIGKILL after delay_s. True when it was killed,
        False when it finished first (then it must have succeeded)."""
        p = subprocess.Popen([self.cli, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=self.env)
        try:
            p.wait(timeout=delay_s)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            return True
        err = p.stderr.read().decode(errors="replace")
        if p.returncode != 0:
            raise Broken("kizu-cli %s failed (%d) before the kill: %s" % (" ".join(argv), p.returncode, err[-400:]))
        return False

    def timed(self, argv):
        t = time.monotonic()
        self.cli_ok(*argv)
        return time.monotonic() - t

    def db(self, project):
        path = os.path.join(project, "project.kizu")
        check(os.path.exists(path), project + ": the database is gone")
        return sqlite3.connect(path)

    def verify_project(self, project):
        """Opens like Kizu does, runs the integrity check, checks every stored image file
        against its hash; returns a snapshot of what is committed."""
        self.cli_ok("-p", project, "stats", "--json")  # Kizu itself opens it
        con = self.db(project)
        try:
            ic = con.execute("PRAGMA integrity_check").fetchall()
            check(ic == [("ok",)], "%s: integrity_check says %s" % (project, ic))
            fk = con.execute("PRAGMA foreign_key_check").fetchall()
            check(not fk, "%s: foreign_key_check says %s" % (project, fk[:5]))
            images = {h: (i, e) for i, h, e in con.execute("SELECT id, hash, ext FROM images")}
            labels = dict(con.execute("SELECT image_id, label FROM labels"))
            audit = con.execute("SELECT count(*) FROM audit WHERE action = 'label'").fetchone()[0]
            insp = [r for r in con.execute("SELECT id, model_sha, image_id FROM inspection_results")]
        finally:
            con.close()
        for h, (i, e) in images.items():
            f = os.path.join(project, "images", h[:2], h + e)
            check(os.path.exists(f), "%s: image %d's file %s is missing" % (project, i, f))
            with open(f, "rb") as fh:
                check(hashlib.sha256(fh.read()).hexdigest() == h, "%s: image %d's file is damaged" % (project, i))
        for rid, sha, img in insp:
            check(sha, "%s: inspection %d does not say which model produced it" % (project, rid))
            if img is not None:
                check(any(v[0] == img for v in images.values()), "%s: inspection %d names a missing image" % (project, rid))
        return {"images": images, "labels": labels, "audit": audit, "inspections": {r[0] for r in insp}}

    def count(self, name, killed):
        s = self.stats.setdefault(name, {"runs": 0, "killed": 0, "finished_first": 0})
        s["runs"] += 1
        s["killed" if killed else "finished_first"] += 1

    # -- data ------------------------------------------------------------------------------
    def make_photos(self, n):
        """n PNG files in a folder, from kizu-cli's CG renderer (fast, deterministic)."""
        out = os.path.join(self.work, "photos")
        if not os.path.isdir(out):
            self.cli_ok("cg", "batch", "--count", str(n), "--seed", "3", "--size", "96", "--out", out, "--quiet")
        files = sorted(os.path.join(out, c, f) for c in ("ok", "ng") for f in os.listdir(os.path.join(out, c))
                       if f.endswith(".png"))
        return out, files

    # -- scenarios -------------------------------------------------------------------------
    def import_(self):
        photos, files = self.make_photos(120)
        project = os.path.join(self.work, "import")
        self.cli_ok("project", "init", project)
        t_full = None
        for k in range(self.runs):
            before = self.verify_project(project)
            chunk = files[(k * 7) % len(files):][:40] or files[:40]
            lst = os.path.join(self.work, "chunk")
            shutil.rmtree(lst, ignore_errors=True)
            os.makedirs(lst)
            for f in chunk:
                os.symlink(f, os.path.join(lst, os.path.basename(f)))
            if t_full is None:
                t_full = max(0.3, self.timed(["-p", project, "import", lst]))  # calibration
                continue
            killed = self.run_and_kill(["-p", project, "import", lst], self.rng.uniform(0, t_full))
            after = self.verify_project(project)
            lost = set(before["images"]) - set(after["images"])
            check(not lost, "import: %d committed image(s) lost after a kill" % len(lost))
            self.count("import", killed)
        self.cli_ok("-p", project, "import", os.path.join(photos, "ok"), os.path.join(photos, "ng"))
        check(len(self.verify_project(project)["images"]) == len(files), "import: not every photo is in after the last run")
        # No orphans: the completed import removed every temporary a killed one left.
        orphans = [os.path.join(d, f) for d, _, fs in os.walk(project) for f in fs if TMP_NAME.match(f)]
        check(not orphans, "import: %d temporary file(s) left after a completed import, e.g. %s" %
              (len(orphans), orphans[:1]))

    # -- refusals and limits (issue 24) ------------------------------------------------------
    def refused(self):
        """A file that is not a Kizu project is refused by every command and keeps every byte."""
        img = self.make_photos(120)[1][0]
        cases = {"empty": b"", "noise": bytes(range(256)) * 20}
        for name, journal in (("foreign", "DELETE"), ("foreign_wal", "WAL")):
            path = os.path.join(self.work, name + ".db")
            con = sqlite3.connect(path)
            con.execute("PRAGMA journal_mode=" + journal)
            con.execute("CREATE TABLE t (x)")
            con.execute("INSERT INTO t VALUES (42)")
            con.commit()
            con.close()
            cases[name] = open(path, "rb").read()
        for k in range(max(1, self.runs // 3)):
            for name, data in cases.items():
                d = os.path.join(self.work, "refused_" + name)
                shutil.rmtree(d, ignore_errors=True)
                os.makedirs(d)
                f = os.path.join(d, "project.kizu")
                with open(f, "wb") as fh:
                    fh.write(data)
                for argv in (["project", "info"], ["stats"], ["label", "1", "ok"], ["import", img]):
                    r = subprocess.run([self.cli, "-p", d, *argv], capture_output=True, text=True, env=self.env)
                    check(r.returncode != 0, "refused: %s on %s succeeded" % (argv[0], name))
                    check("not a Kizu project" in r.stderr, "refused: %s on %s: %s" % (argv[0], name, r.stderr.strip()))
                    now = open(f, "rb").read()
                    check(now == data, "refused: %s changed %s (%d -> %d bytes)" % (argv[0], name, len(data), len(now)))
                self.count("refused", False)

    def manifest(self):
        """A manifest row that leaves the data folder stops the run and is named."""
        photos, files = self.make_photos(120)
        for bad in ("../outside.png", "/etc/passwd", "ok/../../x.png"):
            d = os.path.join(self.work, "manifest_data")
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            rows = ["path,label,split"]
            for f in files[:4] + files[-4:]:
                rel = os.path.join(os.path.basename(os.path.dirname(f)), os.path.basename(f))
                os.makedirs(os.path.join(d, os.path.dirname(rel)), exist_ok=True)
                shutil.copy(f, os.path.join(d, rel))
                rows.append("%s,%s,train" % (rel, os.path.dirname(rel)))
            rows.append(bad + ",ng,train")
            with open(os.path.join(d, "manifest.csv"), "w") as fh:
                fh.write("\n".join(rows) + "\n")
            for argv in (["train", "--data", d, "--size", "32", "--steps", "1", "--out", os.path.join(d, "m.kizumodel"), "--quiet"],
                         ["baseline", "eval", "--data", d, "--split", "all"]):
                r = subprocess.run([self.cli, *argv], capture_output=True, text=True, env=self.env)
                check(r.returncode != 0 and ("line %d" % len(rows)) in r.stderr and bad in r.stderr,
                      "manifest: %s with row %r: %d %s" % (argv[0], bad, r.returncode, r.stderr.strip()[-300:]))
            self.count("manifest", False)

    def budget(self):
        """Work beyond the memory budget is refused before it starts."""
        params = os.path.join(self.work, "huge.json")
        with open(params, "w") as fh:
            json.dump({"camera": {"imageSize": 4096, "oversample": 4}}, fh)
        t = time.monotonic()
        r = subprocess.run([self.cli, "cg", "render", "--params", params, "--seed", "1", "--out", os.path.join(self.work, "huge/")],
                           capture_output=True, text=True, env=self.env, timeout=120)
        check(r.returncode != 0 and "camera.imageSize x camera.oversample" in r.stderr,
              "budget: a 16384 px render was not refused: %s" % r.stderr.strip()[-300:])
        check(time.monotonic() - t < 10, "budget: the refusal took %.1f s" % (time.monotonic() - t))
        self.count("budget", False)

    def camera(self):
        """The fake GigE camera dies mid-run: FAULT within the timeout, frames go on after it
        is back. Needs arv-fake-gv-camera-0.8 (skipped with a line when missing)."""
        fake = shutil.which("arv-fake-gv-camera-0.8")
        if not fake:
            print("crashtest: camera skipped: arv-fake-gv-camera-0.8 not found", flush=True)
            return
        params = os.path.join(ROOT, "resources", "baseline", "default.json")
        timeout_ms = 2000  # kizu-cli inspect's default, which the run below uses
        for k in range(1 if self.runs <= 3 else self.runs // 3):
            cam = subprocess.Popen([fake, "-i", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
            p = subprocess.Popen([self.cli, "inspect", "--no-project", "--source", "aravis:127.0.0.1", "--baseline", params,
                                  "--frames", "60"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env)
            lines, killed_at, fault_at, cam2 = [], None, None, None
            watchdog = threading.Timer(120, p.kill)  # a hung run ends the read loop
            watchdog.start()
            try:
                t0 = time.monotonic()
                for line in p.stdout:
                    now = time.monotonic()
                    lines.append(line)
                    if killed_at is None and len(lines) >= 10:
                        cam.kill()
                        cam.wait()
                        killed_at = time.monotonic()
                    elif killed_at and fault_at is None and "FAULT" in line:
                        fault_at = now
                        time.sleep(self.rng.uniform(0.5, 3.0))  # an outage, then the camera is back
                        cam2 = subprocess.Popen([fake, "-i", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    if now - t0 > 90:
                        break
            finally:
                watchdog.cancel()
                p.kill()
                p.wait()
                for c in (cam, cam2):
                    if c and c.poll() is None:
                        c.kill()
                        c.wait()
            check(killed_at and fault_at, "camera: no FAULT after the camera was killed")
            ms = (fault_at - killed_at) * 1000
            check(ms <= timeout_ms + 500, "camera: FAULT %.0f ms after the kill (timeout %d ms)" % (ms, timeout_ms))
            frames = [json.loads(l)["frame"] for l in lines if l.startswith("{") and '"frame"' in l]
            check(len(frames) > 10 and frames == sorted(set(frames)),
                  "camera: frame numbers do not go on after the reconnect: %s" % frames[-15:])
            self.stats.setdefault("camera_fault_ms", []).append(round(ms))
            self.count("camera", True)

    def label(self):
        project = os.path.join(self.work, "import")
        snap = self.verify_project(project)
        ids = sorted(v[0] for v in snap["images"].values())
        check(len(ids) >= 10, "label: needs the imported project")
        # Each round runs a shell loop of single label commands; every command that returned is
        # logged; after the kill each image must show the last logged label for it (or the
        # label of the one command in flight).
        for k in range(self.runs):
            before = self.verify_project(project)
            log = os.path.join(self.work, "label.log")
            plan = [(self.rng.choice(ids), self.rng.choice(["ok", "ng", "unlabeled"])) for _ in range(30)]
            script = "".join('"$K" -p "$P" label %d %s >/dev/null && echo "%d %s" >>"$L"\n' % (i, l, i, l) for i, l in plan)
            open(log, "w").close()
            env = dict(self.env, K=self.cli, P=project, L=log)
            p = subprocess.Popen(["bash", "-c", script], env=env, start_new_session=True)
            time.sleep(self.rng.uniform(0, 2.0))
            killed = p.poll() is None
            if killed:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            done = [l.split() for l in open(log).read().splitlines()]
            in_flight = plan[len(done)] if len(done) < len(plan) else None
            after = self.verify_project(project)
            check(set(before["images"]) <= set(after["images"]), "label: images lost")
            check(after["audit"] >= before["audit"] + 0, "label: audit entries lost")
            want = {}
            for i, l in done:
                want[int(i)] = {"ok": 1, "ng": 2, "unlabeled": 0}[l]
            for i, lab in want.items():
                got = after["labels"].get(i, 0)
                ok = got == lab or (in_flight and in_flight[0] == i and got == {"ok": 1, "ng": 2, "unlabeled": 0}[in_flight[1]])
                check(ok, "label: image %d has label %s, the last committed command set %s" % (i, got, lab))
            self.count("label", killed)

    def cg_batch(self):
        ref = os.path.join(self.work, "cg_ref")
        args = ["cg", "batch", "--count", "24", "--seed", "11", "--size", "128", "--quiet"]
        t_full = self.timed(args + ["--out", ref])
        reference = {}
        for d, _, fs in os.walk(ref):
            for f in fs:
                p = os.path.join(d, f)
                reference[os.path.relpath(p, ref)] = open(p, "rb").read()
        out = os.path.join(self.work, "cg_killed")
        for k in range(self.runs):
            if k % 4 == 0:
                shutil.rmtree(out, ignore_errors=True)  # start over now and then
            killed = self.run_and_kill(args + ["--out", out], self.rng.uniform(0, t_full))
            for d, _, fs in os.walk(out):
                for f in fs:
                    rel = os.path.relpath(os.path.join(d, f), out)
                    if f.startswith(".") or rel in ("batch.json",) or f.endswith(".tmp"):
                        continue  # temporary or the resumable state
                    check(rel in reference, "cg batch: unexpected file %s after a kill" % rel)
                    check(open(os.path.join(out, rel), "rb").read() == reference[rel],
                          "cg batch: %s differs from the uninterrupted run after a kill" % rel)
            self.count("cg_batch", killed)
        self.cli_ok(*(args + ["--out", out]))
        for rel, data in reference.items():
            p = os.path.join(out, rel)
            check(os.path.exists(p) and open(p, "rb").read() == data, "cg batch: resumed output differs at %s" % rel)

    def train(self):
        photos, _ = self.make_photos(120)
        model = os.path.join(self.work, "m.kizumodel")
        args = ["train", "--data", photos, "--model", "squeezenet1_1", "--init", "scratch", "--size", "48", "--batch", "8",
                "--steps", "40", "--checkpoint-every", "5", "--no-augment", "--threads", "1", "--seed", "4", "--quiet"]
        ref = os.path.join(self.work, "ref.kizumodel")
        t_full = self.timed(args + ["--out", ref])
        ref_sha = weights_sha(ref)
        for k in range(self.runs):
            if k % 3 == 0:
                for f in os.listdir(self.work):
                    if f.startswith("m.kizumodel"):
                        os.remove(os.path.join(self.work, f))
            killed = self.run_and_kill(args + ["--out", model, "--resume"], self.rng.uniform(0, t_full))
            if os.path.exists(model):  # a finished model must load and be the reference
                check(weights_sha(model) == ref_sha, "train: a model finished across kills differs from the reference")
            self.count("train", killed)
        self.cli_ok(*(args + ["--out", model, "--resume"]))
        check(weights_sha(model) == ref_sha, "train: the resumed model differs from the uninterrupted one")

    def inspect(self):
        photos, files = self.make_photos(120)
        project = os.path.join(self.work, "inspect")
        self.cli_ok("project", "init", project)
        params = os.path.join(ROOT, "resources", "baseline", "default.json")
        frames = os.path.join(self.work, "frames")
        if not os.path.isdir(frames):
            os.makedirs(frames)
            for f in files:
                os.symlink(f, os.path.join(frames, os.path.basename(os.path.dirname(f)) + "_" + os.path.basename(f)))
        args = ["-p", project, "inspect", "--source", "folder:%s?fps=200" % frames, "--baseline", params,
                "--frames", "60", "--quiet", "--threads", "1"]
        t_full = self.timed(args)
        for k in range(self.runs):
            before = self.verify_project(project)
            killed = self.run_and_kill(args, self.rng.uniform(0, t_full))
            after = self.verify_project(project)
            check(before["inspections"] <= after["inspections"], "inspect: logged verdicts lost after a kill")
            check(set(before["images"]) <= set(after["images"]), "inspect: kept NG frames lost after a kill")
            self.count("inspect", killed)


def weights_sha(path):
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if n.endswith("data.pkl"):
                m = re.search(rb'"weights_sha256": ?"([0-9a-f]{64})"', z.read(n))
                if m:
                    return m.group(1).decode()
    raise Broken("%s has no weights checksum (not a finished Kizu model)" % path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10, help="kills per scenario (default 10)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "app", "cli", "kizu-cli"))
    ap.add_argument("--only", default="import,label,cg_batch,train,inspect,refused,manifest,budget,camera")
    ap.add_argument("--tmp", default=None, help="where the scratch projects go")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    if not os.access(args.cli, os.X_OK):
        sys.exit("crashtest: %s not found; build kizu-cli first (ninja -C build kizu-cli) or pass --cli" % args.cli)
    c = Crash(args)
    t0 = time.monotonic()
    try:
        for name in args.only.split(","):
            t = time.monotonic()
            getattr(c, name + "_" if name == "import" else name)()
            s = c.stats.get(name, {})
            if name == "camera" and "camera_fault_ms" in c.stats:
                print("crashtest: camera   FAULT after %s ms" % c.stats["camera_fault_ms"], flush=True)
            print("crashtest: %-8s %3d runs, %3d killed mid-write, all held (%.0f s)" %
                  (name, s.get("runs", 0), s.get("killed", 0), time.monotonic() - t), flush=True)
    except Broken as e:
        print("crashtest: BROKEN: %s (scratch kept in %s)" % (e, c.work), file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"seed": args.seed, "runs_per_scenario": args.runs, "seconds": round(time.monotonic() - t0),
                      "scenarios": c.stats}))
    if not args.keep:
        shutil.rmtree(c.work, ignore_errors=True)


if __name__ == "__main__":
    main()
