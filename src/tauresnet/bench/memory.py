"""``python -m tauresnet.bench.memory '<json setting>'``: peak memory of training steps.

Builds one path (``fast`` or ``naive``) for the setting, notes the resident set after setup,
resets the kernel's high-water mark, runs ``steps`` training steps and prints one JSON line:
the peak resident set during the steps and that peak minus the setup (what the steps
themselves needed), in MiB, and seconds per step. A fresh process per setting, so one
measurement's allocations cannot hide in another's.
"""

from __future__ import annotations

import json
import sys
import time


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise OSError(f"/proc/self/status has no {field}; peak memory needs Linux")


def reset_peak() -> None:
    """Make the high-water mark (VmHWM) the current resident set (Linux: clear_refs 5)."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def main(argv: list[str]) -> None:
    from .measure import FastPath, NaivePath

    setting = json.loads(argv[0])
    steps = setting.get("steps", 2)
    if setting["path"] == "fast":
        options = {"checkpoint_activations": setting.get("checkpoint", False)}
        path = FastPath(setting["model"], setting["norm"], setting["batch"], steps, 0, **options)
    else:
        path = NaivePath(setting["model"], setting["norm"], setting["batch"], steps, 0)
    setup = _status_mib("VmRSS")
    reset_peak()
    started = time.perf_counter()
    path.train()
    seconds = (time.perf_counter() - started) / steps
    peak = _status_mib("VmHWM")
    print(
        json.dumps(
            {**setting, "setup_mib": setup, "peak_mib": peak, "step_mib": peak - setup, "seconds_per_step": seconds}
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
