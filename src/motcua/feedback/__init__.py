"""Đánh giá, phản ánh kiến nghị."""
