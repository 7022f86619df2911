"""Simulated self-massage sessions with known truth, modelled from physics.

``simulate_session(seed, minutes, technique, rate_hz, **overrides)`` scripts what a user does
(calibration strokes, technique blocks, mistakes at known times), moves a hand along a limb lying
in the world as the posture puts it, and reads it with a sensor mounted at any rotation, with the
sensor's and the radio link's imperfections. :data:`CONDITIONS` lists everything it varies.

What is modelled
----------------
- Kinematics (``kinematics``, ``script``): the contact point in skin coordinates (along the limb,
  around it, lift off it); minimum-jerk loaded glides; returns lifted 1–5 cm or gliding in light
  contact, usually faster than the glide (or nearly symmetric); pauses; cross-friction
  (1.5–3 Hz, 1–2 cm) and circular kneading with smooth envelopes; rests; lifted repositioning.
  Peak hand acceleration along the skin ≤ 20 m/s² (fast strokes are shorter).
- Posture (``posture``): the limb axis in the world (horizontal, climbing, vertical, pointing
  down); the limb as a cylinder, so moving across it rolls the hand around it.
- Orientation (``orientation``): grip along or across the limb, arbitrary or axis-aligned sensor
  mounting, wrist flex with glide speed and lift, slow yaw wander, angular tremor; the gyro is
  the exact body-frame angular velocity of the same rotation chain the accelerometer uses.
- Acceleration: the analytic second derivative of the path (polar terms around the limb
  included), plus tremor and the sensor's lever arm off the contact point; specific force
  ``a − g`` rotated into the sensor frame.
- Sensor (``sensor``): 25–416 Hz, scale/cross-axis/bias errors, white noise, int16 counts with
  the device's range (saturation), friction vibration while sliding, an FSR force channel,
  device clock drift (±1 %), BLE packets, bursty loss (gaps), host receive-time stamps with
  connection-event jitter for devices without their own clock.

What is not modelled
--------------------
Soft tissue and skin stretch under the hand, the limb moving or the user changing posture
mid-session, the limb's taper and curvature along its length, gyro bias drift and 1/f noise,
temperature, magnetometers, the MEMS chip's own filter response (noise and vibration are drawn
band-limited instead), contact mechanics behind friction vibration (its amplitude is a scaled
random process), FSR hysteresis and creep, and a real user's variety of technique beyond the
drawn ranges.
"""

from analysis.simulation.session import (
    CONDITIONS,
    SessionConditions,
    SessionTruth,
    SimulatedSession,
    TruthStroke,
    simulate_session,
)

__all__ = [
    "CONDITIONS",
    "SessionConditions",
    "SessionTruth",
    "SimulatedSession",
    "TruthStroke",
    "simulate_session",
]
