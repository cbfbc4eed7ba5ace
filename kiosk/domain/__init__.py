"""The counter's rules, pure: no I/O, no project imports but ``kiosk.errors``; mypy strict.

- ``types``: Service, Kind, SealPricing, KindFees, Program (built from kiosk.toml by config).
- ``payment``: PaymentMethod (card, WeChat Pay, Alipay, transfer) and its names.
- ``fees``: ``quote(program, service, kind, years, seal) -> Quote`` itemised in fen.
- ``validity``: expiry after new / renew / change / replace / …; leap days; 平安 reapply.
- ``refund``: ``refund_eligibility(today, accepted=, delivered_on=, activated=)``.
- ``materials``: ``checklist(service, kind, program, seal, payment_method) -> list[Material]``.
- ``hours``: ``counter_status(at, rules, tz)`` with holidays and 调休 from chinesecalendar.
- ``identifiers``: resident ID (GB 11643), USCC (GB 32100), mobile, ID card validity period.
- ``clock``: UTC storage strings, Asia/Shanghai for people.
"""
