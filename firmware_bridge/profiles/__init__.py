"""BLE device profiles: pure decoders, encoders and configuration commands per device family.

``PROFILES`` maps each name (``massage-coach``, ``polar-pmd``, ``thingy52``, ``microbit``,
``witmotion``) to a factory; ``profile_for_services`` detects the profile from advertised service
UUIDs.
"""

from firmware_bridge.profiles.base import (
    DecodedPacket,
    DecodeError,
    DeviceProfile,
    ProfileConfigError,
)
from firmware_bridge.profiles.registry import (
    PROFILES,
    SERVICE_UUIDS,
    make_profile,
    profile_for_services,
)

__all__ = [
    "PROFILES",
    "SERVICE_UUIDS",
    "DecodeError",
    "DecodedPacket",
    "DeviceProfile",
    "ProfileConfigError",
    "make_profile",
    "profile_for_services",
]
