"""dispatch: task dispatch and field patrol for street-level grid governance."""

__version__ = "0.1.0"
