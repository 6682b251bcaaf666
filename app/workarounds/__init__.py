"""Where OLF works around faust-streaming 0.15.

Each module names what Faust does (version, symptom), what OLF does instead,
and the unit test that shows both, so the test tells when Faust changes:

* :mod:`.batch_delivery`: whole fetches to the agent and to recovery instead
  of one message at a time (Faust's per-message path capped a worker at a
  few thousand events per second);
* :mod:`.recovery`: the input is sought back before it is delivered again
  after a rebalance (Faust lost events there), and restored changelog
  batches are applied as they arrive;
* :mod:`.producer_buffer`: a flush that really drains the buffer (Faust's
  could return with messages in it, before a commit);
* :mod:`.topics`: OLF's topics exist before the worker joins its group;
* :mod:`.parser_errors` (aiohttp 3.14 behind Faust's web driver): requests
  the HTTP parser rejects get a JSON 400 and one log line, not a plain-text
  echo of the input and a traceback.
"""
