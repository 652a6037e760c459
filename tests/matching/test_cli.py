"""``python -m matching``: exit codes, JSON-path error lines, output file, check."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from benchmarks.matching_pool import generate
from matching import Solution
from matching.cli import main

from .factory import citizens, newcomers, person, problem


def write_problem(path: Path) -> Path:
    p = problem(citizens(5) + newcomers(5) + [person("f1", "newcomer", languages=["fa"])])
    path.write_text(p.model_dump_json(), encoding="utf-8")
    return path


def test_solve_writes_the_output_file_and_check_accepts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_problem(tmp_path / "problem.json")
    target = tmp_path / "solution.json"
    assert main(["solve", str(source), "--time-limit", "20", "--output", str(target)]) == 0
    solution = Solution.model_validate_json(target.read_text(encoding="utf-8"))
    assert solution.objective.placed == 10
    assert [w.id for w in solution.waitlist] == ["f1"]
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "placed 10" in captured.err
    assert main(["check", str(source), str(target)]) == 0
    assert capsys.readouterr().out.startswith("valid: 0 violations, 10 placed")


def test_check_exits_1_on_violations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_problem(tmp_path / "problem.json")
    target = tmp_path / "solution.json"
    main(["solve", str(source), "--quiet", "--output", str(target)])
    data = json.loads(target.read_text(encoding="utf-8"))
    data["groups"][0]["members"].append("f1")
    data["waitlist"] = []
    target.write_text(json.dumps(data), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(source), str(target)]) == 1
    out = capsys.readouterr().out
    assert "rule 6: f1 does not speak de" in out
    assert out.splitlines()[-1].startswith("INVALID")


def test_invalid_problem_exits_2_with_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = problem(citizens(3)).model_dump()
    p["participants"][2]["series"] = ["mon", "tue"]
    p["participants"][0]["together"] = ["nobody"]
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(p), encoding="utf-8")
    target = tmp_path / "solution.json"
    assert main(["solve", str(source), "--output", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "participants[0].together[0]: unknown participant 'nobody'",
        "participants[2].series[1]: unknown series 'tue'",
    ]
    assert captured.out == ""
    assert not target.exists()


def test_unreadable_and_malformed_inputs_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["solve", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert main(["check", str(broken), str(broken)]) == 2
    assert capsys.readouterr().err.startswith("(root): not valid JSON")
    source = write_problem(tmp_path / "problem.json")
    solution = tmp_path / "solution.json"
    solution.write_text('{"status": "great", "groups": []}', encoding="utf-8")
    assert main(["check", str(source), str(solution)]) == 2
    assert f"{solution}: status:" in capsys.readouterr().err


def test_module_entry_point_writes_json_to_stdout(tmp_path: Path) -> None:
    source = write_problem(tmp_path / "problem.json")
    run = subprocess.run(
        [sys.executable, "-m", "matching", "solve", str(source), "--time-limit", "20"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["objective"]["placed"] == 10
    assert "done" in run.stderr


@pytest.mark.fallback  # a time-out on purpose
def test_the_time_limit_counts_from_when_the_command_started(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As if starting Python and reading the problem had taken a minute: nothing is left of
    # the limit, and the solution is the valid fallback that says so.
    source = tmp_path / "problem.json"
    source.write_text(generate(200, seed=2).model_dump_json(), encoding="utf-8")
    target = tmp_path / "solution.json"
    command = ["solve", str(source), "--time-limit", "30", "--output", str(target)]
    assert main(command, started=time.monotonic() - 60) == 0
    solution = Solution.model_validate_json(target.read_text(encoding="utf-8"))
    assert solution.fallback is not None and "time limit" in solution.fallback
    assert solution.objective.placed == 0
    assert main(["check", str(source), str(target)]) == 0
    assert capsys.readouterr().out.startswith("valid: 0 violations")


def test_process_started_is_when_the_process_began() -> None:
    # The monotonic clock is the machine's: the child started after the first reading here
    # (up to a clock tick, 1/100 s, that /proc rounds it down to), and it slept before it
    # asked.
    before = time.monotonic()
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time; time.sleep(0.2)\n"
            "from matching.cli import process_started; print(process_started(), time.monotonic())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    started, asked = map(float, run.stdout.split())
    assert before - 0.02 <= started <= asked - 0.2


def test_report_command_prints_the_quality_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_problem(tmp_path / "problem.json")
    target = tmp_path / "solution.json"
    main(["solve", str(source), "--quiet", "--output", str(target)])
    capsys.readouterr()
    assert main(["report", str(source), str(target)]) == 0
    assert capsys.readouterr().out.startswith("status optimal: 10 placed, 1 waitlisted")


def test_ctrl_c_writes_the_best_solution_so_far(tmp_path: Path) -> None:
    source = tmp_path / "problem.json"
    source.write_text(generate(400, seed=4).model_dump_json(), encoding="utf-8")
    target = tmp_path / "solution.json"
    command = [sys.executable, "-m", "matching", "solve", str(source), "--time-limit", "300"]
    process = subprocess.Popen(
        [*command, "--output", str(target)], stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stderr or ():
            lines.put(line)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while True:  # wait until the exact search has started, then interrupt it midway
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail("the solver never reported its placement search within 120 s")
            if "placement" in line:
                break
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        reader.join(10)
    assert main(["check", str(source), str(target)]) == 0
