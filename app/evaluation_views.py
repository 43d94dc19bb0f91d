"""Widgets of the Deploy page's evaluation plan: set up an A/B plan, then its progress and next step."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from app.camera_views import live_feed
from app.deploy_views import tag_form
from app.start_pose_views import joint_table, verdict_banner
from app.station_panel import command_button
from core.errors import PreflightError
from core.evaluation.plan import EvaluationPlan, PlanStep, conditions_from, create_plan, next_step, open_plan
from core.evaluation.results import plan_results
from core.evaluation.twins import twin_start
from core.registry import Registry
from core.start_pose.pose import verdict_for_station
from core.station.client import StationClient
from core.station.run_settings import RunSettings
from core.station.state import RunStatus
from core.text import markdown_literal
from core.training.profile import TrainingProfile
from core.workspace import Workspace

Gate = Callable[[RunSettings], str]  # the preflight gate for a condition's settings: "" when it may run, else why not


def plan_setup(registry: Registry, station: str, base: Callable[[], RunSettings], rtc_allowed: bool) -> None:
    """An expander that makes a plan: condition A is the settings above, B changes one or more of them."""
    with st.expander("Evaluation plan: is B really better than A?"):
        st.caption(
            "Condition A is the run set up above. B changes what you pick here. The episodes run interleaved "
            "(A B B A A B ...), and each A/B pair starts from the same scene. See docs/evaluations.md."
        )
        settings = base()
        left, right = st.columns(2)
        n_steps = left.number_input("B: n_action_steps", min_value=1, value=int(settings.n_action_steps or 1))
        inference = right.radio(
            "B: inference", ["sync", "rtc"] if rtc_allowed else ["sync"], horizontal=True, key="plan_inference"
        )
        task = st.text_input("B: task sentence", value=settings.task, key="plan_task")
        policy = st.text_input("B: policy checkpoint folder", value=settings.policy_dir, key="plan_policy")
        episodes = left.number_input("Episodes per condition", min_value=1, max_value=200, value=10)
        name = right.text_input("Plan name (optional)", key="plan_name")
        variant = {
            "n_action_steps": int(n_steps),
            "inference": inference,
            "rtc_execution_horizon": settings.rtc_execution_horizon if inference == "rtc" else None,
            "task": task,
            "policy_dir": policy.strip(),
            "task_override": settings.task_override or task != settings.task,  # chosen on purpose, recorded
        }
        if inference == "rtc" and variant["rtc_execution_horizon"] is None:
            variant["rtc_execution_horizon"] = 10

        def start_plan() -> None:
            """The button's callback, with the settings the operator saw: it runs before the rerun the click
            causes, so no other rerun (the run panel's, a fragment's) can drop the click."""
            try:
                create_plan(registry, station, name, conditions_from(settings, [variant]), int(episodes))
            except PreflightError as error:
                st.toast(str(error), icon=":material/error:")

        st.button("Start the plan", icon=":material/science:", on_click=start_plan)


def plan_panel(
    registry: Registry, client: StationClient, plan: EvaluationPlan, run: RunStatus | None, gate: Gate
) -> PlanStep:
    """The plan's progress and the button for its next step (the Deploy page's run controls start its episodes)."""
    step = next_step(plan, run)
    base = plan.conditions[0].settings
    st.subheader(f"Evaluation plan: {plan.record.name}")
    st.progress(
        plan.done / len(plan.slots), text=f"{plan.done} of {len(plan.slots)} episodes · order {plan.order_text}"
    )
    st.markdown(
        "  \n".join(
            f"**{c.label}**: {c.describe(None if index == 0 else base)}" for index, c in enumerate(plan.conditions)
        )
    )
    filled = {slot.episode_id for slot in plan.slots}
    untagged = [e for e in registry.untagged_episodes(station=plan.record.station) if e.id in filled]
    if untagged:  # every plan episode is judged before the next; the open run's own form is in the run controls
        episode = untagged[0]
        st.info(f"Tag episode {episode.episode_index} of the plan before its next step.", icon=":material/label:")
        if run is None or episode.run_id != run.run_id:
            tag_form(registry, episode.id, episode.episode_index, "plan")  # saved in its callback, before the rerun
        return PlanStep("wait", step.slot, step.condition, "Tag the plan's last episode first.")
    st.info(step.text, icon=":material/science:")
    if step.kind == "end_run":
        command_button("End this run to load the next condition", client.end_run, icon=":material/skip_next:")
    elif step.kind == "start_run":
        why = gate(step.condition.settings)
        if why:
            st.error(f"Condition {step.condition.label} cannot run: {why}")
        command_button(
            f"Load condition {step.condition.label}",
            client.start_run,
            step.condition.settings,
            type="primary",
            disabled=bool(why),
            icon=":material/play_arrow:",
        )
    elif step.kind == "finished":
        _summary(registry, plan)
        command_button("Close the plan", partial(registry.end_plan, plan.record.id), icon=":material/done_all:")
        return step
    if plan.done:
        with st.expander("Results so far"):
            _summary(registry, plan)
    command_button("Abandon the plan", partial(registry.end_plan, plan.record.id), icon=":material/cancel:")
    return step


def start_plan_episode(client: StationClient, plan: EvaluationPlan, step: PlanStep, **button) -> None:
    """The Start-episode button of a plan: the slot's seed places the scene, its kept episode fills the slot."""
    slot = step.slot
    command_button(
        f"Start plan episode {slot.position + 1} (condition {step.condition.label})",
        partial(client.start_episode, scene_seed=slot.seed, plan_slot=(plan.record.id, slot.position)),
        **button,
    )


def _summary(registry: Registry, plan: EvaluationPlan) -> None:
    results = plan_results(registry, plan.record.id)
    for condition in results.conditions:
        summary = condition.summary
        rate = (
            f"{summary.successes}/{summary.episodes} = {summary.rate:.0%} "
            f"(95% {summary.wilson_low:.0%}-{summary.wilson_high:.0%})"
            if summary
            else "nothing judged yet"
        )
        st.markdown(f"**{markdown_literal(condition.label)}** ({markdown_literal(condition.description)}): {rate}")
    for item in results.comparisons:
        if item.comparison is not None:
            st.markdown(f"{item.label_b} against {item.label_a}: {item.comparison.verdict} {item.note}")
        else:
            st.caption(item.note)
    st.caption("The Analytics page's Compare tab shows the tests, the figure and the pairs.")


def twin_target(
    registry: Registry, client: StationClient, profile: TrainingProfile, workspace: Workspace, overrides: dict
) -> None:
    """Home reset's target for the B twin of an evaluation pair: the A twin's start pose and front frame, with the
    per-joint deltas against that twin instead of the training mean. Nothing when no twin is waiting."""
    plan = open_plan(registry, client.name)
    twin = twin_start(registry, plan, workspace) if plan is not None else None
    if twin is None:
        return
    slot = plan.next_slot
    st.subheader("Evaluation twin")
    st.caption(
        f"Plan episode {slot.position + 1} (condition {plan.condition_of(slot).label}) is the twin of episode "
        f"{twin.episode_index} (condition {twin.label}): set the arm and the scene up as that one started."
    )
    then, now = st.columns(2)
    if twin.frame is not None:
        then.image(str(twin.frame), caption=f"The {twin.label} twin's first camera at its start")
    else:
        then.caption("No start frame of the twin was kept.")
    with now:
        live_feed(client.name, next(iter(client.state().camera_mapping)), height_px=240)

    @st.fragment(run_every=0.5)
    def against_twin() -> None:
        verdict = verdict_for_station(client.state(), profile, overrides, start_pose=twin.start_pose)
        verdict_banner(verdict, f"the {twin.label} twin's start")
        st.table(joint_table(verdict, "twin's start"))

    against_twin()
    command_button(
        "Move to the twin's start pose", client.move_home, twin.start_pose, key="move_twin", icon=":material/join:"
    )
