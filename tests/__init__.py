"""Tests of the ocpp_csms integration."""
