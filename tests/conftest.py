"""Shared test helpers: a real iamd server process per backend, and clients that talk to it."""
