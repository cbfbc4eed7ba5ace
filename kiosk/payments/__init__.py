"""Payments: take money exactly once (card, WeChat Pay, Alipay, bank transfer), refunds, invoices.

Modules (imported directly; this package imports nothing so that screens can use ``money``
without pulling in the store):

- :mod:`kiosk.payments.service`  ``PaymentService``, the area's face: pay_card, pay_code, pay_qr /
  check, record_transfer / confirm_transfer, cancel, refund, record_invoice, can_issue, methods,
  reconcile / resume_pending, status.
- :mod:`kiosk.payments.ledger`   the tables, queries and state machine (``Ledger``, ``Payment``).
- :mod:`kiosk.payments.charge`   the channels: card, payment code, QR on screen, transfer.
- :mod:`kiosk.payments.reconcile` settling trades with the provider; repair after a crash.
- :mod:`kiosk.payments.refunds`  refunds (``Refunder``).
- :mod:`kiosk.payments.invoice`  invoice details.
- :mod:`kiosk.payments.money`    fen checks, ``parse_yuan``, ``yuan``, quotes, payment codes.
- :mod:`kiosk.payments.gateway`  ``DirectGateway`` (in-process provider), ``HubGateway`` (HTTP).
- :mod:`kiosk.receipts.wiring`   ``build_money(settings, store, …)`` wires all of it.
"""
