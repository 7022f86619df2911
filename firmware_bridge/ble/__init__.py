"""BLE sensors on bleak: scanning, the live source (connect, configure, decode, session clock,
reconnect), per-profile drivers and on-device feedback."""
