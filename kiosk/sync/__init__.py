"""Offline-first sync with the hub: the outbox worker, the hub client, status, offline issuance.

Public API:
    :func:`data.outbox.emit` record an event in the caller's transaction.
    :class:`kiosk.sync.client.HubClient` the hub's HTTP API.
    :class:`kiosk.sync.worker.SyncWorker` drain the outbox (``drain_once`` / ``run``).
    :func:`kiosk.sync.status.read_status` cheap status for the status bar.
    :mod:`kiosk.sync.issuance` offline certificate requests and pickup.
"""
