"""Receipts: layout shared by paper and screen, the persisted print queue and its worker.

- :mod:`kiosk.receipts.layout`   ``ReceiptData``, ``build_receipt``, ``build_pin_slip``,
  ``build_test_page``.
- :mod:`kiosk.receipts.queue`    ``PrintQueue`` (enqueue, reprint, run_once, recover, status,
  print_pin_slip), ``PrintWorker``, ``QueueStatus``.
- :mod:`kiosk.receipts.service`  ``ReceiptService`` (receipt of a payment, on_paid hook, preview,
  reprint).
"""
