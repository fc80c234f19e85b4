"""The ``arbkit`` command line."""
