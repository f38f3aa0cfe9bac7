"""Tests of the bid evidence pack (mapper/pack). A package, so its conftest does not shadow tests/conftest.py."""
