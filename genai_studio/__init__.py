"""GenAI Studio: an offline creative AI desktop studio."""

__version__ = "0.1.0"
