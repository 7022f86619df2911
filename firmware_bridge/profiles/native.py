"""One notification in the device's native units, as ``massage-coach decode`` prints it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from firmware_bridge.profiles import polar
from firmware_bridge.profiles.base import DecodeError, ProfileConfigError
from firmware_bridge.profiles.registry import DATA_UUIDS, make_profile

POLAR_ALIASES: Final = {
    "polar-acc": polar.MEASUREMENT_ACC,
    "polar-gyro": polar.MEASUREMENT_GYRO,
}
"""``decode`` also takes these names; they insist on the frame's measurement type."""
DECODE_PROFILES: Final = (*DATA_UUIDS, *POLAR_ALIASES)
CHANNELS: Final = ("acc", "gyro", "force")


@dataclass(frozen=True, eq=False)
class NativeSamples:
    """Samples of one notification: ``values`` shape ``(n, len(columns))`` in ``unit``."""

    columns: tuple[str, ...]
    values: NDArray[np.float64]
    unit: str


def decode_native(
    profile_name: str,
    payload: bytes,
    *,
    channel: str | None = None,
    factor: float | None = None,
) -> NativeSamples:
    """Decode one captured notification of a profile's data characteristic to native units.

    Parameters
    ----------
    profile_name:
        A profile name, or ``polar-acc``/``polar-gyro``.
    payload:
        The notification's bytes.
    channel:
        ``acc`` (default), ``gyro`` or ``force`` for devices that send several in one packet.
        For Polar the frame's type byte decides, and ``channel`` must agree with it.
    factor:
        Polar only: the FACTOR from the start response (default 1.0).

    Raises
    ------
    DecodeError
        Bad bytes.
    ProfileConfigError
        An unknown profile, a channel the packet does not carry, or a factor for a non-Polar
        profile.
    """
    if channel is not None and channel not in CHANNELS:
        raise ProfileConfigError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if profile_name in POLAR_ALIASES or profile_name == polar.PolarPmdProfile.name:
        return _polar_native(profile_name, payload, channel, 1.0 if factor is None else factor)
    if factor is not None:
        raise ProfileConfigError("--factor applies to Polar frames only")
    profile = make_profile(profile_name)
    packet = profile.decode(DATA_UUIDS[profile_name], payload)
    wanted = channel or "acc"
    if wanted == "acc":
        return NativeSamples(("x", "y", "z"), packet.native, packet.native_unit)
    if wanted == "gyro":
        if packet.native_gyro is None:
            raise ProfileConfigError(f"this {profile_name} packet carries no gyroscope")
        return NativeSamples(("x", "y", "z"), packet.native_gyro, packet.native_gyro_unit or "")
    if packet.force_n is None:
        raise ProfileConfigError(f"this {profile_name} packet carries no force")
    return NativeSamples(("force",), packet.force_n.reshape(-1, 1), "N")


def _polar_native(name: str, payload: bytes, channel: str | None, factor: float) -> NativeSamples:
    frame = polar.parse_frame(payload, factor=factor)
    wanted = POLAR_ALIASES.get(name)
    if channel is not None:
        by_channel = {"acc": polar.MEASUREMENT_ACC, "gyro": polar.MEASUREMENT_GYRO}
        if channel not in by_channel:
            raise ProfileConfigError("Polar frames carry acc or gyro, not force")
        wanted = by_channel[channel]
    if wanted is not None and frame.measurement_type != wanted:
        got = polar.MEASUREMENT_NAMES.get(frame.measurement_type, str(frame.measurement_type))
        raise DecodeError(f"the frame's type byte says {got}, not what was asked for")
    return NativeSamples(("x", "y", "z"), frame.values, frame.native_unit)
