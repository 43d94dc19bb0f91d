"""The station: the one process that owns a robot, its leader arm and its cameras.

Pages never talk to hardware. They start a station process, find it again after a
reload, read its state snapshots and frames, and send it commands. Script reruns,
garbage collection and browser timers in the Streamlit server therefore never stall
the control loop.
"""
