"""The screens of a coaching session."""

from tui.screens.calibration import CalibrationScreen
from tui.screens.safety import SafetyScreen
from tui.screens.session import SessionScreen
from tui.screens.summary import SummaryScreen
from tui.screens.technique import TechniqueScreen

__all__ = [
    "CalibrationScreen",
    "SafetyScreen",
    "SessionScreen",
    "SummaryScreen",
    "TechniqueScreen",
]
