"""summary_pandas.py - summary.json as a pandas user reads it.

Usage: python3 summary_pandas.py PATH/TO/gilsim

Runs a small virtual run with failures and repetitions into a temporary
folder, loads its summary.json with pandas.json_normalize(d["runs"]) and
checks that it carries its format and version, one row per model, and the
nested objects as dotted columns (failures.http.first_error, fetch_ns.p50).
Exits 77 (ctest's "skipped") when pandas is not installed, and says so.
"""
import json
import subprocess
import sys
import tempfile

try:
    import pandas as pd
except ImportError:
    print("skipped: pandas is not installed (apt-get install python3-pandas)")
    sys.exit(77)


def main():
    gilsim = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        run = tmp + "/run"
        cmd = [gilsim, "--engine=virtual", "--pages=30", "--fail-rate=0.3",
               "--repeat=2", "--model=serial,threads,loop", "--quiet",
               "--no-plots", "--out=" + run]
        rc = subprocess.run(cmd, check=False).returncode
        assert rc == 1, "expected exit 1 (steps failed), got %d" % rc
        with open(run + "/summary.json", encoding="utf-8") as f:
            d = json.load(f)
    assert d["format"] == "gilsim-summary", d["format"]
    assert d["format_version"] == 1, d["format_version"]
    df = pd.json_normalize(d["runs"])
    assert list(df["model"]) == ["serial", "threads", "loop"], list(df["model"])
    for col in ("wall_ns", "wall_ns_mean", "wall_ns_sd", "fetch_ns.p50",
                "failures.http.count", "failures.http.first_error",
                "steps_failed_by.http", "trace", "events_cut"):
        assert col in df.columns, "no column %s in %s" % (col, list(df.columns))
    assert (df["failures.http.first_error"] ==
            "HTTP 500 Internal Server Error").all()
    assert (df["repeat"] == 2).all()
    print("ok: %d runs, %d columns" % df.shape)


if __name__ == "__main__":
    main()
