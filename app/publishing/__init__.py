"""The Kafka surface of the workers: what OLF publishes for other services to consume.

* :mod:`.statistics_topic`: the merged statistics, from Faust's leader, to a
  compacted topic (``OLF_STATISTICS_TOPIC``, default ``olf-statistics``).
"""
