"""The fault battery: Ponte's delivery promises tried from the outside (``python -m bench.faults``).

See docs/guarantees.md ("The fault battery") for the scenarios, how to run them and the figures;
tests/faults/ runs them at small N in CI.
"""
