"""What OLF and the Customer service both need, written once.

Each service imports from here and never from the other: settings read from
environment variables (:mod:`.environment`), which listening addresses stay on
this machine (:mod:`.addresses`), Kafka broker URLs (:mod:`.broker_url`),
JSON error answers (:mod:`.json_errors`) and RFC 3339 timestamps
(:mod:`.timestamps`). Nothing here knows either service's names or rules.
"""
