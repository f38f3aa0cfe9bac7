"""Loaders: read raw input files into tidy pandas/geopandas frames.

Readers never modify the files they read. Each returns a new frame plus the
metadata a later stage needs for the audit and provenance.
"""
