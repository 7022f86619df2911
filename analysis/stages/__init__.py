"""The stages of the causal stroke pipeline, each a small class with explicit state.

Order of the data flow: :mod:`timebase` (clean, gap-split runs) → :mod:`orientation` (gravity
removed) → :mod:`motion` (velocity, vibration) → :mod:`segmentation` (half-strokes along the limb
axis, cross cycles, revolutions) → :mod:`loaded_phase` (which half is the pressed glide) →
:mod:`direction` → :mod:`cadence` → :mod:`cues`. :mod:`limb_axis` learns the axis, its sign and
the user's loaded-phase signature from the calibration window.
"""
