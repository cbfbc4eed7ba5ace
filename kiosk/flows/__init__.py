"""Visit flows: one resumable journal per visit (see kiosk.flows.engine)."""

from kiosk.flows.engine import ALL_STEPS, FlowError, VisitFlow, plan
from kiosk.flows.resources import Resources

__all__ = ["ALL_STEPS", "FlowError", "Resources", "VisitFlow", "plan"]
