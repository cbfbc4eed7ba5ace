"""Visit flows: one resumable journal per visit (see kiosk.visits.engine)."""

from kiosk.visits.engine import ALL_STEPS, FlowError, VisitFlow, plan
from kiosk.visits.resources import Resources

__all__ = ["ALL_STEPS", "FlowError", "Resources", "VisitFlow", "plan"]
