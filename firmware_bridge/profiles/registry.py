"""Profile names, construction, and detection from advertised service UUIDs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Final

from firmware_bridge.profiles import microbit, open_profile, polar, thingy52, witmotion
from firmware_bridge.profiles.base import DeviceProfile, ProfileConfigError

PROFILES: Final[Mapping[str, Callable[[], DeviceProfile]]] = MappingProxyType(
    {
        open_profile.OpenProfile.name: open_profile.OpenProfile,
        polar.PolarPmdProfile.name: polar.PolarPmdProfile,
        thingy52.Thingy52Profile.name: thingy52.Thingy52Profile,
        microbit.MicrobitProfile.name: microbit.MicrobitProfile,
        witmotion.WitMotionProfile.name: witmotion.WitMotionProfile,
    }
)
"""Profile name → factory of a fresh profile (Polar's keeps per-stream state, so make one per
connection)."""

SERVICE_UUIDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        open_profile.SERVICE_UUID: open_profile.OpenProfile.name,
        polar.PMD_SERVICE_UUID: polar.PolarPmdProfile.name,
        thingy52.MOTION_SERVICE_UUID: thingy52.Thingy52Profile.name,
        microbit.ACCELEROMETER_SERVICE_UUID: microbit.MicrobitProfile.name,
        witmotion.SERVICE_UUID: witmotion.WitMotionProfile.name,
    }
)
"""Primary service UUID (lower case) → profile name."""

DATA_UUIDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        open_profile.OpenProfile.name: open_profile.DATA_UUID,
        polar.PolarPmdProfile.name: polar.PMD_DATA_UUID,
        thingy52.Thingy52Profile.name: thingy52.RAW_DATA_UUID,
        microbit.MicrobitProfile.name: microbit.ACCELEROMETER_DATA_UUID,
        witmotion.WitMotionProfile.name: witmotion.NOTIFY_UUID,
    }
)
"""Profile name → the characteristic whose notifications carry the samples."""

# Devices often advertise a different service than the one carrying the samples (the Thingy:52
# advertises its configuration service EF680100, the micro:bit often nothing useful).
_ALSO_ADVERTISED: Final[Mapping[str, str]] = MappingProxyType(
    {
        "ef680100-9b35-4933-9b10-52ffa9740042": thingy52.Thingy52Profile.name,
        microbit.LED_SERVICE_UUID: microbit.MicrobitProfile.name,
    }
)


def profile_for_services(uuids: Iterable[str]) -> str | None:
    """The profile a device speaks, from its advertised (or discovered) service UUIDs.

    The project's own profile wins over the vendors' when a device offers several.
    """
    names = set()
    for uuid in uuids:
        key = uuid.lower()
        name = SERVICE_UUIDS.get(key) or _ALSO_ADVERTISED.get(key)
        if name is not None:
            names.add(name)
    for name in PROFILES:  # in order of preference
        if name in names:
            return name
    return None


def make_profile(name: str) -> DeviceProfile:
    """A fresh profile by name; :class:`ProfileConfigError` naming the known ones otherwise."""
    factory = PROFILES.get(name)
    if factory is None:
        known = ", ".join(PROFILES)
        raise ProfileConfigError(f"unknown device profile {name!r}; known: {known}")
    return factory()
