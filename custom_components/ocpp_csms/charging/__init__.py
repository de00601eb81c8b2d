"""Charging brain of ocpp_csms (profiles, planner, surplus); no HA imports."""
