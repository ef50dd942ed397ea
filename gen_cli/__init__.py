"""gen: run a public call for projects from a git repository of YAML files."""

__version__ = "0.3.0"
