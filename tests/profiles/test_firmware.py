"""The MicroPython reference firmware under CPython, with stand-ins for ``bluetooth``,
``machine`` and ``micropython``: its notifications must decode with the project's open-profile
decoder to exactly the samples its (simulated) IMU and force sensor produced."""

from __future__ import annotations

import importlib.util
import struct
import sys
import types
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.profiles import open_profile

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware_bridge" / "firmware"
TICKS_PERIOD = 1 << 30  # MicroPython's ticks_us wraps here on the ESP32


# ------------------------------------------------------------------ stand-ins


class FakeUUID:
    def __init__(self, value: str) -> None:
        self.value = value.lower()


class FakeBLE:
    """Records what the firmware does with the radio, like MicroPython's ``bluetooth.BLE``."""

    def __init__(self) -> None:
        self.is_active = False
        self.configured: dict[str, Any] = {}
        self.handler: Any = None
        self.services: Any = None
        self.values: dict[int, bytes] = {}
        self.notified: list[tuple[int, int, bytes]] = []
        self.adverts: list[bytes] = []
        self.queue_full = False

    def active(self, on: bool) -> None:
        self.is_active = on

    def config(self, **kwargs: Any) -> None:
        self.configured.update(kwargs)

    def irq(self, handler: Any) -> None:
        self.handler = handler

    def gatts_register_services(self, services: Any) -> Any:
        self.services = services
        return tuple(
            tuple(range(10 * i + 1, 10 * i + 1 + len(s[1]))) for i, s in enumerate(services)
        )

    def gap_advertise(
        self, interval_us: int, adv_data: bytes | None = None, resp_data: bytes | None = None
    ) -> None:
        assert adv_data is not None
        assert resp_data is not None
        assert len(adv_data) <= 31
        assert len(resp_data) <= 31
        self.adverts.append(adv_data + resp_data)

    def gatts_write(self, handle: int, data: bytes) -> None:
        self.values[handle] = bytes(data)

    def gatts_read(self, handle: int) -> bytes:
        return self.values.get(handle, b"")

    def gatts_notify(self, conn: int, handle: int, data: bytes) -> None:
        if self.queue_full:
            raise OSError(12, "ENOMEM")
        self.notified.append((conn, handle, bytes(data)))


class FakeMpu6050Bus:
    """An I2C bus with an MPU-6050 register file; each data read returns the next raw sample."""

    who_am_i = 0x68
    data_register = 0x3B

    def __init__(self) -> None:
        self.registers: dict[int, int] = {}
        self.samples: deque[tuple[int, ...]] = deque()
        self.rng = np.random.default_rng(5)

    def next_raw(self) -> tuple[int, ...]:
        raw = tuple(int(v) for v in self.rng.integers(-20000, 20000, 6))
        self.samples.append(raw)
        return raw

    def readfrom_mem(self, address: int, register: int, n: int) -> bytes:
        assert address == 0x68
        if register == 0x75:
            return bytes([self.who_am_i])
        assert register == self.data_register
        ax, ay, az, gx, gy, gz = self.next_raw()
        if n == 14:
            return struct.pack(">hhhhhhh", ax, ay, az, 0, gx, gy, gz)
        return struct.pack(">hhhhhh", ax, ay, az, gx, gy, gz)

    def writeto_mem(self, address: int, register: int, data: bytes) -> None:
        self.registers[register] = data[0]


class FakeIcm42688Bus(FakeMpu6050Bus):
    who_am_i = 0x47
    data_register = 0x1F


class FakeAdc:
    ATTN_11DB = 3

    def __init__(self, *_: Any) -> None:
        self.raw = 30000

    def atten(self, _: int) -> None:
        pass

    def read_u16(self) -> int:
        return self.raw


class FakePin:
    OUT = 1

    def __init__(self, *_: Any) -> None:
        self.level = 0

    def value(self, level: int | None = None) -> int:
        if level is not None:
            self.level = level
        return self.level


class FakeClock:
    """``ticks_us``/``ticks_diff`` with MicroPython's wrap-around, starting near the wrap."""

    def __init__(self) -> None:
        self.now_us = TICKS_PERIOD - 50_000

    def ticks_us(self) -> int:
        return self.now_us % TICKS_PERIOD

    @staticmethod
    def ticks_diff(a: int, b: int) -> int:
        half = TICKS_PERIOD // 2
        return ((a - b + half) % TICKS_PERIOD) - half


def _load(name: str, alias: str | None = None) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(alias or name, FIRMWARE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def firmware(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    bluetooth = types.ModuleType("bluetooth")
    bluetooth.UUID = FakeUUID  # type: ignore[attr-defined]
    bluetooth.BLE = FakeBLE  # type: ignore[attr-defined]
    machine = types.ModuleType("machine")
    machine.ADC = FakeAdc  # type: ignore[attr-defined]
    machine.Pin = FakePin  # type: ignore[attr-defined]
    machine.I2C = object  # type: ignore[attr-defined]
    micropython = types.ModuleType("micropython")
    micropython.const = lambda value: value  # type: ignore[attr-defined]
    for name, module in (
        ("bluetooth", bluetooth),
        ("machine", machine),
        ("micropython", micropython),
    ):
        monkeypatch.setitem(sys.modules, name, module)
    packet = _load("packet")
    sensors = _load("sensors")
    monkeypatch.setitem(sys.modules, "packet", packet)
    monkeypatch.setitem(sys.modules, "sensors", sensors)
    main = _load("main", "massage_coach_firmware_main")
    return types.SimpleNamespace(main=main, packet=packet, sensors=sensors)


FIRMWARE_PACKET = _load("packet", "massage_coach_firmware_packet")

# ------------------------------------------------------------------ tests


def _expected_force_n(raw_u16: int) -> float:
    # README: FSR from 3.3 V to the pin, 10 kΩ to ground, force = conductance(µS) × 0.01 N/µS.
    v = raw_u16 * 3.3 / 65535
    fsr_ohm = 10_000 * (3.3 - v) / v
    return 1e6 / fsr_ohm * 0.01


@pytest.mark.parametrize("bus_type", [FakeMpu6050Bus, FakeIcm42688Bus])
def test_firmware_streams_what_its_imu_measured(
    firmware: types.SimpleNamespace, bus_type: type[FakeMpu6050Bus]
) -> None:
    bus = bus_type()
    imu = firmware.sensors.detect_imu(bus)
    clock = FakeClock()
    ble = FakeBLE()
    adc = FakeAdc()
    led = FakePin()
    device = firmware.main.DiySensor(
        ble,
        imu,
        force=firmware.sensors.ForceSensor(adc),
        led=led,
        ticks_us=clock.ticks_us,
        ticks_diff=clock.ticks_diff,
    )
    assert ble.configured == {"gap_name": "MassageCoach-DIY", "mtu": 247}
    # GATT table and advertisement carry the open profile's UUIDs.
    (service,) = ble.services
    assert service[0].value == open_profile.SERVICE_UUID
    assert [c[0].value for c in service[1]] == [
        open_profile.DATA_UUID,
        open_profile.CONFIG_UUID,
        open_profile.FEEDBACK_UUID,
    ]
    assert service[1][0][1] & 0x0010  # notify
    advert = ble.adverts[-1]
    assert bytes.fromhex(open_profile.SERVICE_UUID.replace("-", ""))[::-1] in advert
    assert b"\x11\x09MassageCoach-DIY" in advert  # complete local name
    config = open_profile.decode_config(ble.values[device.h_config])
    assert (config.sample_rate_hz, config.acc_range_g, config.gyro_range_dps) == (104, 8, 1000)

    # Nothing is sent before a central connects.
    clock.now_us += 100_000
    device.step()
    assert ble.notified == []

    ble.handler(1, (0, 0, b"\x00" * 6))  # _IRQ_CENTRAL_CONNECT
    ble.handler(21, (0, 247))  # _IRQ_MTU_EXCHANGED
    period = device.period_us
    assert period == 1_000_000 // 104
    bus.samples.clear()
    for _ in range(120):  # crosses the 2**30 ticks wrap
        clock.now_us += period
        device.step()

    stream = open_profile.OpenProfileStream()
    steps = [stream.push(p) for _, _, p in ble.notified]
    assert all(handle == device.h_data for _, handle, _ in ble.notified)
    assert all(len(p) <= 244 for _, _, p in ble.notified)
    assert sum(s.lost_samples for s in steps) == 0
    got_acc = np.concatenate([s.packet.native for s in steps])
    got_gyro = np.concatenate([s.packet.native_gyro for s in steps])
    got_force = np.concatenate([s.packet.force_n for s in steps])
    times = np.concatenate([s.device_time_s for s in steps])
    raw = np.array(list(bus.samples)[: got_acc.shape[0]], dtype=np.float64)
    assert got_acc.shape[0] >= 100
    # 8 g → 4096 LSB/g and 1000 °/s → 32.8 LSB/(°/s) (MPU-6050: 131/4 = 32.75).
    gyro_lsb = 32.75 if bus_type is FakeMpu6050Bus else 32.8
    np.testing.assert_allclose(got_acc, raw[:, :3] * 1000 / 4096, atol=0.5 + 1e-9)
    np.testing.assert_allclose(got_gyro, raw[:, 3:] / gyro_lsb, atol=0.05 + 1e-9)
    np.testing.assert_allclose(got_force, _expected_force_n(30000), atol=0.005 + 1e-9)
    np.testing.assert_allclose(np.diff(times), period * 1e-6, rtol=1e-9)
    counters = [int(s.packet.sequence or 0) for s in steps]
    sizes = [len(s.packet) for s in steps]
    assert all(b == a + n for a, b, n in zip(counters, counters[1:], sizes, strict=False))

    # A stall of 10 periods: the skipped slots show up as lost samples, nothing is hidden.
    sent_before = len(ble.notified)
    clock.now_us += 10 * period
    device.step()
    for _ in range(40):
        clock.now_us += period
        device.step()
    later = [stream.push(p) for _, _, p in ble.notified[sent_before:]]
    assert sum(s.lost_samples for s in later) == 9

    # The central asks for 208 Hz, ±16 g, ±2000 °/s: the device applies and publishes it.
    ble.values[device.h_config] = open_profile.encode_config(
        open_profile.OpenConfig(sample_rate_hz=208, acc_range_g=16, gyro_range_dps=2000)
    )
    ble.handler(3, (0, device.h_config))  # _IRQ_GATTS_WRITE
    applied = open_profile.decode_config(ble.values[device.h_config])
    assert (applied.sample_rate_hz, applied.acc_range_g, applied.gyro_range_dps) == (208, 16, 2000)
    assert applied.gyro
    assert not applied.force
    sent_before = len(ble.notified)
    bus.samples.clear()
    for _ in range(60):
        clock.now_us += device.period_us
        device.step()
    after = [open_profile.parse_packet(p) for _, _, p in ble.notified[sent_before:]]
    assert after
    assert all(p.period_us == 1_000_000 // 208 for p in after)
    assert all(p.force_n is None for p in after)
    raw = np.array(list(bus.samples), dtype=np.float64)
    acc = np.concatenate([p.acc_mg for p in after])
    np.testing.assert_allclose(acc, raw[: acc.shape[0], :3] * 1000 / 2048, atol=0.5 + 1e-9)

    # Feedback: "switch up" lights the LED steadily, clearing it switches it off.
    ble.values[device.h_feedback] = open_profile.encode_feedback("switch_up")
    ble.handler(3, (0, device.h_feedback))
    clock.now_us += device.period_us
    device.step()
    assert led.level == 1
    ble.values[device.h_feedback] = open_profile.encode_feedback(None)
    ble.handler(3, (0, device.h_feedback))
    device.step()
    assert led.level == 0

    # A full radio queue loses a packet; the next one's counter says how many samples.
    ble.queue_full = True
    for _ in range(device.builder.capacity):
        clock.now_us += device.period_us
        device.step()
    ble.queue_full = False
    assert device.notify_failures == 1

    # Disconnect: advertising again, nothing sent.
    adverts = len(ble.adverts)
    ble.handler(2, (0, 0, b"\x00" * 6))
    sent = len(ble.notified)
    for _ in range(50):
        clock.now_us += device.period_us
        device.step()
    assert len(ble.notified) == sent
    assert len(ble.adverts) == adverts + 1


def test_imu_drivers_write_the_datasheet_registers(firmware: types.SimpleNamespace) -> None:
    mpu_bus = FakeMpu6050Bus()
    mpu = firmware.sensors.detect_imu(mpu_bus)
    assert type(mpu).__name__ == "Mpu6050"
    assert mpu.configure(208, 8, 1000) == (208, 8, 1000)
    # PWR_MGMT_1 awake on the gyro PLL; AFS_SEL 2 (±8 g); FS_SEL 2 (±1000 °/s).
    assert mpu_bus.registers[0x6B] == 0x01
    assert mpu_bus.registers[0x1C] == 2 << 3
    assert mpu_bus.registers[0x1B] == 2 << 3
    icm_bus = FakeIcm42688Bus()
    icm = firmware.sensors.detect_imu(icm_bus)
    assert type(icm).__name__ == "Icm42688"
    assert icm.configure(416, 16, 2000) == (416, 16, 2000)
    # ACCEL_CONFIG0/GYRO_CONFIG0: FS_SEL 0 (±16 g, ±2000 °/s) and ODR 500 Hz (0x0F).
    assert icm_bus.registers[0x50] == 0x0F
    assert icm_bus.registers[0x4F] == 0x0F
    assert icm_bus.registers[0x4E] == 0x0F  # PWR_MGMT0: both in low-noise mode

    class Nobody(FakeMpu6050Bus):
        who_am_i = 0x12

    with pytest.raises(OSError, match="WHO_AM_I"):
        firmware.sensors.detect_imu(Nobody())


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 16),
    has_gyro=st.booleans(),
    has_force=st.booleans(),
    counter=st.integers(0, 2**40),
    time_us=st.integers(0, 2**40),
    period_us=st.integers(1, 100_000),
)
def test_firmware_packets_match_the_project_encoder(
    data: st.DataObject,
    n: int,
    has_gyro: bool,
    has_force: bool,
    counter: int,
    time_us: int,
    period_us: int,
) -> None:
    ints = st.integers(-32768, 32767)
    acc = [tuple(data.draw(ints) for _ in range(3)) for _ in range(n)]
    gyro = [tuple(data.draw(ints) / 10 for _ in range(3)) for _ in range(n)] if has_gyro else None
    force = [data.draw(st.integers(0, 65535)) / 100 for _ in range(n)] if has_force else None
    # packet.py needs no stand-ins: it is plain Python shared by CPython and MicroPython.
    ours = FIRMWARE_PACKET.encode_packet(counter, time_us, period_us, acc, gyro, force)
    project = open_profile.encode_packet(
        acc, gyro, force, counter=counter, time_us=time_us, period_us=period_us
    )
    assert ours == project
    decoded = open_profile.parse_packet(ours)
    np.testing.assert_array_equal(decoded.acc_mg, acc)
    assert decoded.counter == counter % 2**32


def test_samples_per_packet_follows_the_mtu(firmware: types.SimpleNamespace) -> None:
    spp = firmware.packet.samples_per_packet
    assert spp(247, True, True) == open_profile.max_samples_per_packet(True, True)
    assert spp(247, False, False) == open_profile.max_samples_per_packet(False, False)
    assert spp(23, True, False) == 1  # below the profile's needs: still one per packet
    assert spp(517, True, True) == (517 - 3 - 16) // 14
