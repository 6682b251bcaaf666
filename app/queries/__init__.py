"""The read side: reports of this worker's partitions, the other workers' over
HTTP, merged into one answer (and the snapshots the live stream sends)."""
