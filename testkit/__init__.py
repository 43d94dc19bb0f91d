"""Helpers that tests/ and bench/ share: real datasets and checkpoints built on disk, the real app served
on a free loopback port, a tiny SmolVLA stand-in, and condition waits.

May import anything in core/ and app/; nothing in core/, app/ or pages/ imports it.
"""
