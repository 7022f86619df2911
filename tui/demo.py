"""The demo's data: the simulated sensor, whose user makes the mistakes the cues are for.

It runs the live path end to end (source task → buffer → UI timer → pipeline), exactly as
``live --simulate`` does; only the calibration window is taken from the simulated session (its
user makes the three slow upward strokes at known times) instead of being asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from analysis.techniques import TechniqueProfile
from tui.feeds import SourceFeed
from tui.launch import default_profile, status_of
from tui.session import SessionController

DEMO_MINUTES: Final = 5.0
DEMO_TECHNIQUE: Final = "lymphatic"
"""Lymphatic drainage has all three cue rules (direction, cadence, force)."""


def demo_feed(
    *,
    seed: int,
    speed: float,
    technique: str | None,
    profiles: dict[str, TechniqueProfile],
    minutes: float = DEMO_MINUTES,
) -> tuple[SourceFeed, Callable[[TechniqueProfile], SessionController], TechniqueProfile]:
    """The simulated sensor as a feed, the controller factory (with the simulated session's
    calibration window) and the technique it coaches."""
    from firmware_bridge.simulated import SimulatedSensor

    sensor = SimulatedSensor(
        seed=seed,
        technique=technique or DEMO_TECHNIQUE,
        speed=speed,
        minutes=minutes,
        # A force channel so "Lighter pressure" can appear; a sensor with a gyroscope.
        has_force=True,
        device="polar-verity",
        posture="seated_extended",
    )
    session = sensor.session
    info = sensor.info
    profile = default_profile(session.technique, profiles)

    def make_controller(chosen: TechniqueProfile) -> SessionController:
        return SessionController(
            chosen,
            info.sample_rate_hz,
            status_of(info),
            calibration=session.calibration,
            has_force=info.has_force,
        )

    return SourceFeed(sensor), make_controller, profile
