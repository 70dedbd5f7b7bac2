"""Offline engines that execute generated queries for verification (independent of the emitters)."""
