"""Benchmarks of the ocpp_csms integration (not shipped with it)."""
