"""Deploying a policy: run settings, the preflight gate, and episodes through lerobot's rollout engine."""
