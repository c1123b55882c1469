"""Deferrable sensors and their triggers (importable from outside dags/)."""
