"""The baseline for bench_startup: a bare Textual app showing one Static, nothing else."""

from textual.app import App, ComposeResult
from textual.widgets import Static

MARKER = "请选择要办理的业务"


class Bare(App[None]):
    """One Static with the same marker text the kiosk's welcome screen shows."""

    def compose(self) -> ComposeResult:
        yield Static(MARKER)


if __name__ == "__main__":
    Bare().run()
