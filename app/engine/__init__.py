"""The recipe engine: YAML recipes and mappings validated at load time, pure filters and mappings.

Everything here except the runner/executor is pure (no database, no Flask) so it is testable alone;
see ``docs/recipes.md`` for the format and ``loader.load_recipes`` for the entry point.
"""
