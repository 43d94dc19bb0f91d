"""How a start-pose verdict looks on a page: the GO / NO-GO banner and the joint table.

Shared by the Home reset and Deploy pages, so the operator reads one verdict one way.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from core.rules.start_pose import StartPoseVerdict

INSIDE_COLOUR = "background-color: rgba(33, 195, 84, 0.25)"
OUTSIDE_COLOUR = "background-color: rgba(255, 43, 43, 0.30)"


def verdict_banner(verdict: StartPoseVerdict, target: str = "the training start pose") -> None:
    """GO, or NO-GO with each joint to move and which way (worst first), and the gripper's state."""
    if verdict.go:
        st.success(f"## GO\nEvery joint is inside its tolerance of {target}.", icon=":material/check_circle:")
    else:
        moves = "\n".join(f"- {move}" for move in verdict.moves)
        st.error(
            f"## NO-GO\nMove {len(verdict.moves)} joint{'s' if len(verdict.moves) != 1 else ''}:\n{moves}",
            icon=":material/block:",
        )
    if verdict.gripper_note:
        st.warning(verdict.gripper_note, icon=":material/back_hand:")


def joint_table(verdict: StartPoseVerdict, target: str = "training mean") -> Styler:
    """One row per joint: the target (the training mean, or a twin's start) ± tolerance, follower, leader, delta;
    the delta coloured in or out of tolerance."""
    frame = pd.DataFrame(
        {
            "joint": [j.motor for j in verdict.joints],
            target: [j.target for j in verdict.joints],
            "± tolerance": [j.tolerance for j in verdict.joints],
            "follower": [j.follower for j in verdict.joints],
            "leader": [j.leader for j in verdict.joints],
            "delta": [j.delta for j in verdict.joints],
            "": ["inside" if j.inside else "OUTSIDE" for j in verdict.joints],
        }
    ).set_index("joint")
    inside = [j.inside for j in verdict.joints]
    return (
        frame.style.format("{:.1f}", subset=[target, "± tolerance", "follower", "leader"], na_rep="—")
        .format("{:+.1f}", subset=["delta"], na_rep="—")
        .apply(lambda column: [INSIDE_COLOUR if ok else OUTSIDE_COLOUR for ok in inside], subset=["delta", ""])
    )
