"""Tests of the charge point simulator (independent of the integration)."""
