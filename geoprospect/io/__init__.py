"""Input and output: read layers, map and validate columns, countries, reference tables,
bundled paths, and writers for every output format.

Modules are imported directly (``from geoprospect.io.read import read_layer``).
"""
