"""The back office (hub): the ASGI service kiosks sync to. Run with ``kiosk hub serve``.

Light on purpose: the CLI reads these defaults without loading uvicorn or starlette.
"""

#: The hub's database when ``--db`` is not given (SQLite; ``postgresql://…`` for PostgreSQL).
DEFAULT_DB = "sqlite:///var/hub/hub.db"
#: Where the hub listens when ``--bind`` is not given (loopback; kiosk.toml's default URL).
DEFAULT_BIND = "127.0.0.1:8800"
