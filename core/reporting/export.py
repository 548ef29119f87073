"""The old name of the steering pack and the CSV writer, importable only until core/cli.py switches.

Import ``steering_pack`` from core.reporting.steering_pack and ``csv_bytes`` / ``neutralise`` /
``safe_frame`` from core.reporting.export_safety; delete this module once nothing imports it.
"""
from __future__ import annotations

from core.reporting.export_safety import csv_bytes, neutralise, safe_frame
from core.reporting.steering_pack import steering_pack, write_table

__all__ = ["csv_bytes", "neutralise", "safe_frame", "steering_pack", "write_table"]
