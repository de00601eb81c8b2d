"""OCPP core of ocpp_csms: server, sessions and version adapters.

This package never imports Home Assistant; the integration talks to it through
the typed interface in ``central.py``.
"""
