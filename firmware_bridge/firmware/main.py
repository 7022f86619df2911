"""massage-coach DIY sensor: ESP32 + MPU-6050 or ICM-42688 (+ optional FSR), open BLE profile.

MicroPython reference firmware. Copy ``main.py``, ``packet.py`` and ``sensors.py`` to the board
(``mpremote cp main.py packet.py sensors.py :``) and reset it; it advertises as
``MassageCoach-DIY`` and streams while a central is connected. Wiring and the profile are in
``firmware_bridge/README.md``.

Timing: every sample slot since boot has a number (the packet's sample counter) and a time on a
32-bit microsecond clock. Slots the loop could not serve (a stall, no connection, a full radio
queue) are skipped, so the host sees them as a jump in the counter: lost samples are never hidden.
"""

import bluetooth
import time
from machine import ADC, I2C, Pin
from micropython import const

import packet
import sensors

DEVICE_NAME = "MassageCoach-DIY"
FIRMWARE_VERSION = "1.0.0"
I2C_SCL_PIN = 22
I2C_SDA_PIN = 21
FSR_ADC_PIN = 34  # ADC1 input-only pin; set to None without a force sensor
LED_PIN = 2  # the DevKit's blue LED shows the feedback cue

DEFAULT_RATE_HZ = 104
DEFAULT_ACC_RANGE_G = 8
DEFAULT_GYRO_RANGE_DPS = 1000
MAX_LATE_SLOTS = 2  # a loop later than this many periods skips the slots it missed

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_MTU_EXCHANGED = const(21)
_FLAG_READ = const(0x0002)
_FLAG_WRITE_NO_RESPONSE = const(0x0004)
_FLAG_WRITE = const(0x0008)
_FLAG_NOTIFY = const(0x0010)

# Feedback byte → LED blink half-period in ms (0 = steady on, None = off).
_LED_PATTERNS = {0: None, 1: 0, 2: 500, 3: 120}


class DiySensor:
    """The BLE peripheral: registers the open profile, samples on schedule, notifies packets.

    Parameters
    ----------
    ble:
        A ``bluetooth.BLE`` (or a stand-in with the same methods).
    imu:
        A driver from :mod:`sensors` (``configure`` and ``read``).
    force:
        A :class:`sensors.ForceSensor`, or ``None``.
    led:
        A ``machine.Pin`` for the feedback LED, or ``None``.
    ticks_us, ticks_diff:
        The clock (``time.ticks_us``/``time.ticks_diff`` on the board).
    """

    def __init__(self, ble, imu, force=None, led=None, ticks_us=None, ticks_diff=None,
                 name=DEVICE_NAME):
        self.ble = ble
        self.imu = imu
        self.force = force
        self.led = led
        self.ticks_us = ticks_us or time.ticks_us
        self.ticks_diff = ticks_diff or time.ticks_diff
        self.name = name
        self.conn_handle = None
        self.mtu = 23
        self.feedback = 0
        self.notify_failures = 0
        self.has_gyro = True
        self.has_force = force is not None
        self._last_ticks = self.ticks_us()
        self.clock_us = 0  # 32-bit-and-beyond µs since boot (ticks_us wraps at 2**30 on ESP32)
        self.counter_next = 0  # the sample counter of the next slot
        self.ble.active(True)
        self.ble.config(gap_name=name)
        # The central's MTU exchange settles on the smaller offer: offer 247 (244-byte packets).
        self.ble.config(mtu=packet.PREFERRED_MTU)
        self.ble.irq(self._irq)
        service = (
            bluetooth.UUID(packet.SERVICE_UUID),
            (
                (bluetooth.UUID(packet.DATA_UUID), _FLAG_READ | _FLAG_NOTIFY),
                (bluetooth.UUID(packet.CONFIG_UUID), _FLAG_READ | _FLAG_WRITE),
                (bluetooth.UUID(packet.FEEDBACK_UUID), _FLAG_WRITE | _FLAG_WRITE_NO_RESPONSE),
            ),
        )
        ((self.h_data, self.h_config, self.h_feedback),) = self.ble.gatts_register_services(
            (service,)
        )
        self.apply_config(DEFAULT_RATE_HZ, DEFAULT_ACC_RANGE_G, DEFAULT_GYRO_RANGE_DPS,
                          True, self.has_force)
        self.advertise()

    # -- configuration -----------------------------------------------------------------------

    def apply_config(self, rate_hz, acc_range_g, gyro_range_dps, has_gyro, has_force):
        """Configure the IMU, restart the sample schedule, publish what was applied."""
        rate_hz, acc_range_g, gyro_range_dps = self.imu.configure(
            rate_hz, acc_range_g, gyro_range_dps
        )
        self.rate_hz = rate_hz
        self.period_us = 1000000 // rate_hz
        self.has_gyro = has_gyro
        self.has_force = has_force and self.force is not None
        self._tick()
        # The schedule restarts at the new period; the counter carries on.
        self.schedule_origin_us = self.clock_us
        self.next_slot = 0
        self._new_builder()
        self.ble.gatts_write(
            self.h_config,
            packet.encode_config(rate_hz, acc_range_g, gyro_range_dps, self.has_gyro,
                                 self.has_force),
        )

    def _new_builder(self):
        capacity = packet.samples_per_packet(self.mtu, self.has_gyro, self.has_force)
        self.builder = packet.PacketBuilder(capacity, self.has_gyro, self.has_force)

    def advertise(self):
        adv, resp = packet.advertising_payloads(self.name, packet.SERVICE_UUID)
        self.ble.gap_advertise(100000, adv_data=adv, resp_data=resp)

    # -- BLE events --------------------------------------------------------------------------

    def _irq(self, event, data):
        if event == _IRQ_CENTRAL_CONNECT:
            self.conn_handle = data[0]
            self._new_builder()
        elif event == _IRQ_CENTRAL_DISCONNECT:
            self.conn_handle = None
            self.mtu = 23
            self.feedback = 0
            self._new_builder()
            self.advertise()
        elif event == _IRQ_MTU_EXCHANGED:
            self.mtu = data[1]
            self._flush()
            self._new_builder()
        elif event == _IRQ_GATTS_WRITE:
            handle = data[1]
            value = self.ble.gatts_read(handle)
            if handle == self.h_config:
                config = packet.decode_config(value)
                if config is not None:
                    self._flush()
                    self.apply_config(*config)
            elif handle == self.h_feedback and len(value) >= 1:
                self.feedback = value[0]

    # -- sampling ----------------------------------------------------------------------------

    def _tick(self):
        now = self.ticks_us()
        self.clock_us += self.ticks_diff(now, self._last_ticks)
        self._last_ticks = now

    def step(self):
        """Serve every sample slot that is due; returns the number of samples taken."""
        self._tick()
        taken = 0
        due = (self.clock_us - self.schedule_origin_us) // self.period_us
        if due - self.next_slot > MAX_LATE_SLOTS:
            # Too late to catch up honestly: skip the missed slots (the counter shows the gap).
            self._flush()
            self.counter_next += due - self.next_slot
            self.next_slot = due
        while self.next_slot <= due:
            slot_time = self.schedule_origin_us + self.next_slot * self.period_us
            counter = self.counter_next
            self.counter_next += 1
            self.next_slot += 1
            if self.conn_handle is None:
                continue
            acc, gyro = self.imu.read()
            force = self.force.read_n() if self.has_force else None
            if self.builder.add(counter, slot_time, acc, gyro if self.has_gyro else None, force):
                self._flush()
            taken += 1
        self._show_feedback()
        return taken

    def _flush(self):
        payload = self.builder.take(self.period_us)
        if payload is None or self.conn_handle is None:
            return
        try:
            self.ble.gatts_notify(self.conn_handle, self.h_data, payload)
        except OSError:
            self.notify_failures += 1  # the radio queue is full; the counter shows the loss

    def _show_feedback(self):
        if self.led is None:
            return
        half_ms = _LED_PATTERNS.get(self.feedback)
        if half_ms is None:
            self.led.value(0)
        elif half_ms == 0:
            self.led.value(1)
        else:
            self.led.value((self.clock_us // (half_ms * 1000)) % 2)

    def run(self):
        while True:
            self.step()
            # Sleep until shortly before the next slot; the loop re-checks the clock.
            wait_us = self.schedule_origin_us + self.next_slot * self.period_us - self.clock_us
            if wait_us > 300:
                time.sleep_us(wait_us - 200)


def main():
    i2c = I2C(0, scl=Pin(I2C_SCL_PIN), sda=Pin(I2C_SDA_PIN), freq=400000)
    imu = sensors.detect_imu(i2c)
    force = None
    if FSR_ADC_PIN is not None:
        adc = ADC(Pin(FSR_ADC_PIN))
        adc.atten(ADC.ATTN_11DB)  # the full 0-3.3 V range
        force = sensors.ForceSensor(adc)
    led = Pin(LED_PIN, Pin.OUT)
    DiySensor(bluetooth.BLE(), imu, force=force, led=led).run()


if __name__ == "__main__":
    main()
