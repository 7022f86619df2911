"""Where the limb lies in the world for each posture.

World frame: ``x``, ``y`` horizontal, ``z`` up (gravity ``(0, 0, −9.80665)`` m/s²). A posture gives
the unit vector ``toward_heart`` along the limb axis, the outward skin normal ``normal`` where the
hand works (perpendicular to the axis) and the limb's radius there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from analysis.samples import FloatArray

POSTURES: Final[dict[str, str]] = {
    "seated_extended": "seated with the leg extended: toward the heart is horizontal (±8°)",
    "foot_on_chair": "foot up on a chair, working the shin/calf: toward the heart climbs 20–50°",
    "standing": "standing, leg vertical: toward the heart points up (70–88°)",
    "lying_leg_raised": "lying on the back with the leg raised: toward the heart points DOWN "
    "(−25 to −75°)",
}
"""Postures and the elevation of "toward the heart" above the horizontal in each."""

_ELEVATION_DEG: Final[dict[str, tuple[float, float]]] = {
    "seated_extended": (-8.0, 8.0),
    "foot_on_chair": (20.0, 50.0),
    "standing": (70.0, 88.0),
    "lying_leg_raised": (-75.0, -25.0),
}


@dataclass(frozen=True)
class LimbPose:
    """The limb in the world frame.

    Attributes
    ----------
    posture:
        Name from :data:`POSTURES`.
    toward_heart:
        Unit vector along the limb axis pointing toward the heart, shape ``(3,)``.
    normal:
        Outward unit skin normal at the worked surface (``q = 0``), perpendicular to the axis.
    across:
        ``toward_heart × normal``: the direction of increasing ``q`` at ``q = 0``.
    radius_m:
        Limb radius in m (the hand's path around the limb is a circle of this radius).
    origin_m:
        A point on the limb axis (the start of ``s``), world frame, m.
    elevation_deg:
        Elevation of ``toward_heart`` above the horizontal, degrees.
    """

    posture: str
    toward_heart: FloatArray
    normal: FloatArray
    across: FloatArray
    radius_m: float
    origin_m: FloatArray
    elevation_deg: float

    def world_position_m(self, s_m: FloatArray, q_m: FloatArray, h_m: FloatArray) -> FloatArray:
        """World position (m) of skin coordinates ``(s, q, h)``, shape ``(n, 3)``."""
        phi = q_m / self.radius_m
        rho = self.radius_m + h_m
        radial = np.outer(np.cos(phi), self.normal) + np.outer(np.sin(phi), self.across)
        result: FloatArray = (
            self.origin_m + np.outer(s_m, self.toward_heart) + rho[:, None] * radial
        )
        return result

    def world_acceleration_mps2(
        self, pos: FloatArray, vel: FloatArray, acc: FloatArray
    ) -> FloatArray:
        """World acceleration (m/s²) of the skin-coordinate motion, exactly (polar coordinates
        around the limb axis): ``s̈ u + (ρ̈ − ρ φ̇²) e_r + (ρ φ̈ + 2 ρ̇ φ̇) e_φ``."""
        r = self.radius_m
        phi = pos[:, 1] / r
        dphi = vel[:, 1] / r
        ddphi = acc[:, 1] / r
        rho = r + pos[:, 2]
        drho = vel[:, 2]
        ddrho = acc[:, 2]
        cos, sin = np.cos(phi), np.sin(phi)
        e_r = np.outer(cos, self.normal) + np.outer(sin, self.across)
        e_phi = np.outer(-sin, self.normal) + np.outer(cos, self.across)
        result: FloatArray = (
            np.outer(acc[:, 0], self.toward_heart)
            + (ddrho - rho * dphi**2)[:, None] * e_r
            + (rho * ddphi + 2.0 * drho * dphi)[:, None] * e_phi
        )
        return result


def sample_limb_pose(posture: str, rng: np.random.Generator) -> LimbPose:
    """Draw a limb pose for ``posture``: axis azimuth uniform, elevation in the posture's range,
    the worked surface turned up to ±40° around the limb from the side facing the user."""
    if posture not in _ELEVATION_DEG:
        raise ValueError(f"unknown posture {posture!r} (known: {', '.join(POSTURES)})")
    lo, hi = _ELEVATION_DEG[posture]
    elevation = float(rng.uniform(lo, hi))
    azimuth = float(rng.uniform(0.0, 2.0 * np.pi))
    el = np.radians(elevation)
    u = np.array([np.cos(el) * np.cos(azimuth), np.cos(el) * np.sin(azimuth), np.sin(el)])
    # The worked surface faces up where the limb lies flat-ish; for a near-vertical limb it faces
    # a horizontal direction (the front of the shin).
    up = np.array([0.0, 0.0, 1.0])
    ref = up - np.dot(up, u) * u
    if np.linalg.norm(ref) < 0.35:
        horiz = np.array([np.cos(azimuth + np.pi / 2), np.sin(azimuth + np.pi / 2), 0.0])
        ref = horiz - np.dot(horiz, u) * u
    n0 = ref / np.linalg.norm(ref)
    turn = float(rng.uniform(-np.radians(40.0), np.radians(40.0)))
    c0 = np.cross(u, n0)
    normal = np.cos(turn) * n0 + np.sin(turn) * c0
    across = np.cross(u, normal)
    radius = float(rng.uniform(0.045, 0.075))
    origin = np.array([0.0, 0.0, 0.6]) + rng.normal(0.0, 0.05, 3)
    return LimbPose(posture, u, normal, across, radius, origin, elevation)
