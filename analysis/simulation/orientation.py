"""Rotations for the simulator: the sensor's orientation as a chain of elementary rotations with
exact body-frame angular velocity, plus quaternion helpers (used by the tests to integrate a gyro).

Conventions: ``R`` maps sensor-frame vectors to the world frame (``v_world = R @ v_sensor``); a
sensor reading of a world vector is ``R.T @ v_world``. Quaternions are ``(w, x, y, z)``, Hamilton.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from analysis.samples import FloatArray


def axis_angle_matrices(axis: FloatArray, angle_rad: FloatArray) -> FloatArray:
    """Rotation matrices about a fixed unit ``axis`` (3,) by ``angle_rad`` (n,), shape (n, 3, 3)
    (Rodrigues' formula)."""
    x, y, z = (float(v) for v in axis)
    k = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    kk = k @ k
    s = np.sin(angle_rad)[:, None, None]
    c = (1.0 - np.cos(angle_rad))[:, None, None]
    result: FloatArray = np.eye(3)[None] + s * k[None] + c * kk[None]
    return result


@dataclass(frozen=True)
class Turn:
    """A rotation about a fixed ``axis`` (unit, in the frame of the factor's left neighbour) by a
    time-varying angle (rad) with its rate (rad/s), both shape (n,)."""

    axis: FloatArray
    angle_rad: FloatArray
    rate_radps: FloatArray


Factor = Turn | FloatArray
"""A chain factor: a :class:`Turn` or a constant rotation matrix (3, 3)."""


def compose(factors: Sequence[Factor], n: int) -> tuple[FloatArray, FloatArray]:
    """Compose ``R = F_1 F_2 … F_m`` and its exact body-frame angular velocity.

    For ``R = R_1 ⋯ R_m`` with ``R_i`` a rotation about a fixed axis ``a_i`` by ``θ_i(t)``,
    ``Rᵀ Ṙ = [ω]×`` with ``ω = Σ_i (R_{i+1} ⋯ R_m)ᵀ a_i θ̇_i`` (constant factors contribute 0).

    Returns
    -------
    R:
        Shape (n, 3, 3).
    omega_body_radps:
        Angular velocity in the frame of the right-most factor (the sensor), rad/s, shape (n, 3).
    """
    right = np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
    omega = np.zeros((n, 3))
    for factor in reversed(factors):
        if isinstance(factor, Turn):
            omega += np.einsum("nji,j->ni", right, factor.axis) * factor.rate_radps[:, None]
            right = np.matmul(axis_angle_matrices(factor.axis, factor.angle_rad), right)
        else:
            right = np.matmul(factor, right)
    return right, omega


def apply_chain(factors: Sequence[Factor], v: FloatArray, n: int) -> FloatArray:
    """``F_1 F_2 … F_m v`` for a vector ``v`` (3,) or (n, 3), without forming the matrices
    (cheaper than :func:`compose` when only one vector is needed). Shape (n, 3)."""
    out = np.broadcast_to(np.asarray(v, dtype=np.float64), (n, 3)).copy()
    for factor in reversed(factors):
        if isinstance(factor, Turn):
            a = factor.axis
            c = np.cos(factor.angle_rad)[:, None]
            s = np.sin(factor.angle_rad)[:, None]
            out = out * c + np.cross(a, out) * s + np.outer(out @ a, a) * (1.0 - c)
        else:
            out = out @ factor.T
    return out


def random_rotation(rng: np.random.Generator) -> FloatArray:
    """A rotation matrix drawn uniformly from SO(3)."""
    result: FloatArray = quaternion_to_matrix(_normalise(rng.normal(size=4)))[0]
    return result


def axis_aligned_rotation(rng: np.random.Generator, tilt_deg: float) -> FloatArray:
    """One of the 24 axis-aligned rotations (a strap or case put on any way round), tilted by a
    small random rotation of up to ``tilt_deg`` degrees."""
    perm = rng.permutation(3)
    m = np.zeros((3, 3))
    m[np.arange(3), perm] = rng.choice([-1.0, 1.0], size=3)
    if np.linalg.det(m) < 0:
        m[:, 0] *= -1.0
    axis = _normalise(rng.normal(size=3))
    tilt = np.radians(rng.uniform(0.0, tilt_deg))
    result: FloatArray = m @ axis_angle_matrices(axis, np.array([tilt]))[0]
    return result


def _normalise(v: FloatArray) -> FloatArray:
    result: FloatArray = v / np.linalg.norm(v, axis=-1, keepdims=True)
    return result


def quaternion_to_matrix(q: FloatArray) -> FloatArray:
    """Rotation matrices (n, 3, 3) of unit quaternions ``(w, x, y, z)`` of shape (n, 4) or (4,)."""
    q = np.atleast_2d(q)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=-2,
    )


def matrix_to_quaternion(m: FloatArray) -> FloatArray:
    """Unit quaternions ``(w, x, y, z)`` (n, 4) of rotation matrices (n, 3, 3), with ``w ≥ 0``."""
    xyzw = Rotation.from_matrix(np.asarray(m).reshape(-1, 3, 3)).as_quat()
    q = np.concatenate([xyzw[:, 3:], xyzw[:, :3]], axis=1)
    return q * np.where(q[:, :1] < 0, -1.0, 1.0)


def quaternion_multiply(a: FloatArray, b: FloatArray) -> FloatArray:
    """Hamilton product ``a ⊗ b`` of quaternions (…, 4)."""
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


def integrate_gyro(q0: FloatArray, t_s: FloatArray, gyro_radps: FloatArray) -> FloatArray:
    """Integrate body-frame angular velocity from the orientation ``q0`` (w, x, y, z).

    Each step rotates by the mean rate of its two end samples over the step (exact for a rate
    that is constant or linear in time about a fixed axis). Returns (n, 4) quaternions.
    """
    n = t_s.shape[0]
    out = np.empty((n, 4))
    out[0] = _normalise(np.asarray(q0, dtype=np.float64))
    dt = np.diff(t_s)
    mean_rate = 0.5 * (gyro_radps[1:] + gyro_radps[:-1])
    rot = mean_rate * dt[:, None]
    angle = np.linalg.norm(rot, axis=1)
    half = 0.5 * angle
    scale = np.where(angle > 1e-12, np.sin(half) / np.maximum(angle, 1e-300), 0.5)
    steps = np.concatenate([np.cos(half)[:, None], rot * scale[:, None]], axis=1)
    q = out[0]
    for i in range(n - 1):
        q = quaternion_multiply(q, steps[i])
        out[i + 1] = q
    return _normalise(out)
