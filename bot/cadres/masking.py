"""Masking of the most sensitive fields (ID-card number, phone numbers, birth date) for everyone but admins."""

from __future__ import annotations

from datetime import date


def mask_id_card(value: str) -> str:
    """Only the last 4 characters stay, as the cadre-file rules ask for exports."""
    if not value:
        return ""
    return "*" * (len(value) - 4) + value[-4:] if len(value) > 4 else "*" * len(value)


def mask_phone(value: str) -> str:
    digits = [c for c in value if c.isdigit()]
    if len(digits) < 7:
        return "*" * len(value)
    if len(digits) == 11 and digits[0] == "1":
        return "".join(digits[:3]) + "****" + "".join(digits[-4:])
    return "*" * (len(value) - 4) + value[-4:]


def mask_birth_date(value: date | None) -> str:
    """The year alone: enough to see an age band, not the audited 出生日期 itself."""
    return f"{value.year}年**月" if value else ""


def is_masked(value: str) -> bool:
    return "*" in value
