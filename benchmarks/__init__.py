"""negsim's benchmark harness: negsim's solvers timed side by side with OpenSpiel, LiteEFG and pygambit.

Run ``python -m benchmarks`` (``--quick`` for a short run, ``--help`` for options), or
call :func:`benchmarks.run.run` from Python. ``benchmarks/README.md`` explains each
section, the conventions and the latest measured tables.
"""
