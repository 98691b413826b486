"""Nộp hồ sơ trực tuyến, hồ sơ của tôi."""
