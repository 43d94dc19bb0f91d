"""An evaluation plan: two or more conditions, N episodes each, in a balanced interleaved order with twins.

The order is built from blocks that hold every condition once, forward and backward in turn (A B, B A,
A B, ...: ABBA for two conditions), so a drift that is linear in time (battery, light, wear) weighs on
every condition alike. The slots of one block are twins: they share a seed, from which the simulated lab
draws the object placement, and the start pose (the move home to the training start pose).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Literal

from core import codec
from core.errors import PreflightError
from core.registry import PlanRecord, PlanSlot, Registry
from core.station.run_settings import RunSettings
from core.station.state import RunStatus

VARIED_SETTINGS = ("policy_dir", "n_action_steps", "inference", "rtc_execution_horizon", "task")  # what a plan compares
MAX_EPISODES_PER_CONDITION = 200
MAX_CONDITIONS = 6  # A to F: a lab runs at most a handful of conditions in one session
DEFAULT_RTC_HORIZON = 10  # actions; the Deploy page's default for a run with RTC inference


@dataclass(frozen=True)
class Condition:
    label: str  # "A", "B", ...
    settings: RunSettings

    def describe(self, base: RunSettings | None = None) -> str:
        """The settings that make this condition, e.g. "n_action_steps 30" (against `base`: only what differs)."""
        parts = []
        for name in VARIED_SETTINGS:
            value = getattr(self.settings, name)
            if base is None or value != getattr(base, name):
                if name == "task":
                    parts.append(f"task {value!r}")
                elif name == "policy_dir":
                    parts.append(f"policy {value}")
                elif value is not None:
                    parts.append(f"{name} {value}")
        return ", ".join(parts) or "as A"


@dataclass(frozen=True)
class EvaluationPlan:
    record: PlanRecord
    conditions: tuple[Condition, ...]
    slots: tuple[PlanSlot, ...]

    @property
    def done(self) -> int:
        return sum(slot.episode_id is not None for slot in self.slots)

    @property
    def next_slot(self) -> PlanSlot | None:
        """The first slot no kept episode has filled yet: where the plan resumes after any restart."""
        return next((slot for slot in self.slots if slot.episode_id is None), None)

    @property
    def finished(self) -> bool:
        return self.next_slot is None

    def condition_of(self, slot: PlanSlot) -> Condition:
        return self.conditions[slot.condition]

    @property
    def order_text(self) -> str:
        return "".join(self.conditions[slot.condition].label for slot in self.slots)


def balanced_order(conditions: int, episodes_per_condition: int, base_seed: int) -> list[tuple[int, int, int]]:
    """(condition, pair, seed) per slot: block k holds every condition once, forward when k is even and backward
    when odd; the slots of a block are twins with seed base_seed + k."""
    if conditions < 2:
        raise PreflightError("An evaluation compares at least two conditions.")
    if conditions > MAX_CONDITIONS:
        raise PreflightError(f"An evaluation compares at most {MAX_CONDITIONS} conditions.")
    if not 1 <= episodes_per_condition <= MAX_EPISODES_PER_CONDITION:
        raise PreflightError(f"Episodes per condition must be between 1 and {MAX_EPISODES_PER_CONDITION}.")
    order = []
    for block in range(episodes_per_condition):
        indices = range(conditions) if block % 2 == 0 else reversed(range(conditions))
        order.extend((condition, block, base_seed + block) for condition in indices)
    return order


def condition_variant(
    base: RunSettings, *, policy_dir: str, n_action_steps: int, inference: str, task: str
) -> dict[str, object]:
    """What one condition of the plan form (B, C, ...) changes against A, for `conditions_from`: RTC keeps A's
    execution horizon (DEFAULT_RTC_HORIZON when A has none); a task sentence other than A's is an override the
    operator chose, recorded with the run."""
    horizon = (base.rtc_execution_horizon or DEFAULT_RTC_HORIZON) if inference == "rtc" else None
    return {
        "n_action_steps": int(n_action_steps),
        "inference": inference,
        "rtc_execution_horizon": horizon,
        "task": task,
        "policy_dir": policy_dir.strip(),
        "task_override": base.task_override or task != base.task,
    }


def conditions_from(base: RunSettings, variants: list[dict[str, object]]) -> tuple[Condition, ...]:
    """Condition A is `base`; each variant changes some of VARIED_SETTINGS (and may mark its task sentence as an
    override the operator chose). Two identical conditions are refused."""
    unknown = sorted({name for variant in variants for name in variant} - {*VARIED_SETTINGS, "task_override"})
    if unknown:
        raise PreflightError(f"A plan varies only {', '.join(VARIED_SETTINGS)}; not {', '.join(unknown)}.")
    settings = [base, *(replace(base, **variant) for variant in variants)]
    conditions = tuple(Condition(chr(ord("A") + index), value) for index, value in enumerate(settings))
    for index, condition in enumerate(conditions):
        for earlier in conditions[:index]:
            if all(getattr(condition.settings, n) == getattr(earlier.settings, n) for n in VARIED_SETTINGS):
                raise PreflightError(
                    f"Conditions {earlier.label} and {condition.label} are the same: change n_action_steps, the "
                    "inference, the task sentence or the policy of one of them."
                )
    return conditions


def create_plan(
    registry: Registry,
    station: str,
    name: str,
    conditions: tuple[Condition, ...],
    episodes_per_condition: int,
    base_seed: int | None = None,
) -> EvaluationPlan:
    """Keep a new plan in the registry; only one plan is open per station at a time."""
    if registry.plans(station=station, open_only=True):
        raise PreflightError(f"Station {station!r} already has an open plan: finish or abandon it first.")
    seed = random.SystemRandom().randrange(1_000_000) if base_seed is None else base_seed
    record = registry.create_plan(
        station,
        name.strip() or " vs ".join(c.label for c in conditions),
        episodes_per_condition,
        [{"label": c.label, "settings": codec.to_json(c.settings)} for c in conditions],
        balanced_order(len(conditions), episodes_per_condition, seed),
    )
    return load_plan(registry, record.id)


def load_plan(registry: Registry, plan_id: int) -> EvaluationPlan:
    record = registry.plan(plan_id)
    conditions = tuple(
        Condition(item["label"], codec.from_json(RunSettings, item["settings"])) for item in record.conditions
    )
    return EvaluationPlan(record, conditions, tuple(registry.plan_slots(plan_id)))


def open_plan(registry: Registry, station: str) -> EvaluationPlan | None:
    """The station's open plan, where it stands now (None when there is none)."""
    records = registry.plans(station=station, open_only=True)
    return load_plan(registry, records[-1].id) if records else None


StepKind = Literal["finished", "wait", "end_run", "start_run", "start_episode"]


@dataclass(frozen=True)
class PlanStep:
    """What the plan needs next on the station: end the open run (other settings), open the next condition's run,
    start the next slot's episode, or wait (a run is loading or an episode is running or saving)."""

    kind: StepKind
    slot: PlanSlot | None
    condition: Condition | None
    text: str


def runs_condition(settings: RunSettings | None, condition: Condition) -> bool:
    """The open run deploys this condition: the same policy, n_action_steps, inference and task."""
    return settings is not None and all(
        getattr(settings, name) == getattr(condition.settings, name) for name in VARIED_SETTINGS
    )


def next_step(plan: EvaluationPlan, run: RunStatus | None) -> PlanStep:
    slot = plan.next_slot
    if slot is None:
        return PlanStep("finished", None, None, f"All {len(plan.slots)} episodes of the plan have run.")
    condition = plan.condition_of(slot)
    where = f"episode {slot.position + 1} of {len(plan.slots)}: condition {condition.label}, twin pair {slot.pair + 1}"
    if run is not None and run.is_open:
        if not runs_condition(run.settings, condition):
            if run.between_episodes:
                return PlanStep("end_run", slot, condition, f"Next: {where}. End the open run to load it.")
            return PlanStep("wait", slot, condition, f"Next: {where}, once the open run has finished its episode.")
        if run.between_episodes:
            return PlanStep("start_episode", slot, condition, f"Next: {where}.")
        return PlanStep("wait", slot, condition, f"Next: {where}; the run is {run.phase}.")
    return PlanStep("start_run", slot, condition, f"Next: {where}. Load its run ({condition.describe()}).")
