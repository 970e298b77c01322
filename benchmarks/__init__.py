"""On-demand benchmarks: Flask-Server-Functions against hand-written Flask.

Run ``python -m benchmarks`` (``make bench``); ``python -m benchmarks --help`` for
subsets, ``--quick`` and ``--profile``. Never collected by pytest (``testpaths``
is ``tests``, and nothing here is named ``test_*``).

Every number is compared with a hand-written Flask baseline measured in the same
run, in alternating rounds, so the ratios hold on any machine; the absolute
numbers only describe the machine in ``RESULTS.md``.
"""
