"""Registers Preflight's simulated SO-101 devices with lerobot when lerobot scans for plugins."""
