"""``make bench``: speed and size measurements, kept out of the ``mapper`` package (run as ``python -m benchmarks.bench``)."""
