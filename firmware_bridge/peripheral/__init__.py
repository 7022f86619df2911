"""A simulated BLE sensor for tests and demos: a BlueZ GATT application + LE advertisement
serving a simulated session in a profile's real wire format (``python -m
firmware_bridge.peripheral``), and a radio-less BlueZ stack to run it on (``python -m
firmware_bridge.peripheral.stack``)."""
