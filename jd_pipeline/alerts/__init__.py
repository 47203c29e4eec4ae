"""Alerts (issue #21): rules as configuration, evaluated into `marts.fct_alerts`, delivered to group robots."""
