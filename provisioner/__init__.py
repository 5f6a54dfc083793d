"""provision: declarative configuration-as-code for Insights Hub and iTwin IoT."""

__version__ = "0.1.0"
