"""talentlib — Korea's strategic-technology talent analytics."""

__version__ = "0.1.0"
