"""``make bench``: OLF beside its ceilings and Quix Streams, and its recovery, in one run.

Run from the repository root as ``python -m dev.benchmark [--quick] [sizes...]``.
One local broker; each reader in a process of its own over the same topic.
Modules, one job each:

* ``__main__``: the run, in order, and the exit code; ``options``: the command line;
  ``context``: what the parts share (broker, run id, directories, time limits);
* ``broker``: the local broker and its topics; ``streams``: the input and producing it;
* readers run as processes (``reader_process``): ``raw_consumer``, ``bare_faust``,
  ``quix_statistics``; OLF itself through ``olf_worker``;
* the parts: ``throughput``, ``scaling`` (one worker against two), ``latency``,
  ``recovery``; ``answers``: checks against the reference model;
* ``results``, ``targets`` (the issue's, fixed), ``report`` (BENCHMARKS.md), ``plot``;
  ``memory`` (peak RSS), ``progress`` (what it prints while it runs).
"""
