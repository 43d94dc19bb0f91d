"""The sidebar's EMERGENCY STOP: the browser posts straight to the app server, never through a script rerun.

A Streamlit button acts in the next script run, which waits for the run in progress to
reach its next element: a press that landed during a Deploy page rerun took up to 91 ms
(bench/loop_bench.py). This button (st.components.v2) posts to the server's
`/estop/<station>` route (app/asgi.py), which sends the station its `estop` command at once,
then asks for a rerun so the page shows the latched stop.
"""

from __future__ import annotations

import streamlit as st

HEADER = "X-Preflight-Action"  # a custom header: a cross-site form or link cannot send it
HEADER_VALUE = "emergency-stop"

_CSS = """
button {
  width: 100%; padding: 0.6rem 0.75rem; border: none; border-radius: 0.5rem; cursor: pointer;
  background: #d62728; color: white; font-family: var(--st-font); font-size: 1rem; font-weight: 700;
}
button:hover { background: #b71c1c; }
button:disabled { opacity: 0.4; cursor: not-allowed; }
.note { color: #d62728; font-family: var(--st-font); font-size: 0.85rem; margin-top: 0.25rem; }
"""

_JS = f"""
export default function (component) {{
  const {{ data, parentElement, setTriggerValue }} = component;
  const button = parentElement.querySelector("button");
  const note = parentElement.querySelector(".note");
  button.disabled = !data.station;
  button.onclick = async () => {{
    note.textContent = "";
    try {{
      const response = await fetch(`/estop/${{encodeURIComponent(data.station)}}`,
                                   {{ method: "POST", headers: {{ "{HEADER}": "{HEADER_VALUE}" }} }});
      if (!response.ok) note.textContent = await response.text();
    }} catch (error) {{
      note.textContent = `Emergency stop not sent (${{error}}): use the arm's power switch.`;
    }}
    setTriggerValue("pressed", Date.now());
  }};
}}
"""

_COMPONENT = st.components.v2.component(
    "preflight_emergency_stop",
    html='<button type="button" title="Stops every motion at once and holds the arm where it is, until released.">'
    'EMERGENCY STOP</button><div class="note" role="alert"></div>',
    css=_CSS,
    js=_JS,
)


def emergency_stop_button(station: str | None) -> None:
    """The one-click stop for `station` (disabled when no station is running)."""
    _COMPONENT(data={"station": station}, key="estop", on_pressed_change=lambda: None)
