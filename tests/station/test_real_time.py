"""The scheduling helpers give a thread its boost only while asked, and fall back quietly without the right.

Whether the boost is granted depends on the machine (root or CAP_SYS_NICE); each test checks
the promise for both outcomes: the reported result matches what the kernel did.
"""

from __future__ import annotations

import os
import threading

from core.station.real_time import POLICY_NICE, enter_real_time, favoured


def in_thread(work):
    result = {}
    thread = threading.Thread(target=lambda: result.update(value=work()))
    thread.start()
    thread.join()
    return result["value"]


def test_a_policy_episode_is_favoured_only_inside_its_block():
    def work():
        me = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, me)
        with favoured(POLICY_NICE) as granted:
            during = os.getpriority(os.PRIO_PROCESS, me)
        return before, granted, during, os.getpriority(os.PRIO_PROCESS, me)

    before, granted, during, after = in_thread(work)
    assert during == (POLICY_NICE if granted else before)
    assert after == before  # loading the next policy or saving an episode is not favoured


def test_the_control_loop_reports_whether_it_runs_in_real_time():
    def work():
        granted = enter_real_time(1)
        return granted, os.sched_getscheduler(0)

    granted, policy = in_thread(work)
    assert policy == (os.SCHED_FIFO if granted else os.SCHED_OTHER)
