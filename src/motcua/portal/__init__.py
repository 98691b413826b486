"""Cổng dịch vụ công."""
