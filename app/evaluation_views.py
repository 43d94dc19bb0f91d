"""Widgets of an evaluation plan: its setup (A and one or more conditions to compare), progress and next step on the
Deploy page; the twin target on Home reset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import streamlit as st

from app.camera_views import live_feed
from app.deploy_views import tag_form
from app.station_panel import command_button
from core.errors import PreflightError
from core.evaluation.plan import (
    MAX_CONDITIONS,
    MAX_EPISODES_PER_CONDITION,
    EvaluationPlan,
    PlanStep,
    condition_variant,
    conditions_from,
    create_plan,
    next_step,
    open_plan,
)
from core.evaluation.results import plan_results
from core.evaluation.twins import TwinStart, twin_camera, twin_start
from core.registry import Registry
from core.station.client import StationClient
from core.station.run_settings import RunSettings
from core.station.state import RunStatus
from core.text import markdown_literal
from core.workspace import Workspace

Gate = Callable[[RunSettings], str]  # the preflight gate for a condition's settings: "" when it may run, else why not


def plan_setup(registry: Registry, station: str, base: Callable[[], RunSettings], rtc_allowed: bool) -> None:
    """An expander that makes a plan: condition A is the settings above; B, C, ... each change one or more of them."""
    with st.expander("Evaluation plan: is B really better than A?"):
        st.caption(
            "Condition A is the run set up above; each further condition (B, C, ...) changes what you pick for it "
            "here. The episodes run interleaved (A B B A ..., with three A B C C B A ...), and the episodes of each "
            "block start from the same scene. See docs/evaluations.md."
        )
        settings = base()
        left, right = st.columns(2)
        count = left.number_input(
            "Conditions (A and the ones to compare with it)",
            min_value=2,
            max_value=MAX_CONDITIONS,
            value=2,
            key="plan_conditions",
        )
        right.number_input(
            "Episodes per condition", min_value=1, max_value=MAX_EPISODES_PER_CONDITION, value=10, key="plan_episodes"
        )
        for index in range(1, int(count)):
            _condition_inputs(chr(ord("A") + index), settings, rtc_allowed)
        st.text_input("Plan name (optional)", key="plan_name")

        def start_plan() -> None:
            """The button's callback: it runs before the rerun the click causes, so no other rerun (the run panel's,
            a fragment's) can drop the click, and it reads the inputs from the session state, as the click sent
            them (a closure could hold a run's values from before the last edit)."""
            state = st.session_state
            variants = [  # a condition whose inputs were never drawn is as A: refused as the same
                condition_variant(
                    settings,
                    policy_dir=state.get(f"plan_{label}_policy", settings.policy_dir),
                    n_action_steps=state.get(f"plan_{label}_steps", settings.n_action_steps or 1),
                    inference=state.get(f"plan_{label}_inference", "sync"),
                    task=state.get(f"plan_{label}_task", settings.task),
                )
                for label in (chr(ord("A") + index) for index in range(1, int(state["plan_conditions"])))
            ]
            try:
                conditions = conditions_from(settings, variants)
                create_plan(registry, station, state["plan_name"], conditions, int(state["plan_episodes"]))
            except PreflightError as error:
                st.toast(str(error), icon=":material/error:")

        st.button("Start the plan", icon=":material/science:", on_click=start_plan)


def _condition_inputs(label: str, settings: RunSettings, rtc_allowed: bool) -> None:
    """One condition's inputs, keyed by its label (`plan_B_steps`, ...), so each keeps its values."""
    with st.container(border=True):
        st.markdown(f"**Condition {label}**")
        left, right = st.columns(2)
        left.number_input(
            f"{label}: n_action_steps", min_value=1, value=int(settings.n_action_steps or 1), key=f"plan_{label}_steps"
        )
        right.radio(
            f"{label}: inference",
            ["sync", "rtc"] if rtc_allowed else ["sync"],
            horizontal=True,
            key=f"plan_{label}_inference",
        )
        st.text_input(f"{label}: task sentence", value=settings.task, key=f"plan_{label}_task")
        st.text_input(f"{label}: policy checkpoint folder", value=settings.policy_dir, key=f"plan_{label}_policy")


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


@dataclass(frozen=True)
class HomeTarget:
    """What Home reset judges the arm against: the training mean start pose, or, while the plan's next episode is
    the second of its pair, the start of its twin (the A episode of an A/B pair) in its place."""

    start_pose: dict[str, float] | None  # None: the training mean start pose
    name: str  # for the banner: "the training start pose", "the A twin's start"
    column: str  # the joint table's target column: "training mean", "A twin's start"
    plan: EvaluationPlan | None = None
    twin: TwinStart | None = None


def home_target(registry: Registry, station: str, workspace: Workspace) -> HomeTarget:
    """The twin's start while one is waiting on this station's open plan, else the training mean."""
    plan = open_plan(registry, station)
    twin = twin_start(registry, plan, workspace) if plan is not None else None
    if twin is None:
        return HomeTarget(None, "the training start pose", "training mean")
    return HomeTarget(twin.start_pose, f"the {twin.label} twin's start", f"{twin.label} twin's start", plan, twin)


def twin_target(client: StationClient, target: HomeTarget) -> None:
    """Home reset's evaluation twin: which episode it is, its front frame at the start beside the live front feed,
    and a move to its start pose. Nothing when the target is the training mean."""
    twin, plan = target.twin, target.plan
    if twin is None or plan is None:
        return
    slot = plan.next_slot
    st.subheader("Evaluation twin")
    st.caption(
        f"Plan episode {slot.position + 1} (condition {plan.condition_of(slot).label}) is the twin of episode "
        f"{twin.episode_index} (condition {twin.label}): set the arm and the scene up as that one started."
    )
    camera = twin_camera(list(client.state().camera_mapping))
    then, now = st.columns(2)
    if twin.frame is not None:
        then.image(str(twin.frame), caption=f"The {twin.label} twin's {camera} camera at its start")
    else:
        then.caption("No start frame of the twin was kept.")
    if camera is not None:
        with now:
            live_feed(client.name, camera, height_px=240)
    command_button(
        "Move to the twin's start pose", client.move_home, twin.start_pose, key="move_twin", icon=":material/join:"
    )
