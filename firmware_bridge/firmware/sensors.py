"""IMU and force-sensor drivers for the reference firmware (MicroPython).

Each IMU driver reads one sample as ``(acc_mg, gyro_dps)`` tuples, converting from the chip's
big-endian registers with the scale of the configured range. Register facts are from the
InvenSense MPU-6000/6050 register map (rev 4.2) and the TDK ICM-42688-P datasheet (rev 1.7).
"""

import struct

I2C_ADDRESS = 0x68  # AD0 low; 0x69 with AD0 high
REG_WHO_AM_I = 0x75  # the same address on both chips


class _I2cImu:
    """What both chips share: an I2C register file, a burst of big-endian words per sample."""

    DATA_REGISTER = 0
    DATA_FORMAT = ""
    GYRO_INDEX = 3  # index of gyro x in the burst

    def __init__(self, i2c, address=I2C_ADDRESS):
        self.i2c = i2c
        self.address = address
        self.acc_lsb_per_g = 4096.0
        self.gyro_lsb_per_dps = 32.8

    def read(self):
        """One sample: ``((ax, ay, az) mG, (gx, gy, gz) deg/s)``."""
        raw = self.i2c.readfrom_mem(
            self.address, self.DATA_REGISTER, struct.calcsize(self.DATA_FORMAT)
        )
        words = struct.unpack(self.DATA_FORMAT, raw)
        a = 1000.0 / self.acc_lsb_per_g
        g = 1.0 / self.gyro_lsb_per_dps
        gi = self.GYRO_INDEX
        return (
            (words[0] * a, words[1] * a, words[2] * a),
            (words[gi] * g, words[gi + 1] * g, words[gi + 2] * g),
        )

    def _write(self, register, value):
        self.i2c.writeto_mem(self.address, register, bytes((value,)))


class Mpu6050(_I2cImu):
    """InvenSense MPU-6050: ±2/4/8/16 g, ±250/500/1000/2000 deg/s, 1 kHz internal rate."""

    WHO_AM_I = 0x68
    ACC_RANGES_G = (2, 4, 8, 16)
    GYRO_RANGES_DPS = (250, 500, 1000, 2000)
    RATES_HZ = (26, 52, 104, 208, 416)
    DATA_REGISTER = 0x3B  # ACCEL_XOUT_H .. GYRO_ZOUT_L, temperature in between
    DATA_FORMAT = ">hhhhhhh"
    GYRO_INDEX = 4

    def configure(self, rate_hz, acc_range_g, gyro_range_dps):
        """Wake the chip and set rate and ranges; returns the values actually applied."""
        rate_hz = _nearest(self.RATES_HZ, rate_hz)
        acc_range_g = _nearest(self.ACC_RANGES_G, acc_range_g)
        gyro_range_dps = _nearest(self.GYRO_RANGES_DPS, gyro_range_dps)
        acc_sel = self.ACC_RANGES_G.index(acc_range_g)
        gyro_sel = self.GYRO_RANGES_DPS.index(gyro_range_dps)
        w = self._write
        w(0x6B, 0x01)  # PWR_MGMT_1: awake, clock from the X gyro PLL
        w(0x1A, 0x02)  # CONFIG: DLPF 94 Hz acc / 98 Hz gyro, internal rate 1 kHz
        w(0x19, max(0, 1000 // rate_hz - 1))  # SMPLRT_DIV: the chip's own output rate
        w(0x1B, gyro_sel << 3)  # GYRO_CONFIG FS_SEL
        w(0x1C, acc_sel << 3)  # ACCEL_CONFIG AFS_SEL
        self.acc_lsb_per_g = 16384.0 / (1 << acc_sel)
        self.gyro_lsb_per_dps = 131.0 / (1 << gyro_sel)
        return rate_hz, acc_range_g, gyro_range_dps


class Icm42688(_I2cImu):
    """TDK ICM-42688-P: ±2/4/8/16 g, ±250/500/1000/2000 deg/s, output rates up to 32 kHz."""

    WHO_AM_I = 0x47
    ACC_RANGES_G = (16, 8, 4, 2)  # FS_SEL 0..3
    GYRO_RANGES_DPS = (2000, 1000, 500, 250)  # FS_SEL 0..3
    # Output data rate codes (ACCEL_CONFIG0/GYRO_CONFIG0 low nibble).
    ODR_CODES = {25: 0x0A, 50: 0x09, 100: 0x08, 200: 0x07, 500: 0x0F, 1000: 0x06}
    RATES_HZ = (26, 52, 104, 208, 416)
    DATA_REGISTER = 0x1F  # ACCEL_DATA_X1 .. GYRO_DATA_Z0
    DATA_FORMAT = ">hhhhhh"
    GYRO_INDEX = 3

    def configure(self, rate_hz, acc_range_g, gyro_range_dps):
        """Set rate and ranges and switch the sensors on; returns the values applied."""
        rate_hz = _nearest(self.RATES_HZ, rate_hz)
        acc_range_g = _nearest(self.ACC_RANGES_G, acc_range_g)
        gyro_range_dps = _nearest(self.GYRO_RANGES_DPS, gyro_range_dps)
        # The chip runs at the next faster ODR; the firmware's loop picks samples at rate_hz.
        odr = self.ODR_CODES[_next_at_least(sorted(self.ODR_CODES), rate_hz)]
        acc_sel = self.ACC_RANGES_G.index(acc_range_g)
        gyro_sel = self.GYRO_RANGES_DPS.index(gyro_range_dps)
        w = self._write
        w(0x76, 0x00)  # REG_BANK_SEL: bank 0
        w(0x4F, (gyro_sel << 5) | odr)  # GYRO_CONFIG0
        w(0x50, (acc_sel << 5) | odr)  # ACCEL_CONFIG0
        w(0x4E, 0x0F)  # PWR_MGMT0: gyro and accel in low-noise mode
        self.acc_lsb_per_g = 2048.0 * (1 << acc_sel)
        self.gyro_lsb_per_dps = 16.4 * (1 << gyro_sel)
        return rate_hz, acc_range_g, gyro_range_dps


def detect_imu(i2c, address=I2C_ADDRESS):
    """The driver for the chip answering at ``address``, by its WHO_AM_I byte."""
    who = i2c.readfrom_mem(address, REG_WHO_AM_I, 1)[0]
    for driver in (Mpu6050, Icm42688):
        if who == driver.WHO_AM_I:
            return driver(i2c, address)
    raise OSError("no MPU-6050 or ICM-42688 at 0x%02x (WHO_AM_I 0x%02x)" % (address, who))


class ForceSensor:
    """A force-sensing resistor from 3.3 V to the ADC pin, a fixed resistor from the pin to GND.

    An FSR's conductance grows about linearly with force, so ``force = conductance × k``;
    calibrate ``newton_per_microsiemens`` by pressing on a kitchen scale (kg × 9.81 = N).
    """

    def __init__(self, adc, fixed_ohm=10000.0, newton_per_microsiemens=0.01, supply_v=3.3):
        self.adc = adc
        self.fixed_ohm = fixed_ohm
        self.k = newton_per_microsiemens
        self.supply_v = supply_v

    def read_n(self):
        return force_from_adc(self.adc.read_u16(), self.fixed_ohm, self.k, self.supply_v)


def force_from_adc(raw_u16, fixed_ohm, newton_per_microsiemens, supply_v=3.3):
    """Force in N from a 16-bit ADC reading of the divider's middle."""
    v = raw_u16 * supply_v / 65535.0
    if v <= 0.001:
        return 0.0  # no touch: the FSR is open
    if v >= supply_v:
        v = supply_v * 0.9999
    fsr_ohm = fixed_ohm * (supply_v - v) / v
    return 1e6 / fsr_ohm * newton_per_microsiemens


def _nearest(options, value):
    best = options[0]
    for option in options:
        if abs(option - value) < abs(best - value):
            best = option
    return best


def _next_at_least(options, value):
    for option in options:
        if option >= value:
            return option
    return options[-1]
