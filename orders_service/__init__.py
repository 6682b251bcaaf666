"""The Orders service: owns orders and publishes each placement and cancellation to Kafka.

Its events go to ``order-events`` (docs/event-contract.md, "Order events").

A microservice beside the Customer service, in its own process with its own
database, built from the same parts (``infrastructure/``: database, outbox,
relay, bearer tokens). An order may be placed only for a customer the
Customer service knows. Run it with ``python -m orders_service serve``; see
``--help`` for the simulator, reconciliation and republishing.
"""
