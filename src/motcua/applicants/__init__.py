"""Tài khoản người nộp hồ sơ."""
