"""The Customer service: owns customers and publishes every change to ``customer-events``.

A separate microservice from OLF, in its own process with its own database.
Each change writes the customer and its event to the database in one
transaction (the outbox); a relay publishes the events to Kafka afterwards.
Run it with ``python -m customer_service serve``; see ``--help`` for the
simulator and the reconciliation command.
"""
