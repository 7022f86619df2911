"""The sensor between the hand's true motion and the numbers in ``samples.csv``.

Models: the device's sample clock (drift against the host), per-axis scale error, cross-axis
coupling and bias, white noise, the device's int16 counts and range (quantization, saturation),
an optional force-sensitive resistor, BLE packets of several samples, bursty packet loss
(Gilbert–Elliott) and the host's receive-time stamps with their jitter for devices without a
sample clock of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.samples import STANDARD_GRAVITY_MPS2, FloatArray

G: Final = STANDARD_GRAVITY_MPS2
DEG: Final = np.pi / 180.0
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class DeviceModel:
    """What a kind of sensor is like.

    Attributes
    ----------
    key:
        Short name (``polar-verity`` …), written to ``meta.json`` ``simulation.device``.
    description:
        In words.
    rates_hz:
        Sample rates the device offers.
    has_gyro:
        Whether it has a gyroscope.
    acc_lsb_mps2, acc_range_mps2:
        One count and the full-scale range of the accelerometer, m/s².
    gyro_lsb_radps, gyro_range_radps:
        One count and the full-scale range of the gyroscope, rad/s.
    acc_noise_density:
        Accelerometer white noise, m/s² per √Hz.
    gyro_noise_density:
        Gyroscope white noise, rad/s per √Hz.
    own_clock:
        ``True`` when samples carry the device's sample clock, ``False`` when the host stamps
        them on arrival (then the timestamps jitter).
    packet_period_s:
        How much signal one BLE notification carries (samples per packet ≈ rate × this, ≥ 1).
    """

    key: str
    description: str
    rates_hz: tuple[float, ...]
    has_gyro: bool
    acc_lsb_mps2: float
    acc_range_mps2: float
    gyro_lsb_radps: float
    gyro_range_radps: float
    acc_noise_density: float
    gyro_noise_density: float
    own_clock: bool
    packet_period_s: float

    def samples_per_packet(self, rate_hz: float) -> int:
        return int(np.clip(round(rate_hz * self.packet_period_s), 1, 36))


DEVICES: Final[dict[str, DeviceModel]] = {
    d.key: d
    for d in (
        DeviceModel(
            "polar-verity",
            "Polar Verity Sense-like: acc ±8 g in mG, gyro ±2000 °/s, own sample clock",
            (26.0, 52.0, 104.0, 208.0, 416.0),
            True,
            1e-3 * G,
            8.0 * G,
            2000.0 / 32768.0 * DEG,
            2000.0 * DEG,
            200e-6 * G,
            0.008 * DEG,
            True,
            0.1,
        ),
        DeviceModel(
            "thingy52",
            "Nordic Thingy:52-like: acc Q6.10 g (±8 g), gyro Q11.5 °/s, host-stamped",
            (25.0, 50.0, 100.0, 200.0),
            True,
            G / 1024.0,
            8.0 * G,
            DEG / 32.0,
            2000.0 * DEG,
            300e-6 * G,
            0.01 * DEG,
            False,
            0.0,
        ),
        DeviceModel(
            "witmotion",
            "WitMotion-like: acc ±16 g, gyro ±2000 °/s over 32768 counts, host-stamped",
            (50.0, 100.0, 200.0),
            True,
            16.0 * G / 32768.0,
            16.0 * G,
            2000.0 / 32768.0 * DEG,
            2000.0 * DEG,
            250e-6 * G,
            0.01 * DEG,
            False,
            0.0,
        ),
        DeviceModel(
            "microbit",
            "BBC micro:bit-like: accelerometer only, ±2 g in mG, host-stamped",
            (25.0, 50.0),
            False,
            1e-3 * G,
            2.0 * G,
            0.0,
            0.0,
            400e-6 * G,
            0.0,
            False,
            0.0,
        ),
        DeviceModel(
            "phone",
            "phone held in the hand: acc ±8 g, gyro ±2000 °/s, own sensor clock",
            (50.0, 100.0, 200.0),
            True,
            8.0 * G / 32768.0,
            8.0 * G,
            2000.0 / 32768.0 * DEG,
            2000.0 * DEG,
            180e-6 * G,
            0.007 * DEG,
            True,
            0.05,
        ),
    )
}


@dataclass(frozen=True)
class SensorErrors:
    """One device's fixed imperfections, drawn once per session.

    ``acc_matrix``/``gyro_matrix`` are ``I + scale errors + cross-axis coupling`` (3, 3);
    biases are in m/s² and rad/s; ``clock_drift`` is the relative rate error of the device's
    clock against the host (``+0.01``: the device clock runs 1 % fast).
    """

    acc_matrix: FloatArray
    acc_bias_mps2: FloatArray
    gyro_matrix: FloatArray
    gyro_bias_radps: FloatArray
    clock_drift: float
    force_gain: float
    force_offset_n: float

    @staticmethod
    def ideal() -> SensorErrors:
        return SensorErrors(np.eye(3), np.zeros(3), np.eye(3), np.zeros(3), 0.0, 1.0, 0.0)

    @staticmethod
    def draw(rng: np.random.Generator) -> SensorErrors:
        def matrix(scale_sd: float, cross_sd: float) -> FloatArray:
            m = np.eye(3) + np.diag(rng.normal(0.0, scale_sd, 3))
            off = rng.normal(0.0, cross_sd, (3, 3))
            np.fill_diagonal(off, 0.0)
            return m + off

        return SensorErrors(
            acc_matrix=matrix(0.01, 0.003),
            acc_bias_mps2=rng.normal(0.0, 0.08, 3),
            gyro_matrix=matrix(0.01, 0.003),
            gyro_bias_radps=rng.normal(0.0, 0.4 * DEG, 3),
            clock_drift=float(rng.uniform(-0.01, 0.01)),
            force_gain=float(rng.normal(1.0, 0.06)),
            force_offset_n=float(rng.uniform(0.0, 0.2)),
        )


def quantize(x: FloatArray, lsb: float, full_scale: float) -> FloatArray:
    """Round to whole counts of ``lsb`` and clip to the device's range and to int16.

    The int16 limit matters when ``lsb × 32767`` is below the nominal range.
    """
    if lsb <= 0.0:
        return x
    top = min(full_scale, 32767.0 * lsb)
    bottom = max(-full_scale, -32768.0 * lsb)
    return np.clip(np.round(x / lsb) * lsb, bottom, top)


def imu_readings(
    true_acc_mps2: FloatArray,
    true_gyro_radps: FloatArray | None,
    device: DeviceModel,
    errors: SensorErrors,
    rate_hz: float,
    rng: np.random.Generator,
    *,
    noise: bool = True,
) -> tuple[FloatArray, FloatArray | None]:
    """What the device reports for the true specific force and angular velocity (sensor frame).

    White noise has the device's density over a bandwidth of half the sample rate (the MEMS
    chip's own low-pass filter sits near Nyquist).
    """
    bw = np.sqrt(rate_hz / 2.0)
    acc = true_acc_mps2 @ errors.acc_matrix.T + errors.acc_bias_mps2
    if noise:
        acc = acc + rng.normal(0.0, device.acc_noise_density * bw, acc.shape)
    acc = quantize(acc, device.acc_lsb_mps2, device.acc_range_mps2)
    gyro = None
    if true_gyro_radps is not None and device.has_gyro:
        gyro = true_gyro_radps @ errors.gyro_matrix.T + errors.gyro_bias_radps
        if noise:
            gyro = gyro + rng.normal(0.0, device.gyro_noise_density * bw, gyro.shape)
        gyro = quantize(gyro, device.gyro_lsb_radps, device.gyro_range_radps)
    return acc, gyro


def fsr_readings(
    true_force_n: FloatArray, errors: SensorErrors, rng: np.random.Generator, *, noise: bool
) -> FloatArray:
    """A force-sensitive resistor through a 12-bit ADC over 0–60 N: gain error, small offset,
    noise, never negative."""
    f = true_force_n * errors.force_gain + errors.force_offset_n
    if noise:
        f = f + rng.normal(0.0, 0.08, f.shape)
    return quantize(np.maximum(f, 0.0), 60.0 / 4096.0, 60.0)


@dataclass(frozen=True)
class Delivery:
    """How the samples reached the host.

    Attributes
    ----------
    kept:
        Boolean mask over all samples the device took: ``True`` where its packet arrived.
    packet_of_sample:
        Packet index of every sample (all samples).
    arrival_s:
        Host arrival time of every packet, true time in s.
    stamp_s:
        The timestamp of every sample as it will appear before shifting to start at zero: the
        device clock, or the host's arrival-based stamp (s).
    """

    kept: NDArray[np.bool_]
    packet_of_sample: IntArray
    arrival_s: FloatArray
    stamp_s: FloatArray


@dataclass(frozen=True)
class LinkModel:
    """BLE link: latency and burst loss (a Gilbert–Elliott chain over packets).

    Bursts start ``bursts_per_min`` times a minute on average and last ``mean_burst_s`` on
    average (at least one packet); ``reconnect`` is an optional long dropout
    ``(start true time s, length s)`` as after a reconnect.
    """

    base_latency_s: float
    connection_interval_s: float
    bursts_per_min: float
    mean_burst_s: float
    reconnect: tuple[float, float] | None = None

    @staticmethod
    def draw(rng: np.random.Generator, duration_s: float, lossy: bool) -> LinkModel:
        reconnect = None
        if lossy and duration_s > 40.0 and rng.random() < 0.25:
            reconnect = (float(rng.uniform(20.0, duration_s - 15.0)), float(rng.uniform(1.0, 3.0)))
        return LinkModel(
            base_latency_s=float(rng.uniform(0.008, 0.03)),
            connection_interval_s=float(rng.choice([0.0075, 0.015, 0.03], p=[0.4, 0.4, 0.2])),
            bursts_per_min=float(rng.uniform(0.5, 5.0)) if lossy else 0.0,
            mean_burst_s=float(rng.uniform(0.03, 0.25)),
            reconnect=reconnect,
        )


def deliver(
    true_t_s: FloatArray,
    rate_hz: float,
    device: DeviceModel,
    clock_drift: float,
    link: LinkModel,
    rng: np.random.Generator,
    *,
    jitter: bool = True,
) -> Delivery:
    """Packetize the samples, lose packets in bursts, and stamp what arrives.

    The first and last packets always arrive, so every gap lies inside the recording.
    """
    n = true_t_s.shape[0]
    per = device.samples_per_packet(rate_hz)
    packet = np.arange(n) // per
    n_packets = int(packet[-1]) + 1
    last_idx = np.minimum((np.arange(n_packets) + 1) * per, n) - 1
    # A packet is ready a little after its last sample, goes out at the next connection event
    # (a few are retransmitted one or more events later) and reaches the application after
    # the host stack's delay.
    ready = true_t_s[last_idx] + 0.002
    if jitter:
        ci = link.connection_interval_s
        phase = float(rng.uniform(0.0, ci))
        event = phase + ci * np.ceil((ready - phase) / ci)
        retries = rng.geometric(0.9, n_packets) - 1
        host_delay = link.base_latency_s + rng.exponential(0.002, n_packets)
        arrival = event + ci * retries + host_delay
    else:
        arrival = ready + link.base_latency_s
    arrival = np.maximum.accumulate(arrival)

    lost = np.zeros(n_packets, dtype=bool)
    if link.bursts_per_min > 0.0:
        packets_per_s = rate_hz / per
        p_enter = link.bursts_per_min / 60.0 / packets_per_s
        p_leave = 1.0 / max(1.0, link.mean_burst_s * packets_per_s)
        # Burst starts are rare: draw them, then each burst's geometric length in packets.
        starts = np.nonzero(rng.random(n_packets) < p_enter)[0]
        lengths = rng.geometric(p_leave, starts.shape[0])
        for first, length in zip(starts, lengths, strict=True):
            lost[first : first + length] = True
    if link.reconnect is not None:
        start, length = link.reconnect
        t_last = true_t_s[last_idx]
        lost |= (t_last >= start) & (t_last < start + length)
    lost[0] = lost[-1] = False
    kept = ~lost[packet]

    if device.own_clock:
        # The device counts samples at its nominal rate on a clock running (1 + drift) × true.
        stamp = (true_t_s - true_t_s[0]) * (1.0 + clock_drift)
    else:
        # The host stamps each packet on arrival and spaces its samples back at the nominal rate.
        pos_in_packet = np.arange(n) - packet * per
        count = np.minimum(per, n - packet * per)
        stamp = arrival[packet] - (count - 1 - pos_in_packet) / rate_hz
    return Delivery(kept, packet.astype(np.int64), arrival, stamp)


def strictly_increasing(t_s: FloatArray, min_step_s: float = 1e-4) -> FloatArray:
    """Make host stamps strictly increasing the way a host source must: a stamp that is not
    after its predecessor moves to just after it."""
    out = t_s.copy()
    # t_i' = max(t_i, t_{i−1}' + ε)  ⇔  t_i' − iε = running max of (t_i − iε).
    idx = np.arange(out.shape[0]) * min_step_s
    result: FloatArray = np.maximum.accumulate(out - idx) + idx
    return result
