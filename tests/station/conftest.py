"""The station tests use the shared `station` and `station_workspace` fixtures of tests/conftest.py."""
