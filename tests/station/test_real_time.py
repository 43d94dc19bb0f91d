"""The scheduling helpers give a thread its boost only while asked, and fall back quietly without the right.

Each outcome is tested for itself: with the right (this process, when it holds CAP_SYS_NICE, as CI's root does), and
without it (a child process started with CAP_SYS_NICE dropped from its bounding set and rtprio/nice limits of 0, the
way an operator account without the rtprio group runs the station).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading

import pytest

from core.station.real_time import POLICY_NICE, enter_real_time, favoured
from core.workspace import REPO_ROOT

CAP_SYS_NICE = 23


def holds_cap_sys_nice() -> bool:
    with open("/proc/self/status") as status:
        effective = next(line for line in status if line.startswith("CapEff:")).split()[1]
    return bool(int(effective, 16) >> CAP_SYS_NICE & 1)


with_the_right = pytest.mark.skipif(not holds_cap_sys_nice(), reason="this process lacks CAP_SYS_NICE")


def in_thread(work):
    result = {}
    thread = threading.Thread(target=lambda: result.update(value=work()))
    thread.start()
    thread.join()
    return result["value"]


@with_the_right
def test_a_policy_episode_is_favoured_only_inside_its_block():
    def work():
        me = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, me)
        with favoured(POLICY_NICE) as granted:
            during = os.getpriority(os.PRIO_PROCESS, me)
        return before, granted, during, os.getpriority(os.PRIO_PROCESS, me)

    before, granted, during, after = in_thread(work)
    assert granted and during == POLICY_NICE
    assert after == before  # loading the next policy or saving an episode is not favoured


@with_the_right
def test_the_control_loop_enters_real_time_when_allowed():
    def work():
        granted = enter_real_time(1)
        return granted, os.sched_getscheduler(0)

    assert in_thread(work) == (True, os.SCHED_FIFO)


WITHOUT_THE_RIGHT = """
import json, os, threading
from core.station.real_time import POLICY_NICE, enter_real_time, favoured, raise_station_priority
me = threading.get_native_id()
before = os.getpriority(os.PRIO_PROCESS, me)
with favoured(POLICY_NICE) as favoured_granted:
    during = os.getpriority(os.PRIO_PROCESS, me)
print(json.dumps({
    "station": raise_station_priority(),
    "favoured": favoured_granted, "nice_before": before, "nice_during": during,
    "fifo": enter_real_time(1), "scheduler_is_other": os.sched_getscheduler(0) == os.SCHED_OTHER,
}))
"""


@pytest.mark.skipif(shutil.which("setpriv") is None or shutil.which("prlimit") is None, reason="needs util-linux")
def test_without_the_right_every_helper_says_no_and_the_thread_keeps_normal_scheduling():
    command = ["setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice", "prlimit", "--rtprio=0", "--nice=0"]
    result = subprocess.run(
        [*command, sys.executable, "-c", WITHOUT_THE_RIGHT],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "station": False,
        "favoured": False,
        "nice_before": seen["nice_before"],
        "nice_during": seen["nice_before"],  # unchanged: nothing was granted
        "fifo": False,
        "scheduler_is_other": True,
    }
